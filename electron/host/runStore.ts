/**
 * Runs on disk: `runs/<id>/run.json` (the RunRecord, replaced atomically by temp file + rename),
 * `runs/<id>/events.ndjson` (append-only, one RunEvent per line, flushed at least every
 * `flushIntervalMs` so a killed process loses at most that much of the stream) and
 * `runs/<id>/checkpoint/` (the training state to resume from, replaced atomically: checkpointFiles.ts).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { runRecordSchema, type RunRecord } from '../../core/contract/workbenchApi';
import { runEventSchema, type RunEvent, type RunState } from '../../core/contract/runEvent';
import type { CheckpointManifest, SerializedCheckpoint } from '../../core/training/checkpoint';
import { readCheckpointFiles, readCheckpointManifest, writeCheckpointFiles } from './checkpointFiles';

export class RunStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunStoreError';
  }
}

export interface CorruptRun {
  id: string;
  reason: string;
}

export interface RunListing {
  runs: RunRecord[];
  /** Folders whose run.json is missing or invalid: left untouched on disk, reported to the user. */
  corrupt: CorruptRun[];
}

export interface StoredEvents {
  events: RunEvent[];
  /** Complete lines that were not a valid RunEvent (kept on disk, left out here). */
  skippedLines: number;
  /** The file ended in a partial line, as when a process dies mid-write; that line is left out. */
  truncatedTail: boolean;
}

export interface RunStoreOptions {
  /** Longest time an appended event waits in memory before it is written. */
  flushIntervalMs?: number;
}

const runIdPattern = /^[A-Za-z0-9_.-]+$/;
const unfinishedStates: RunState[] = ['queued', 'running', 'paused'];
const finishedStates: RunState[] = ['completed', 'stopped', 'failed', 'interrupted'];
const ownerFile = 'owner.json';

/** A readable, unique-enough id: `20261126-051500-sinusoid-x7k2` (local time, 4 random chars). */
export function createRunId(experiment: string, now: Date = new Date()): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  const date = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}`;
  const time = `${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const suffix = Array.from(randomBytes(4), (byte) => alphabet[byte % alphabet.length]).join('');
  const name = experiment.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40);
  return `${date}-${time}-${name}-${suffix}`;
}

export class RunStore {
  private readonly flushIntervalMs: number;
  /** Identifies this store's claims on runs, so a restart can tell its own from a dead process's. */
  private readonly storeId = randomBytes(8).toString('hex');
  private readonly pendingLines = new Map<string, string[]>();
  /** Per-run chain of file operations, so appends and record writes land in call order. */
  private readonly chains = new Map<string, Promise<void>>();
  /** Runs whose events file is known to end at a line boundary (checked once per store). */
  private readonly tailChecked = new Set<string>();
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly runsDir: string,
    options: RunStoreOptions = {},
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 500;
  }

  runDir(id: string): string {
    if (!runIdPattern.test(id) || id === '.' || id === '..') {
      throw new RunStoreError(`"${id}" is not a valid run id; a run id has only letters, digits, "_", "-" and ".".`);
    }
    return path.join(this.runsDir, id);
  }

  /** Creates the run's folder (failing if it exists), its run.json, an empty events file and the claim of this process. */
  async createRun(record: RunRecord): Promise<void> {
    const dir = this.runDir(record.id);
    await fs.mkdir(this.runsDir, { recursive: true });
    try {
      await fs.mkdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new RunStoreError(`A run with id "${record.id}" already exists in ${this.runsDir}.`);
      throw error;
    }
    await fs.writeFile(path.join(dir, 'events.ndjson'), '');
    await this.claimRun(record.id);
    this.tailChecked.add(record.id);
    await this.writeRecord(record);
  }

  /** Marks the run as this process's (a new or resumed run), so a restart can tell a dead owner from a live one. */
  async claimRun(id: string): Promise<void> {
    await fs.writeFile(path.join(this.runDir(id), ownerFile), JSON.stringify({ pid: process.pid, storeId: this.storeId }));
  }

  /**
   * Removes a run's folder with everything in it. Refuses while a live workbench process (this
   * one included) has claimed the run, i.e. while it is queued, training or paused somewhere.
   */
  async deleteRun(id: string): Promise<void> {
    const dir = this.runDir(id);
    try {
      if (!(await fs.lstat(dir)).isDirectory()) throw new RunStoreError(`"${id}" in ${this.runsDir} is not a run folder; it was left alone.`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new RunStoreError(`There is no run "${id}" in ${this.runsDir}.`);
      throw error;
    }
    if (await this.claimedByLiveProcess(id)) {
      throw new RunStoreError(`Run "${id}" is queued or training in a running workbench; stop it before deleting it.`);
    }
    this.pendingLines.delete(id);
    await this.enqueue(id, () => fs.rm(dir, { recursive: true, force: true }));
    this.tailChecked.delete(id);
  }

  /** Stores the run's newest checkpoint atomically (after the run's earlier file operations). */
  writeCheckpoint(id: string, checkpoint: SerializedCheckpoint): Promise<CheckpointManifest> {
    const dir = this.runDir(id);
    let stored: CheckpointManifest | undefined;
    return this.enqueue(id, async () => {
      stored = await writeCheckpointFiles(dir, checkpoint);
    }).then(() => stored!);
  }

  /** The run's checkpoint, verified whole, or null when it has none. */
  async readCheckpoint(id: string): Promise<SerializedCheckpoint | null> {
    const dir = this.runDir(id);
    let checkpoint: SerializedCheckpoint | null = null;
    await this.enqueue(id, async () => {
      checkpoint = await readCheckpointFiles(dir);
    });
    return checkpoint;
  }

  /** The step of the run's checkpoint, or null when it has none (or it cannot be read). */
  async checkpointStep(id: string): Promise<number | null> {
    try {
      return (await readCheckpointManifest(this.runDir(id)))?.step ?? null;
    } catch {
      return null;
    }
  }

  /** Replaces run.json atomically; a finished state also releases this process's claim on the run. */
  writeRecord(record: RunRecord): Promise<void> {
    const valid = runRecordSchema.parse(record);
    const dir = this.runDir(valid.id);
    return this.enqueue(valid.id, async () => {
      await writeFileAtomically(path.join(dir, 'run.json'), `${JSON.stringify(valid, null, 2)}\n`);
      if (finishedStates.includes(valid.state)) await fs.rm(path.join(dir, ownerFile), { force: true });
    });
  }

  async readRecord(id: string): Promise<RunRecord> {
    const file = path.join(this.runDir(id), 'run.json');
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new RunStoreError(`There is no run "${id}" in ${this.runsDir}.`);
      throw error;
    }
    return parseRecord(id, text);
  }

  /** Every run, newest first; a folder with a missing or invalid run.json is reported, not fatal. */
  async listRuns(): Promise<RunListing> {
    const listing: RunListing = { runs: [], corrupt: [] };
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(this.runsDir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return listing;
      throw error;
    }
    for (const entry of entries) {
      if (!entry.isDirectory() || !runIdPattern.test(entry.name)) continue;
      try {
        listing.runs.push(await this.readRecord(entry.name));
      } catch (error) {
        listing.corrupt.push({ id: entry.name, reason: error instanceof Error ? error.message : String(error) });
      }
    }
    listing.runs.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
    return listing;
  }

  /** Buffers one event for `events.ndjson`; it is on disk within `flushIntervalMs`. */
  appendEvent(event: RunEvent): void {
    this.runDir(event.runId);
    const lines = this.pendingLines.get(event.runId) ?? [];
    lines.push(`${JSON.stringify(event)}\n`);
    this.pendingLines.set(event.runId, lines);
    if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        void this.flushEvents().catch((error) => console.error(`Bayesian Workbench: writing run events failed: ${String(error)}`));
      }, this.flushIntervalMs);
      this.flushTimer.unref();
    }
  }

  /** Writes buffered events of one run (or of all runs) and resolves when they are on disk. */
  async flushEvents(id?: string): Promise<void> {
    const ids = id === undefined ? [...this.pendingLines.keys()] : [id];
    await Promise.all(
      ids.map((runId) => {
        const lines = this.pendingLines.get(runId);
        this.pendingLines.delete(runId);
        return this.enqueue(runId, async () => {
          if (!lines?.length) return;
          const file = path.join(this.runDir(runId), 'events.ndjson');
          const separator = (await this.endsMidLine(runId, file)) ? '\n' : '';
          await fs.appendFile(file, separator + lines.join(''));
        });
      }),
    );
  }

  /** The stored events of a run, including any still buffered. */
  async readEvents(id: string): Promise<StoredEvents> {
    await this.flushEvents(id);
    const file = path.join(this.runDir(id), 'events.ndjson');
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await this.readRecord(id); // a clear "no such run" when the whole run is missing
      return { events: [], skippedLines: 0, truncatedTail: false };
    }
    const lines = text.split('\n');
    const tail = lines.pop() ?? '';
    const result: StoredEvents = { events: [], skippedLines: 0, truncatedTail: false };
    for (const line of lines) {
      if (!line.trim()) continue;
      const event = parseEventLine(line);
      if (event) result.events.push(event);
      else result.skippedLines += 1;
    }
    if (tail.trim()) {
      const event = parseEventLine(tail);
      if (event) result.events.push(event);
      else result.truncatedTail = true;
    }
    return result;
  }

  /**
   * Marks runs left queued, running or paused by a process that is gone as `interrupted`, keeping
   * everything they stored, and returns their ids. Runs claimed by a live process are left alone.
   */
  async markInterruptedRuns(now: Date = new Date()): Promise<string[]> {
    const { runs } = await this.listRuns();
    const interrupted: string[] = [];
    for (const record of runs) {
      if (!unfinishedStates.includes(record.state) || (await this.claimedByLiveProcess(record.id))) continue;
      const { events } = await this.readEvents(record.id);
      const lastStep = events.reduce((step, event) => Math.max(step, event.step), record.step);
      // run.json is written every few seconds; the checkpoint folder knows its own step.
      const checkpointStep = (await this.checkpointStep(record.id)) ?? undefined;
      const resumable = checkpointStep === undefined ? '' : ` It can resume from its checkpoint at step ${checkpointStep}.`;
      const message = `The process training this run ended before it finished (it was ${record.state} at step ${lastStep}).${resumable}`;
      this.appendEvent({ type: 'status', runId: record.id, step: lastStep, time: now.getTime(), state: 'interrupted', message });
      await this.flushEvents(record.id);
      await this.writeRecord({ ...record, state: 'interrupted', message, step: lastStep, checkpointStep, finishedAt: record.finishedAt ?? now.toISOString() });
      interrupted.push(record.id);
    }
    return interrupted;
  }

  /** Writes everything buffered and stops the flush timer. */
  async close(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    await this.flushEvents();
    await Promise.all(this.chains.values());
  }

  private async claimedByLiveProcess(id: string): Promise<boolean> {
    let owner: { pid?: unknown; storeId?: unknown };
    try {
      owner = JSON.parse(await fs.readFile(path.join(this.runDir(id), ownerFile), 'utf8'));
    } catch {
      return false;
    }
    if (owner.storeId === this.storeId) return true;
    // Another store of this very process is a previous session that was abandoned (one store per process in the shells).
    if (typeof owner.pid !== 'number' || owner.pid === process.pid) return false;
    try {
      process.kill(owner.pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  }

  /** True once if a previous process died mid-line, so the next append starts on a new line. */
  private async endsMidLine(id: string, file: string): Promise<boolean> {
    if (this.tailChecked.has(id)) return false;
    this.tailChecked.add(id);
    let handle: import('node:fs/promises').FileHandle | undefined;
    try {
      handle = await fs.open(file, 'r');
      const { size } = await handle.stat();
      if (size === 0) return false;
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      return last[0] !== 0x0a;
    } catch {
      return false;
    } finally {
      await handle?.close();
    }
  }

  private enqueue(id: string, task: () => Promise<void>): Promise<void> {
    const previous = this.chains.get(id) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(task);
    this.chains.set(id, next);
    const forget = () => {
      if (this.chains.get(id) === next) this.chains.delete(id);
    };
    next.then(forget, forget);
    return next;
  }
}

function parseRecord(id: string, text: string): RunRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new RunStoreError(`runs/${id}/run.json is not valid JSON (${(error as Error).message}); the file was left as it is.`);
  }
  const parsed = runRecordSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.map(String).join('.')}: ` : '';
    throw new RunStoreError(`runs/${id}/run.json is not a valid run record (${where}${issue?.message}); the file was left as it is.`);
  }
  if (parsed.data.id !== id) {
    throw new RunStoreError(`runs/${id}/run.json names run "${parsed.data.id}", not its folder "${id}"; the file was left as it is.`);
  }
  return parsed.data;
}

function parseEventLine(line: string): RunEvent | null {
  try {
    const parsed = runEventSchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Write to a unique temporary file in the same folder, fsync, then rename over the target. */
async function writeFileAtomically(file: string, text: string): Promise<void> {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await fs.open(temporary, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(temporary, file);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
}
