/**
 * A run the manager has not finished (queued, training or paused): its live record and what keeps
 * run.json and the checkpoint folder in step with it. run.json is rewritten at once on a state
 * change and at most every `recordWriteIntervalMs` for progress; checkpoints are written in the
 * order the worker sent them, and the final run.json waits for them.
 */
import type { RunRecord } from '../../core/contract/workbenchApi';
import type { SerializedCheckpoint } from '../../core/training/checkpoint';
import type { RunStore } from './runStore';

export interface RunPersistence {
  store: RunStore;
  recordWriteIntervalMs: number;
  warn(message: string): void;
}

export class ActiveRun {
  /** Set once the manager has begun to finish the run, so a second end (worker exit after done) is ignored. */
  finishing = false;
  /** Set when a write of the run's folder failed: the run is being stopped and ends `failed` with this message. */
  failure: string | undefined;
  private checkpointWrites: Promise<void> = Promise.resolve();
  private lastRecordWrite = Date.now();
  private recordWriteTimer: NodeJS.Timeout | null = null;

  constructor(
    /** Changed in place (never replaced): the manager and the writes here share it. */
    readonly record: RunRecord,
    private readonly persistence: RunPersistence,
    /** The checkpoint a resumed run starts from, held until it is handed to a worker. */
    public resumeFrom?: SerializedCheckpoint,
  ) {}

  writeRecordNow(): void {
    if (this.recordWriteTimer) clearTimeout(this.recordWriteTimer);
    this.recordWriteTimer = null;
    this.lastRecordWrite = Date.now();
    this.persistence.store
      .writeRecord({ ...this.record })
      .catch((error) => this.persistence.warn(`Could not update run.json of "${this.record.id}": ${String(error)}`));
  }

  writeRecordSoon(): void {
    if (this.recordWriteTimer || this.finishing) return;
    const wait = Math.max(0, this.lastRecordWrite + this.persistence.recordWriteIntervalMs - Date.now());
    this.recordWriteTimer = setTimeout(() => {
      this.recordWriteTimer = null;
      if (!this.finishing) this.writeRecordNow();
    }, wait);
    this.recordWriteTimer.unref();
  }

  /**
   * Stores a checkpoint the worker sent; run.json learns its step once it is on disk. The run's
   * buffered events are flushed first, so the event log on disk always reaches at least the
   * checkpoint's step: a resumed run's log has no hole.
   */
  storeCheckpoint(checkpoint: SerializedCheckpoint): void {
    const id = this.record.id;
    const { store } = this.persistence;
    this.checkpointWrites = this.checkpointWrites.then(() =>
      // Sequential: a checkpoint is written only once the events up to it are on disk.
      store
        .flushEvents(id, { durable: true })
        .then(() => store.writeCheckpoint(id, checkpoint))
        .then(
          (manifest) => {
            this.record.checkpointStep = manifest.step;
            this.writeRecordSoon();
          },
          (error) =>
            this.persistence.warn(
              `The checkpoint of run "${id}" at step ${checkpoint.manifest.step} could not be written: ${error instanceof Error ? error.message : String(error)}`,
            ),
        ),
    );
  }

  /** Resolves once every checkpoint handed over so far is written (or has failed and was warned about). */
  checkpointsWritten(): Promise<void> {
    return this.checkpointWrites;
  }

  /** Ends timed record writes and waits for checkpoint writes: the final run.json comes after them. */
  async settle(): Promise<void> {
    this.finishing = true;
    if (this.recordWriteTimer) clearTimeout(this.recordWriteTimer);
    this.recordWriteTimer = null;
    await this.checkpointWrites;
  }
}
