/**
 * Reading a run's `events.ndjson` without ever holding it whole: the file is read in chunks and
 * split into lines here (a line longer than `maxLineBytes` — a sparse file of zeros, a damaged
 * write — is skipped, not accumulated), each line is parsed and validated, and what one read returns
 * is bounded by thinning (EventThinner). Also the cheap question a restart asks: the last step in
 * the log, from its tail only.
 */
import type { FileHandle } from 'node:fs/promises';
import { runEventSchema, type RunEvent } from '../../core/contract/runEvent';

/** Longest line kept: far above any real event (a 10,000-point regression snapshot is ≈ 0.6 MB). */
export const MAX_EVENT_LINE_BYTES = 16 * 1024 * 1024;
const CHUNK_BYTES = 256 * 1024;
const TAIL_BYTES = 64 * 1024;

export interface LineVisitor {
  line(text: string): void;
  /** A line longer than the limit: skipped. */
  overlong(): void;
}

/** Calls `visitor` for every complete line of the file; returns the unterminated tail (if short enough). */
export async function readLines(
  handle: FileHandle,
  visitor: LineVisitor,
  maxLineBytes = MAX_EVENT_LINE_BYTES,
): Promise<string> {
  const chunk = Buffer.alloc(CHUNK_BYTES);
  let parts: Buffer[] = [];
  let partBytes = 0;
  let overlong = false;
  let position = 0;
  for (;;) {
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
    if (bytesRead === 0) break;
    position += bytesRead;
    let start = 0;
    while (start < bytesRead) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 || newline >= bytesRead ? bytesRead : newline;
      if (!overlong) {
        if (partBytes + (end - start) > maxLineBytes) {
          overlong = true;
          parts = [];
          partBytes = 0;
        } else if (end > start) {
          parts.push(Buffer.from(chunk.subarray(start, end)));
          partBytes += end - start;
        }
      }
      if (end === bytesRead) break;
      if (overlong) visitor.overlong();
      else visitor.line(Buffer.concat(parts, partBytes).toString('utf8'));
      parts = [];
      partBytes = 0;
      overlong = false;
      start = end + 1;
    }
  }
  if (overlong) {
    visitor.overlong();
    return '';
  }
  return Buffer.concat(parts, partBytes).toString('utf8');
}

export function parseEventLine(line: string): RunEvent | null {
  try {
    const parsed = runEventSchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The highest step of the valid events in the last 64 KB of the log, or null. */
export async function lastStepInTail(handle: FileHandle, size: number): Promise<number | null> {
  const start = Math.max(0, size - TAIL_BYTES);
  const buffer = Buffer.alloc(size - start);
  const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
  const lines = buffer.subarray(0, bytesRead).toString('utf8').split('\n');
  if (start > 0) lines.shift(); // begins mid-line
  let last: number | null = null;
  for (const line of lines) {
    if (!line.trim()) continue;
    const event = parseEventLine(line);
    if (event) last = Math.max(last ?? 0, event.step);
  }
  return last;
}

/**
 * How many events of each kind one read returns at most. A LeNet5 run of 6000 steps (6000
 * metrics, ≈ 1000 progress, 15 evaluations) is returned whole; a longer or pathological one is
 * thinned evenly, every kind on its own, and keeps its last events.
 */
export const EVENT_READ_LIMITS: Readonly<Record<RunEvent['type'], number>> = {
  metrics: 20_000,
  progress: 2_000,
  status: 2_000,
  heldout: 2_000,
  posterior: 500,
  regression: 500,
};
/** The newest events of each kind always kept, so the end of a thinned run stays dense. */
export const EVENT_READ_TAIL = 200;

interface Kept {
  order: number;
  event: RunEvent;
}

/**
 * Even thinning in bounded memory, per kind: keep every `stride`-th event of the kind; when more
 * than the limit are kept, drop every other one and double the stride. The last EVENT_READ_TAIL
 * events of each kind are kept besides.
 */
export class EventThinner {
  private readonly groups = new Map<RunEvent['type'], { seen: number; stride: number; kept: Kept[]; tail: Kept[] }>();
  private order = 0;
  thinned = false;

  constructor(private readonly limits: Readonly<Record<RunEvent['type'], number>> = EVENT_READ_LIMITS) {}

  add(event: RunEvent): void {
    const order = this.order++;
    let group = this.groups.get(event.type);
    if (!group) {
      group = { seen: 0, stride: 1, kept: [], tail: [] };
      this.groups.set(event.type, group);
    }
    const index = group.seen++;
    if (index % group.stride === 0) {
      group.kept.push({ order, event });
      if (group.kept.length > this.limits[event.type]) {
        this.thinned = true;
        const stride = group.stride * 2;
        group.kept = group.kept.filter((_, position) => position % 2 === 0);
        group.stride = stride;
      }
    }
    group.tail.push({ order, event });
    if (group.tail.length > EVENT_READ_TAIL) group.tail.shift();
  }

  /** The kept events in log order. */
  events(): RunEvent[] {
    const byOrder = new Map<number, RunEvent>();
    for (const group of this.groups.values())
      for (const kept of [...group.kept, ...group.tail]) byOrder.set(kept.order, kept.event);
    return [...byOrder.entries()].sort((a, b) => a[0] - b[0]).map(([, event]) => event);
  }
}
