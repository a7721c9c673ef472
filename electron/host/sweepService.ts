/**
 * Sweeps on the host: a sweep file is expanded and every configuration validated (core/sweeps)
 * before anything runs; the sweep is recorded in the runs folder (runs/.sweeps/<id>.json, through
 * the run store's atomic writes and bounded reads) and its runs are started through the run
 * manager, each tagged with the sweep's id and name in its run.json. Progress is never stored: it
 * is derived from the runs' own records each time it is asked for, so it survives a restart and
 * agrees with the run list. Knows nothing of transports, and nothing of where a run trains beyond
 * passing `runOn` through to startRun.
 */
import { randomBytes } from 'node:crypto';
import type { RunConfig } from '../../core/contract/runConfig';
import { sweepRecordSchema, type SweepRecord, type SweepStatus } from '../../core/contract/sweep';
import type { RunRecord } from '../../core/contract/workbenchApi';
import { runBudgetProblems } from '../../core/experiments/budgets';
import { hostPathsOf } from '../../core/experiments/registry';
import { createSweepId, expandSweep, valueAt, type ExpandedSweep } from '../../core/sweeps/expandSweep';
import { parseSweepFile, SweepError, type SweepFile } from '../../core/sweeps/sweepFile';
import { sweepStatus } from '../../core/sweeps/sweepProgress';
import type { RunManager, StartRunRequest } from './runManager';
import type { RunStore } from './runStore';

export class SweepServiceError extends Error {
  override name = 'SweepServiceError';
}

export interface SweepServiceOptions {
  runs: Pick<RunManager, 'startRun' | 'listRuns'>;
  store: Pick<RunStore, 'writeSweepRecord' | 'readSweepRecord' | 'listSweepIds' | 'assertWritable'>;
  warn?(message: string): void;
}

export interface StartSweepOptions {
  /**
   * The caller may start runs that read host folders (the desktop app, the CLI); a browser-shell
   * token holder may not (DESIGN.md, security model), and a sweep that would is refused whole.
   */
  allowHostPaths?: boolean;
}

/** Where a run was trained, as the CLI's JSON and the sweep view say it: the queue worker's name, or `local`. */
export function workerOf(record: Pick<RunRecord, 'backend' | 'runOn' | 'worker'>): string {
  const backend = record.backend ? ` (${record.backend.name})` : '';
  if (record.runOn === 'queue') return `${record.worker ?? 'queue'}${backend}`;
  return `local${backend}`;
}

export class SweepService {
  constructor(private readonly options: SweepServiceOptions) {}

  /** Expands and checks a sweep file without starting anything (the form's preview, and startSweep's first half). */
  plan(file: unknown, options: StartSweepOptions = {}): { sweep: SweepFile; expanded: ExpandedSweep } {
    let sweep: SweepFile;
    let expanded: ExpandedSweep;
    try {
      sweep = parseSweepFile(file);
      expanded = expandSweep(sweep);
    } catch (error) {
      if (error instanceof SweepError) throw new SweepServiceError(error.message);
      throw error;
    }
    for (const run of expanded.runs) {
      const problems = runBudgetProblems(run.config as RunConfig);
      if (problems.length > 0)
        throw new SweepServiceError(
          `The sweep's run "${run.name}" is over the workbench's limits: ${problems.join(' ')}`,
        );
      const hostPaths = hostPathsOf(run.config);
      if (hostPaths.length > 0 && !options.allowHostPaths)
        throw new SweepServiceError(
          `This shell cannot start a sweep whose runs read the host folder ${JSON.stringify(hostPaths[0])}: the browser ` +
            'shell never takes host paths. Use a bundled dataset, or start the sweep with `npm run sweep`.',
        );
    }
    return { sweep, expanded };
  }

  /**
   * Records the sweep and queues its runs in order. A configuration that fails the checks starts
   * nothing; a run that cannot be created part-way (disk full) ends the start with what was
   * started recorded and named in the message.
   */
  async startSweep(file: unknown, options: StartSweepOptions = {}): Promise<SweepStatus> {
    this.options.store.assertWritable('Starting a sweep');
    const { sweep, expanded } = this.plan(file, options);
    const id = createSweepId(sweep.name, new Date(), randomSuffix());
    const record: SweepRecord = {
      id,
      name: sweep.name,
      createdAt: new Date().toISOString(),
      definition: sweep,
      keys: expanded.keys,
      runIds: [],
      groups: [],
    };
    // Recorded before any run starts, so a sweep whose host dies mid-start still lists (its runs carry its id).
    await this.writeRecord(record);
    const started: RunRecord[] = [];
    try {
      for (const run of expanded.runs) {
        const request: StartRunRequest & { runOn?: SweepFile['runOn'] } = {
          config: run.config,
          name: run.name,
          sweep: { sweepId: id, sweepName: sweep.name },
          ...(sweep.runOn ? { runOn: sweep.runOn } : {}),
        };
        started.push(await this.options.runs.startRun(request));
      }
    } finally {
      record.runIds = started.map((run) => run.id);
      record.groups = expanded.groups
        .map((group) => ({
          axisValues: group.axisValues,
          runIds: group.runIndices.filter((index) => index < started.length).map((index) => started[index].id),
        }))
        .filter((group) => group.runIds.length > 0);
      await this.writeRecord(record).catch((error: unknown) =>
        this.options.warn?.(`Sweep "${id}": its record could not be updated: ${(error as Error).message}`),
      );
    }
    return this.statusOf(record, started);
  }

  /** Every recorded sweep with its progress, newest first; an unreadable record is warned about and skipped. */
  async listSweeps(): Promise<SweepStatus[]> {
    const ids = await this.options.store.listSweepIds();
    if (ids.length === 0) return [];
    const runs = (await this.options.runs.listRuns()).runs;
    const sweeps: SweepStatus[] = [];
    for (const id of ids) {
      try {
        const record = await this.readRecord(id);
        if (record) sweeps.push(this.statusOf(record, runs));
      } catch (error) {
        this.options.warn?.((error as Error).message);
      }
    }
    return sweeps.sort((a, b) => (a.sweep.createdAt < b.sweep.createdAt ? 1 : -1));
  }

  async getSweep(id: string): Promise<SweepStatus> {
    const record = await this.readRecord(id);
    if (!record) throw new SweepServiceError(`There is no sweep "${id}" in this runs folder.`);
    return this.statusOf(record, (await this.options.runs.listRuns()).runs);
  }

  /**
   * The sweep's status from run records: its recorded runs, plus runs tagged with it that the
   * record missed (a host that died while starting them), each in its seed group.
   */
  private statusOf(record: SweepRecord, runs: readonly RunRecord[]): SweepStatus {
    const byId = new Map(runs.map((run) => [run.id, run]));
    const known = new Set(record.runIds);
    const stray = runs.filter((run) => run.sweep?.sweepId === record.id && !known.has(run.id));
    const whole = stray.length === 0 ? record : withStrayRuns(record, stray);
    return sweepStatus(whole, byId);
  }

  private async writeRecord(record: SweepRecord): Promise<void> {
    await this.options.store.writeSweepRecord(
      record.id,
      `${JSON.stringify(sweepRecordSchema.parse(record), null, 2)}\n`,
    );
  }

  private async readRecord(id: string): Promise<SweepRecord | null> {
    const text = await this.options.store.readSweepRecord(id);
    if (text === null) return null;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new SweepServiceError(
        `runs/.sweeps/${id}.json is not JSON (${(error as Error).message}); it was left as it is.`,
      );
    }
    const parsed = sweepRecordSchema.safeParse(value);
    if (!parsed.success)
      throw new SweepServiceError(
        `runs/.sweeps/${id}.json is not a sweep record (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}); it was left as it is.`,
      );
    return parsed.data;
  }
}

/** Runs tagged with the sweep but missing from its record, put into their seed groups by configuration. */
function withStrayRuns(record: SweepRecord, stray: readonly RunRecord[]): SweepRecord {
  const groups = record.groups.map((group) => ({ ...group, runIds: [...group.runIds] }));
  for (const run of [...stray].sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1))) {
    const axisValues = Object.fromEntries(record.keys.map((key) => [key, valueAt(run.config, key)]));
    const text = JSON.stringify(axisValues);
    const group = groups.find((candidate) => JSON.stringify(candidate.axisValues) === text);
    if (group) group.runIds.push(run.id);
    else groups.push({ axisValues, runIds: [run.id] });
  }
  return { ...record, runIds: [...record.runIds, ...stray.map((run) => run.id)], groups };
}

function randomSuffix(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(4), (byte) => alphabet[byte % alphabet.length]).join('');
}
