/**
 * What the Electron shell remembers between launches, in `<userData>/shell-state.json`: the
 * window's bounds and whether it was maximized, and the folder the user last saved an export to.
 * Small, written atomically (electron/host/safeFiles.ts: temporary file, fsync, rename, fsync of
 * the folder), and validated when read: a damaged or
 * hand-edited file is replaced by defaults rather than stopping the app.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomically } from '../host/safeFiles';

export interface Rectangle {
  x: number;
  y: number;
  width: number;
  height: number;
}

const rectangleSchema = z.object({
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});

export const shellStateSchema = z.object({
  window: z.object({ bounds: rectangleSchema, maximized: z.boolean() }).optional(),
  lastExportDir: z.string().min(1).optional(),
  /** The run queue's Redis URL (Settings); the host connects to it at start. */
  queueUrl: z.string().min(1).max(2000).optional(),
});
export type ShellState = z.infer<typeof shellStateSchema>;

export const defaultWindowSize = { width: 1400, height: 900 };
/** Smaller than this the run list and charts no longer fit side by side. */
export const minimumWindowSize = { width: 900, height: 600 };

export class ShellStateStore {
  private state: ShellState = {};
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  static inUserData(userDataDir: string): ShellStateStore {
    return new ShellStateStore(path.join(userDataDir, 'shell-state.json'));
  }

  /** Reads the file; a missing or invalid one leaves the defaults (and says why, for the log). */
  async load(): Promise<{ state: ShellState; problem?: string }> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch {
      return { state: this.state }; // first launch
    }
    try {
      const parsed = shellStateSchema.safeParse(JSON.parse(text));
      if (parsed.success) {
        this.state = parsed.data;
        return { state: this.state };
      }
      return {
        state: this.state,
        problem: `${this.file} does not hold a valid shell state (${parsed.error.issues[0]?.message}); using defaults.`,
      };
    } catch (error) {
      return {
        state: this.state,
        problem: `${this.file} is not valid JSON (${(error as Error).message}); using defaults.`,
      };
    }
  }

  get current(): ShellState {
    return this.state;
  }

  /** Merges `change` into the state and writes it; writes are serialised so the last one wins. */
  update(change: Partial<ShellState>): Promise<void> {
    this.state = shellStateSchema.parse({ ...this.state, ...change });
    const snapshot = JSON.stringify(this.state, null, 2);
    this.writing = this.writing
      .then(() => writeAtomically(this.file, snapshot))
      .catch(() => {
        // Losing the window position is not worth an error dialog; the next change writes again.
      });
    return this.writing;
  }
}

async function writeAtomically(file: string, text: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomically(file, text);
}

/**
 * The bounds to open the window with: the remembered ones if at least a usable part of the window
 * lies on a display that exists now (monitors get unplugged), otherwise the default size, centred
 * by Electron.
 */
export function initialWindowBounds(
  remembered: ShellState['window'],
  workAreas: Rectangle[],
): { bounds: Partial<Rectangle>; maximized: boolean } {
  const fallback = { bounds: { ...defaultWindowSize }, maximized: false };
  if (!remembered) return fallback;
  const bounds = {
    ...remembered.bounds,
    width: Math.max(remembered.bounds.width, minimumWindowSize.width),
    height: Math.max(remembered.bounds.height, minimumWindowSize.height),
  };
  // The title bar must be reachable: require 100×50 px of the window's top on some display.
  const visible = workAreas.some(
    (area) =>
      overlap(bounds.x, bounds.width, area.x, area.width) >= 100 && overlap(bounds.y, 50, area.y, area.height) >= 50,
  );
  return visible
    ? { bounds, maximized: remembered.maximized }
    : { bounds: fallback.bounds, maximized: remembered.maximized };
}

function overlap(start: number, length: number, areaStart: number, areaLength: number): number {
  return Math.max(0, Math.min(start + length, areaStart + areaLength) - Math.max(start, areaStart));
}
