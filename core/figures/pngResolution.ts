/**
 * Writes a PNG's resolution (its `pHYs` chunk, PNG spec §11.3.5.3), so a word processor or LaTeX
 * places a 300-dpi print-size export at its physical size (3.5 in, 7.0 in) instead of guessing
 * 72 or 96 dpi. Neither @napi-rs/canvas nor a browser's toBlob writes one.
 */

export class PngResolutionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PngResolutionError';
  }
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

let crcTable: Uint32Array | null = null;

/** CRC-32 as PNG chunks use it (ISO 3309, the PNG spec's Annex D). */
function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n += 1) {
      let c = n;
      for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of bytes) crc = crcTable[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** `png` with a pHYs chunk of `dpi` (replacing any), right after IHDR as the spec requires. */
export function withPngResolution(png: Uint8Array, dpi: number): Uint8Array {
  if (png.length < 33 || SIGNATURE.some((byte, i) => png[i] !== byte))
    throw new PngResolutionError('These bytes are not a PNG (no PNG signature); the resolution cannot be set.');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const ihdrEnd = 8 + 12 + view.getUint32(8);
  const pixelsPerMetre = Math.round(dpi / 0.0254);
  const chunk = new Uint8Array(21);
  const chunkView = new DataView(chunk.buffer);
  chunkView.setUint32(0, 9);
  chunk.set([0x70, 0x48, 0x59, 0x73], 4); // "pHYs"
  chunkView.setUint32(8, pixelsPerMetre);
  chunkView.setUint32(12, pixelsPerMetre);
  chunk[16] = 1; // unit: the metre
  chunkView.setUint32(17, crc32(chunk.subarray(4, 17)));
  // Drop an existing pHYs chunk, keep every other chunk as it is.
  const parts: Uint8Array[] = [png.subarray(0, ihdrEnd), chunk];
  for (let offset = ihdrEnd; offset < png.length;) {
    const length = view.getUint32(offset);
    const end = offset + 12 + length;
    const type = String.fromCharCode(...png.subarray(offset + 4, offset + 8));
    if (type !== 'pHYs') parts.push(png.subarray(offset, end));
    offset = end;
  }
  const result = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let position = 0;
  for (const part of parts) {
    result.set(part, position);
    position += part.length;
  }
  return result;
}
