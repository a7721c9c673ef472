/**
 * A dropped, picked or pasted file as the host's classifyImageFiles takes it: name and bytes
 * (base64). Nothing is decoded here: the host decodes every shell's files with one decoder (sharp)
 * and one preprocessing, so a file gets the same verdict in the browser, in Electron and in the CLI.
 */
import { OOD_MAX_UPLOAD_BYTES, type ImageFileBytes } from '../../../core/contract/ood';

export class ImageFileBytesError extends Error {
  override name = 'ImageFileBytesError';
}

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** The file's bytes for the host; throws ImageFileBytesError with a sentence naming the file. */
export async function imageFileBytes(file: File): Promise<ImageFileBytes & { bytes: number }> {
  const name = file.name || 'pasted image';
  if (file.size === 0) throw new ImageFileBytesError(`"${name}" is empty (0 bytes); it holds no image.`);
  if (file.size > OOD_MAX_UPLOAD_BYTES) {
    throw new ImageFileBytesError(
      `"${name}" is ${megabytes(file.size)}; the largest image file the workbench takes is ${megabytes(OOD_MAX_UPLOAD_BYTES)} (shrink it first).`,
    );
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  return { name: name.slice(0, 200), base64: toBase64(bytes), bytes: bytes.byteLength };
}

function toBase64(bytes: Uint8Array): string {
  // btoa takes a binary string; built in slices so a large file does not overflow the argument list.
  let binary = '';
  for (let start = 0; start < bytes.length; start += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(start, start + 0x8000));
  return btoa(binary);
}
