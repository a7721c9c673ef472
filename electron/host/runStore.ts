/**
 * Runs on disk: `runs/<id>/run.json` (the RunRecord), `runs/<id>/events.ndjson` (append-only, one
 * RunEvent per line, flushed at least every `flushIntervalMs` so a killed process loses at most that
 * much of the stream), `runs/<id>/checkpoint/` (the training state to resume from:
 * checkpointFiles.ts) and files of other services (`ood.json`, via writeRunFile).
 *
 * Every write of a run folder goes through this store's per-run queue and ./safeFiles (atomic
 * replace, fsync, no links followed); no file is read whole (run.json and manifests are bounded,
 * the event log streams: ./eventLog). A damaged run folder is listed as damaged with the reason and
 * never stops the store. A store opened read-only (another process owns the runs folder:
 * ./runsFolderLock) refuses every write with the reason. Sweep records (electron/host/sweepService)
 * live beside the runs as `runs/.sweeps/<sweep id>.json`, hidden from the run listing, written and
 * read the same way.
 */
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { runRecordSchema, type RunRecord } from '../../core/contract/workbenchApi';
import type { RunEvent, RunState } from '../../core/contract/runEvent';
import { posthocFitFile } from '../../core/contract/posthoc';
import { methods } from '../../core/methods/index';
import type { CheckpointManifest, SerializedCheckpoint } from '../../core/training/checkpoint';
import {
  CHECKPOINT_FOLDER,
  readCheckpointFiles,
  readCheckpointManifest,
  removeCheckpointLeftovers,
  writeCheckpointFiles,
} from './checkpointFiles';
import { EventThinner, lastStepInTail, parseEventLine, readLines } from './eventLog';
import { KeyedQueue } from './keyedQueue';
import { currentProcessIdentity, processIdentitySchema, processLiveness } from './processIdentity';
import type { RunsFolderLock } from './runsFolderLock';
import {
  describeFileType,
  isDiskFull,
  isTemporaryFileName,
  openRegularFileNoFollow,
  readFileBounded,
  syncFolder,
  UnsafeFileError,
  writeFileAtomically,
  writeNewFileSynced,
} from './safeFiles';

export class RunStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunStoreError';
  }
}

/** A run folder the store cannot use whole: why, and its record when run.json itself is readable. */
export interface DamagedRun {
  id: string;
  reason: string;
  record?: RunRecord;
}

export interface RunListing {
  /** Runs whose folder is whole. */
  runs: RunRecord[];
  /** Folders that are damaged (run.json missing or invalid, a link, a file that is not what it should be): left untouched on disk, reported to the user. */
  damaged: DamagedRun[];
}

export interface StoredEvents {
  events: RunEvent[];
  /** Complete lines that were not a valid RunEvent, or longer than any event (kept on disk, left out here). */
  skippedLines: number;
  /** The file ended in a partial line, as when a process dies mid-write; that line is left out. */
  truncatedTail: boolean;
  /** More events were stored than one read returns; they were thinned evenly (eventLog.ts, EVENT_READ_LIMITS). */
  thinned: boolean;
}

export type RunStoreAccess = { mode: 'read-write' } | { mode: 'read-only'; reason: string };

export interface RunStoreOptions {
  /** Longest time an appended event waits in memory before it is written. */
  flushIntervalMs?: number;
  /** read-write by default; read-only refuses every write with `reason`. */
  access?: RunStoreAccess;
  /** The lock of the runs folder this store owns: claims of other processes are then known dead, and close() releases it. */
  lock?: RunsFolderLock;
}

/** A write of a run's folder failed (the run cannot go on: its log or checkpoint would have holes). */
export type WriteFailureListener = (runId: string, error: Error) => void;

const runIdPattern = /^[A-Za-z0-9_.-]+$/;
const unfinishedStates: RunState[] = ['queued', 'running', 'paused'];
const finishedStates: RunState[] = ['completed', 'stopped', 'failed', 'interrupted'];
const recordFile = 'run.json';
const eventsFile = 'events.ndjson';
const ownerFile = 'owner.json';
/** Space set aside per unfinished run, given back when the disk is full so the run's end (run.json) can still be written. */
const reserveFile = '.reserve';
const RESERVE_BYTES = 256 * 1024;
const MAX_RECORD_BYTES = 1024 * 1024;
/** Events are appended in commits of at most this much: a failed append loses (cuts back) one chunk at most. */
const APPEND_CHUNK_BYTES = 64 * 1024;
const MAX_SIDE_FILE_BYTES = 64 * 1024 * 1024;
/**
 * Files other services store in a run folder through writeRunFile: the OOD and shift evaluations, and
 * one fit per post-hoc method of the registry (`posthoc-<method>.json`).
 */
const sideFiles = new Set([
  'ood.json',
  'shift.json',
  ...Object.values(methods)
    .filter((method) => method.capabilities.postHoc)
    .map((method) => posthocFitFile(method.id)),
]);
const creatingPrefix = '.creating-';
/** Sweep records: `runs/.sweeps/<id>.json` (a hidden folder, so never taken for a run). */
const sweepsFolder = '.sweeps';
const sweepIdPattern = /^sweep-[A-Za-z0-9_.-]+$/;
const MAX_SWEEP_RECORD_BYTES = 4 * 1024 * 1024;

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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

export class RunStore {
  private readonly flushIntervalMs: number;
  readonly access: RunStoreAccess;
  private readonly lock: RunsFolderLock | undefined;
  /** Identifies this store's claims on runs, so a restart can tell its own from a dead process's. */
  private readonly storeId = randomBytes(8).toString('hex');
  /** Lines appended but not yet on disk; removed only once written (a failed write keeps them). */
  private readonly pendingLines = new Map<string, string[]>();
  /** Per-run chain of file operations, so appends, record and checkpoint writes land in call order. */
  private readonly queue = new KeyedQueue();
  /** Runs whose events file is known to end at a line boundary (checked once per store). */
  private readonly tailChecked = new Set<string>();
  private readonly writeFailureListeners = new Set<WriteFailureListener>();
  /** Runs whose last write found the disk full: the timer no longer flushes them (see finishRecord). */
  private readonly diskFull = new Set<string>();
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly runsDir: string,
    options: RunStoreOptions = {},
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 500;
    this.access = options.access ?? { mode: 'read-write' };
    this.lock = options.lock;
  }

  get readOnly(): boolean {
    return this.access.mode === 'read-only';
  }

  /** Throws the store's read-only reason, naming what was refused. */
  assertWritable(action: string): void {
    if (this.access.mode === 'read-only') {
      throw new RunStoreError(
        `${this.access.reason} ${action} was refused: this process may not change the runs folder; do it in the process that owns it, or close that one and try again.`,
      );
    }
  }

  /** Calls `listener` when a queued write of a run fails (events, checkpoint, run.json); returns the unsubscribe function. */
  onWriteFailure(listener: WriteFailureListener): () => void {
    this.writeFailureListeners.add(listener);
    return () => this.writeFailureListeners.delete(listener);
  }

  runDir(id: string): string {
    if (!runIdPattern.test(id) || id === '.' || id === '..' || id.startsWith('.')) {
      throw new RunStoreError(
        `"${id}" is not a valid run id; a run id has only letters, digits, "_", "-" and "." and does not start with ".".`,
      );
    }
    return path.join(this.runsDir, id);
  }

  /**
   * Creates the run's folder whole or not at all: it is built under a hidden temporary name
   * (run.json, an empty events file, this process's claim, the disk reserve) and renamed into
   * place, so a full disk or a crash never leaves a folder without run.json.
   */
  async createRun(record: RunRecord): Promise<void> {
    this.assertWritable(`Creating run "${record.id}"`);
    const valid = runRecordSchema.parse(record);
    const dir = this.runDir(valid.id);
    await fs.mkdir(this.runsDir, { recursive: true });
    if (await pathExists(dir))
      throw new RunStoreError(`A run with id "${valid.id}" already exists in ${this.runsDir}.`);
    const building = path.join(this.runsDir, `${creatingPrefix}${valid.id}-${randomBytes(4).toString('hex')}`);
    try {
      await fs.mkdir(building);
      await writeNewFileSynced(path.join(building, eventsFile), '');
      await writeNewFileSynced(path.join(building, ownerFile), this.claimText());
      await writeNewFileSynced(path.join(building, recordFile), recordText(valid));
      await writeNewFileSynced(path.join(building, reserveFile), Buffer.alloc(RESERVE_BYTES)).catch(() => undefined); // best effort
      if (await pathExists(dir))
        throw new RunStoreError(`A run with id "${valid.id}" already exists in ${this.runsDir}.`);
      await fs.rename(building, dir);
      await syncFolder(this.runsDir); // the new folder's name survives a power cut
    } catch (error) {
      await fs.rm(building, { recursive: true, force: true }).catch(() => undefined);
      throw this.describeWriteError(error, valid.id, 'the new run folder');
    }
    this.tailChecked.add(valid.id);
  }

  /** Marks the run as this process's (a new or resumed run), so a restart can tell a dead owner from a live one. */
  async claimRun(id: string): Promise<void> {
    this.assertWritable(`Claiming run "${id}"`);
    const dir = this.runDir(id);
    return this.enqueue(id, 'the claim of this process', async () => {
      await assertRunFolder(dir, id);
      await writeFileAtomically(path.join(dir, ownerFile), this.claimText());
      await writeNewFileSynced(path.join(dir, reserveFile), Buffer.alloc(RESERVE_BYTES)).catch(() => undefined); // best effort; may exist
      this.diskFull.delete(id);
    });
  }

  /**
   * Removes a run's folder with everything in it. The check (no live workbench process, this one
   * included, has claimed the run) and the removal happen in the run's queue, so a claim made
   * meanwhile (a resume) either comes first and the delete is refused, or comes after and fails.
   */
  async deleteRun(id: string): Promise<void> {
    this.assertWritable(`Deleting run "${id}"`);
    const dir = this.runDir(id);
    return this.queue.run(id, async () => {
      let stats: import('node:fs').Stats;
      try {
        stats = await fs.lstat(dir);
      } catch (error) {
        if (codeOf(error) === 'ENOENT') throw new RunStoreError(`There is no run "${id}" in ${this.runsDir}.`);
        throw error;
      }
      // A link is removed as a link (fs.rm never follows one); the folder it points to is not touched.
      if (!stats.isDirectory() && !stats.isSymbolicLink())
        throw new RunStoreError(`"${id}" in ${this.runsDir} is not a run folder; it was left alone.`);
      if (stats.isDirectory() && (await this.claimedByLiveProcess(id))) {
        throw new RunStoreError(
          `Run "${id}" is queued or training in a running workbench; stop it before deleting it.`,
        );
      }
      this.pendingLines.delete(id);
      await fs.rm(dir, { recursive: true, force: true });
      this.tailChecked.delete(id);
    });
  }

  /** Stores the run's newest checkpoint atomically (after the run's earlier file operations). */
  async writeCheckpoint(id: string, checkpoint: SerializedCheckpoint): Promise<CheckpointManifest> {
    this.assertWritable(`Writing the checkpoint of run "${id}"`);
    const dir = this.runDir(id);
    let stored: CheckpointManifest | undefined;
    return this.enqueue(id, `the checkpoint at step ${checkpoint.manifest.step}`, async () => {
      await assertRunFolder(dir, id);
      stored = await writeCheckpointFiles(dir, checkpoint);
    }).then(() => stored!);
  }

  /** The run's checkpoint, verified whole, or null when it has none. */
  async readCheckpoint(id: string): Promise<SerializedCheckpoint | null> {
    const dir = this.runDir(id);
    let checkpoint: SerializedCheckpoint | null = null;
    await this.queue.run(id, async () => {
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

  /** Replaces run.json atomically; a finished state also releases this process's claim (and disk reserve). */
  async writeRecord(record: RunRecord): Promise<void> {
    this.assertWritable(`Changing run "${record.id}"`);
    const valid = runRecordSchema.parse(record);
    const dir = this.runDir(valid.id);
    return this.enqueue(valid.id, 'run.json', async () => {
      await assertRunFolder(dir, valid.id);
      await writeFileAtomically(path.join(dir, recordFile), recordText(valid));
      if (finishedStates.includes(valid.state)) {
        await fs.rm(path.join(dir, ownerFile), { force: true });
        await fs.rm(path.join(dir, reserveFile), { force: true });
      }
    });
  }

  /**
   * Writes a finished run's last events and its final run.json. After a full disk the run's reserve
   * is given back first and run.json goes before the events: the run's end (state and reason) must
   * land; the buffered events follow in chunks, as many as fit, and stay buffered otherwise.
   */
  async finishRecord(record: RunRecord): Promise<void> {
    if (!this.diskFull.has(record.id)) {
      await this.flushEvents(record.id, { durable: true });
      await this.writeRecord(record);
      return;
    }
    await this.queue.run(record.id, () => this.releaseReserve(record.id));
    await this.writeRecord(record);
    await this.flushEvents(record.id, { durable: true });
  }

  /** True once a write of the run failed for want of space (its end goes through finishRecord's disk-full path). */
  hasFullDisk(id: string): boolean {
    return this.diskFull.has(id);
  }

  /**
   * Stores a file of another service (`ood.json`) in the run's folder: atomically, in the run's
   * queue, never through a link. Only the names in `sideFiles` are accepted.
   */
  async writeRunFile(id: string, name: string, bytes: string | Uint8Array): Promise<void> {
    this.assertWritable(`Writing ${name} of run "${id}"`);
    if (!sideFiles.has(name))
      throw new RunStoreError(
        `"${name}" is not a file other services may store in a run folder; expected one of ${[...sideFiles].join(', ')}.`,
      );
    const dir = this.runDir(id);
    return this.enqueue(id, name, async () => {
      await assertRunFolder(dir, id);
      await writeFileAtomically(path.join(dir, name), bytes);
    });
  }

  /**
   * A file written by writeRunFile (bounded by `maxBytes`, 64 MB unless a smaller cap is given; no
   * link followed), or null when the run has none.
   */
  async readRunFile(id: string, name: string, maxBytes = MAX_SIDE_FILE_BYTES): Promise<Buffer | null> {
    if (!sideFiles.has(name))
      throw new RunStoreError(
        `"${name}" is not a file other services store in a run folder; expected one of ${[...sideFiles].join(', ')}.`,
      );
    try {
      return await readFileBounded(path.join(this.runDir(id), name), Math.min(maxBytes, MAX_SIDE_FILE_BYTES));
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return null;
      throw new RunStoreError(`runs/${id}/${name} cannot be read: ${messageOf(error)}`);
    }
  }

  async readRecord(id: string): Promise<RunRecord> {
    const dir = this.runDir(id);
    const file = path.join(dir, recordFile);
    let text: string;
    try {
      const stats = await fs.lstat(dir);
      if (stats.isSymbolicLink())
        throw new RunStoreError(
          `runs/${id} is a symbolic link; run folders are never followed through links. Replace it with the folder itself.`,
        );
      if (!stats.isDirectory())
        throw new RunStoreError(
          `There is no run "${id}" in ${this.runsDir} (runs/${id} is ${describeFileType(stats)}).`,
        );
      text = (await readFileBounded(file, MAX_RECORD_BYTES)).toString('utf8');
    } catch (error) {
      if (error instanceof RunStoreError) throw error;
      if (codeOf(error) === 'ENOENT') {
        if (await pathExists(dir))
          throw new RunStoreError(
            `runs/${id} has no run.json (its creation did not finish, or it is not a run folder); the folder was left as it is.`,
          );
        throw new RunStoreError(`There is no run "${id}" in ${this.runsDir}.`);
      }
      throw new RunStoreError(`runs/${id}/run.json cannot be read: ${messageOf(error)}`);
    }
    return parseRecord(id, text);
  }

  /**
   * Every run, newest first. A folder that cannot be used whole is listed as damaged with the
   * reason (never fatal); hidden entries (the lock, folders being created) are not runs.
   */
  async listRuns(): Promise<RunListing> {
    const listing: RunListing = { runs: [], damaged: [] };
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(this.runsDir, { withFileTypes: true });
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return listing;
      throw new RunStoreError(`The runs folder ${this.runsDir} cannot be read: ${messageOf(error)}`);
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.') || !runIdPattern.test(entry.name)) continue;
      if (!entry.isDirectory() && !entry.isSymbolicLink()) continue;
      const inspected = await this.inspectRun(entry.name);
      if ('reason' in inspected) listing.damaged.push(inspected);
      else listing.runs.push(inspected.record);
    }
    const newestFirst = (a: { createdAt: string }, b: { createdAt: string }) =>
      a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0;
    listing.runs.sort(newestFirst);
    listing.damaged.sort((a, b) => a.id.localeCompare(b.id));
    return listing;
  }

  /** Stores a sweep's record (JSON text) atomically as runs/.sweeps/<id>.json, after the sweep's earlier writes. */
  async writeSweepRecord(id: string, text: string): Promise<void> {
    this.assertWritable(`Recording sweep "${id}"`);
    const file = this.sweepFile(id);
    return this.queue.run(`${sweepsFolder}/${id}`, async () => {
      const dir = path.dirname(file);
      await fs.mkdir(dir, { recursive: true });
      const stats = await fs.lstat(dir);
      if (!stats.isDirectory())
        throw new RunStoreError(
          `runs/${sweepsFolder} is ${describeFileType(stats)}, not a folder; sweeps cannot be recorded until it is replaced.`,
        );
      await writeFileAtomically(file, text);
    });
  }

  /** A sweep's record as text (bounded, no link followed), or null when there is none. */
  async readSweepRecord(id: string): Promise<string | null> {
    try {
      return (await readFileBounded(this.sweepFile(id), MAX_SWEEP_RECORD_BYTES)).toString('utf8');
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return null;
      throw new RunStoreError(`runs/${sweepsFolder}/${id}.json cannot be read: ${messageOf(error)}`);
    }
  }

  /** Ids of the recorded sweeps (files named like one; the folder itself is never followed through a link). */
  async listSweepIds(): Promise<string[]> {
    const dir = path.join(this.runsDir, sweepsFolder);
    try {
      if (!(await fs.lstat(dir)).isDirectory()) return [];
      const names = await fs.readdir(dir);
      return names
        .filter((name) => name.endsWith('.json') && sweepIdPattern.test(name.slice(0, -5)))
        .map((name) => name.slice(0, -5))
        .sort();
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return [];
      throw new RunStoreError(`The sweeps folder runs/${sweepsFolder} cannot be read: ${messageOf(error)}`);
    }
  }

  private sweepFile(id: string): string {
    if (!sweepIdPattern.test(id))
      throw new RunStoreError(
        `"${id}" is not a valid sweep id; a sweep id starts with "sweep-" and has only letters, digits, "_", "-" and ".".`,
      );
    return path.join(this.runsDir, sweepsFolder, `${id}.json`);
  }

  /** Buffers one event for `events.ndjson`; it is on disk within `flushIntervalMs`. */
  appendEvent(event: RunEvent): void {
    this.assertWritable(`Recording an event of run "${event.runId}"`);
    this.runDir(event.runId);
    const lines = this.pendingLines.get(event.runId) ?? [];
    lines.push(`${JSON.stringify(event)}\n`);
    this.pendingLines.set(event.runId, lines);
    if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        // Failures reach the write-failure listeners (the run manager fails the run); the lines stay buffered.
        void this.flushEvents().catch(() => undefined);
      }, this.flushIntervalMs);
      this.flushTimer.unref();
    }
  }

  /**
   * Writes buffered events of one run (or of all runs) and resolves when they are on disk. A
   * failed write keeps the lines buffered and cuts the file back to where it was, so a retry
   * neither loses nor duplicates an event. `durable` also fsyncs the log (before a checkpoint and at
   * a run's end; the timer's flushes every 0.5 s do not, which survives a killed process, not a power cut).
   */
  async flushEvents(id?: string, { durable = false } = {}): Promise<void> {
    // The timer's flush (no id) leaves a run whose disk is full alone: its end is written by finishRecord.
    const ids = id === undefined ? [...this.pendingLines.keys()].filter((runId) => !this.diskFull.has(runId)) : [id];
    await Promise.all(
      ids.map((runId) => {
        // Nothing buffered: a durable flush still fsyncs what earlier (timer) flushes appended.
        if (!this.pendingLines.get(runId)?.length)
          return this.queue.run(runId, async () => (durable ? this.syncLog(runId) : undefined));
        return this.enqueue(runId, 'events.ndjson', async () => {
          const lines = this.pendingLines.get(runId);
          // In chunks, each committed on its own: a full disk keeps the chunks that fit.
          while (lines?.length) {
            let count = 0;
            let bytes = 0;
            while (count < lines.length && (count === 0 || bytes + lines[count].length <= APPEND_CHUNK_BYTES))
              bytes += lines[count++].length;
            await this.appendLines(runId, lines.slice(0, count), durable);
            lines.splice(0, count);
          }
          if (lines && this.pendingLines.get(runId) === lines) this.pendingLines.delete(runId);
        });
      }),
    );
  }

  /**
   * The stored events of a run, including any still buffered, read as a stream: lines longer than
   * any event are skipped, and a long run is thinned to EVENT_READ_LIMITS (every kind keeps its
   * last events). Throws a clear error when the log is not a regular file.
   */
  async readEvents(id: string): Promise<StoredEvents> {
    if (!this.readOnly) await this.flushEvents(id);
    const dir = this.runDir(id);
    const file = path.join(dir, eventsFile);
    const result: StoredEvents = { events: [], skippedLines: 0, truncatedTail: false, thinned: false };
    let opened: Awaited<ReturnType<typeof openRegularFileNoFollow>>;
    try {
      opened = await openRegularFileNoFollow(file);
    } catch (error) {
      if (codeOf(error) !== 'ENOENT')
        throw new RunStoreError(
          `The event log of run "${id}" cannot be read: ${messageOf(error)} The run is listed as damaged; its other files were left as they are.`,
        );
      await this.readRecord(id); // a clear "no such run" when the whole run is missing
      return result;
    }
    const thinner = new EventThinner();
    try {
      const tail = await readLines(opened.handle, {
        line(text) {
          if (!text.trim()) return;
          const event = parseEventLine(text);
          if (event) thinner.add(event);
          else result.skippedLines += 1;
        },
        overlong() {
          result.skippedLines += 1;
        },
      });
      if (tail.trim()) {
        const event = parseEventLine(tail);
        if (event) thinner.add(event);
        else result.truncatedTail = true;
      }
    } catch (error) {
      throw new RunStoreError(`The event log of run "${id}" cannot be read: ${messageOf(error)}`);
    } finally {
      await opened.handle.close();
    }
    result.events = thinner.events();
    result.thinned = thinner.thinned;
    return result;
  }

  /**
   * Marks runs left queued, running or paused by a process that is gone as `interrupted`, keeping
   * everything they stored, and returns their ids; also removes what unfinished writes of dead
   * processes left (temporary files, folders being created). Runs claimed by a live process are
   * left alone. A run that cannot be updated (read-only disk, damaged folder) is reported through
   * `problems` and skipped: one run never stops the others.
   */
  async markInterruptedRuns(
    now: Date = new Date(),
    problems: (id: string, reason: string) => void = () => undefined,
    /** Runs to leave as they are (remote runs, which go on on their queue workers). */
    keep: (record: RunRecord) => boolean = () => false,
  ): Promise<string[]> {
    this.assertWritable('Marking unfinished runs as interrupted');
    await this.removeCreationLeftovers();
    const { runs, damaged } = await this.listRuns();
    const candidates = [...runs, ...damaged.flatMap((run) => (run.record ? [run.record] : []))];
    const interrupted: string[] = [];
    for (const record of candidates) {
      if (!unfinishedStates.includes(record.state) || keep(record)) continue;
      try {
        if (await this.claimedByLiveProcess(record.id)) continue;
        await this.removeWriteLeftovers(record.id);
        const lastStep = Math.max(record.step, (await this.lastLoggedStep(record.id)) ?? 0);
        // run.json is written every few seconds; the checkpoint folder knows its own step.
        const checkpointStep = (await this.checkpointStep(record.id)) ?? undefined;
        const resumable =
          checkpointStep === undefined ? '' : ` It can resume from its checkpoint at step ${checkpointStep}.`;
        const message = `The process training this run ended before it finished (it was ${record.state} at step ${lastStep}).${resumable}`;
        if (!damaged.some((run) => run.id === record.id)) {
          this.appendEvent({
            type: 'status',
            runId: record.id,
            step: lastStep,
            time: now.getTime(),
            state: 'interrupted',
            message,
          });
          await this.flushEvents(record.id);
        }
        await this.writeRecord({
          ...record,
          state: 'interrupted',
          message,
          step: lastStep,
          checkpointStep,
          finishedAt: record.finishedAt ?? now.toISOString(),
        });
        interrupted.push(record.id);
      } catch (error) {
        this.pendingLines.delete(record.id);
        problems(
          record.id,
          `Run "${record.id}" was left ${record.state} by a process that ended, but could not be marked interrupted: ${messageOf(error)}`,
        );
      }
    }
    return interrupted;
  }

  /** Writes everything buffered, stops the flush timer and releases the runs folder's lock. */
  async close(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (!this.readOnly) await this.flushEvents().catch(() => undefined);
    await this.queue.idle();
    await this.lock?.release();
  }

  /** The store's view of one run folder: whole, or damaged with the reason. */
  private async inspectRun(id: string): Promise<{ record: RunRecord } | DamagedRun> {
    let record: RunRecord;
    try {
      record = await this.readRecord(id);
    } catch (error) {
      return { id, reason: messageOf(error) };
    }
    const dir = this.runDir(id);
    const expectations: [string, 'file' | 'folder'][] = [
      [eventsFile, 'file'],
      [CHECKPOINT_FOLDER, 'folder'],
      [ownerFile, 'file'],
      ...[...sideFiles].map((name): [string, 'file'] => [name, 'file']),
    ];
    for (const [name, kind] of expectations) {
      let stats: import('node:fs').Stats;
      try {
        stats = await fs.lstat(path.join(dir, name));
      } catch (error) {
        if (codeOf(error) === 'ENOENT') continue;
        return { id, record, reason: `runs/${id}/${name} cannot be inspected: ${messageOf(error)}` };
      }
      const fits = kind === 'file' ? stats.isFile() : stats.isDirectory();
      if (!fits) {
        const what = stats.isSymbolicLink()
          ? 'a symbolic link (links inside a run folder are never followed)'
          : describeFileType(stats);
        return {
          id,
          record,
          reason: `runs/${id}/${name} is ${what}, not a ${kind}; the run cannot be used until it is replaced.`,
        };
      }
    }
    return { record };
  }

  /** Appends to the log (opened without following links); on failure cuts it back to its old end. */
  /** Best effort: fsyncs the run's log; a missing or damaged log is left to the next write to report. */
  private async syncLog(runId: string): Promise<void> {
    try {
      const { handle } = await openRegularFileNoFollow(path.join(this.runDir(runId), eventsFile));
      await handle.sync().finally(() => handle.close());
    } catch {
      // nothing to make durable
    }
  }

  /** `durable`: fsync after the write (before a checkpoint or a run's end, so the log on disk reaches them). */
  private async appendLines(runId: string, lines: string[], durable: boolean): Promise<void> {
    const file = path.join(this.runDir(runId), eventsFile);
    const handle = await fs.open(
      file,
      constants.O_RDWR | constants.O_APPEND | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0),
    );
    try {
      const stats = await handle.stat();
      if (!stats.isFile())
        throw new UnsafeFileError(`${file} is ${describeFileType(stats)}, not a regular file.`, 'not-regular');
      const separator = !this.tailChecked.has(runId) && (await endsMidLine(handle, stats.size)) ? '\n' : '';
      this.tailChecked.add(runId);
      try {
        await handle.writeFile(separator + lines.join(''));
        if (durable) await handle.sync();
      } catch (error) {
        // Part of the text may be on disk: cut it off, so the retry writes every line once.
        await handle.truncate(stats.size).catch(() => this.tailChecked.delete(runId));
        throw error;
      }
    } finally {
      await handle.close();
    }
  }

  /**
   * Runs a write of the run's folder in its queue. A failure is described (disk full said so),
   * reported to the write-failure listeners, and rejected. A full disk also stops the timer's
   * flushes of the run, so nothing eats the space its end needs (finishRecord).
   */
  private enqueue(id: string, what: string, task: () => Promise<void>): Promise<void> {
    return this.queue.run(id, async () => {
      try {
        await task();
      } catch (error) {
        const described = this.describeWriteError(error, id, what);
        if (isDiskFull(error)) this.diskFull.add(id);
        this.reportWriteFailure(id, described);
        throw described;
      }
    });
  }

  private reportWriteFailure(id: string, error: Error): void {
    for (const listener of this.writeFailureListeners) listener(id, error);
  }

  private describeWriteError(error: unknown, id: string, what: string): Error {
    if (error instanceof RunStoreError) return error;
    if (isDiskFull(error)) {
      return new RunStoreError(
        `Disk full: ${what} of run "${id}" could not be written to ${this.runsDir} (${codeOf(error)}); everything stored before is kept. Free some space, then resume the run from its checkpoint.`,
      );
    }
    return new RunStoreError(`${what} of run "${id}" could not be written to ${this.runsDir}: ${messageOf(error)}`);
  }

  /** Deletes the run's disk reserve; true if there was one to give back. */
  private async releaseReserve(id: string): Promise<boolean> {
    const file = path.join(this.runDir(id), reserveFile);
    try {
      if (!(await fs.lstat(file)).isFile()) return false;
      await fs.rm(file);
      return true;
    } catch {
      return false;
    }
  }

  private claimText(): string {
    return `${JSON.stringify({ ...currentProcessIdentity(), storeId: this.storeId })}\n`;
  }

  private async claimedByLiveProcess(id: string): Promise<boolean> {
    let owner: unknown;
    try {
      owner = JSON.parse((await readFileBounded(path.join(this.runDir(id), ownerFile), 4096)).toString('utf8'));
    } catch {
      return false;
    }
    if ((owner as { storeId?: unknown }).storeId === this.storeId) return true;
    // The owner of the runs folder's lock is the only process that trains its runs: any other claim is a dead one's.
    if (this.lock) return false;
    const identity = processIdentitySchema.safeParse(owner);
    if (!identity.success) return false;
    // Another store of this very process is a previous session that was abandoned (one store per process in the shells).
    if (identity.data.pid === process.pid) return false;
    return processLiveness(identity.data) !== 'dead';
  }

  /** The last step in the log's tail (the log is not read whole), or null. */
  private async lastLoggedStep(id: string): Promise<number | null> {
    let opened: Awaited<ReturnType<typeof openRegularFileNoFollow>>;
    try {
      opened = await openRegularFileNoFollow(path.join(this.runDir(id), eventsFile));
    } catch {
      return null;
    }
    try {
      return await lastStepInTail(opened.handle, opened.size);
    } finally {
      await opened.handle.close();
    }
  }

  /** Temporary files of writes a dead process did not finish, and its disk reserve. */
  private async removeWriteLeftovers(id: string): Promise<void> {
    const dir = this.runDir(id);
    await this.queue.run(id, async () => {
      for (const name of await fs.readdir(dir)) {
        if (isTemporaryFileName(name) || name === reserveFile) await fs.rm(path.join(dir, name), { force: true });
      }
      await removeCheckpointLeftovers(dir);
    });
  }

  /** Run folders a dead process was still building (hidden, never listed). */
  private async removeCreationLeftovers(): Promise<void> {
    let names: string[];
    try {
      names = await fs.readdir(this.runsDir);
    } catch {
      return;
    }
    for (const name of names) {
      if (name.startsWith(creatingPrefix))
        await fs.rm(path.join(this.runsDir, name), { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

function recordText(record: RunRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

async function pathExists(file: string): Promise<boolean> {
  try {
    await fs.lstat(file);
    return true;
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return false;
    throw error;
  }
}

/** A write into a run folder that was deleted or replaced by a link must fail, not recreate or follow it. */
async function assertRunFolder(dir: string, id: string): Promise<void> {
  let stats: import('node:fs').Stats;
  try {
    stats = await fs.lstat(dir);
  } catch (error) {
    if (codeOf(error) === 'ENOENT')
      throw new RunStoreError(`The folder of run "${id}" is gone (${dir}); nothing was written.`);
    throw error;
  }
  if (!stats.isDirectory())
    throw new RunStoreError(
      `runs/${id} is ${stats.isSymbolicLink() ? 'a symbolic link' : describeFileType(stats)}; run folders are never written through links, so nothing was written.`,
    );
}

async function endsMidLine(handle: import('node:fs/promises').FileHandle, size: number): Promise<boolean> {
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  return last[0] !== 0x0a;
}

function parseRecord(id: string, text: string): RunRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new RunStoreError(
      `runs/${id}/run.json is not valid JSON (${(error as Error).message}); the file was left as it is.`,
    );
  }
  const parsed = runRecordSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.map(String).join('.')}: ` : '';
    throw new RunStoreError(
      `runs/${id}/run.json is not a valid run record (${where}${issue?.message}); the file was left as it is.`,
    );
  }
  if (parsed.data.id !== id) {
    throw new RunStoreError(
      `runs/${id}/run.json names run "${parsed.data.id}", not its folder "${id}"; the file was left as it is.`,
    );
  }
  return parsed.data;
}
