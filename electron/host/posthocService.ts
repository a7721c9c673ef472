/**
 * Post-hoc fits stored with their run (issue 11): temperature scaling and last-layer Laplace — every
 * method of the registry whose capabilities say `postHoc` — fitted to a stored run (`npm run evaluate
 * -- <method>`, or the compare view's "Fit …" buttons through the API) are kept as
 * `runs/<id>/posthoc-<method>.json`, written through the run store (atomic, in the run's queue, like
 * ood.json and shift.json) and read back with a size cap, never through a link. A file that is not a
 * valid fit is left out with a sentence saying why, and stays on disk untouched until a new fit
 * replaces it. The fit itself runs in a worker thread (electron/worker/posthocWorker.ts), one at a
 * time per run; this module knows nothing of transports and loads no tfjs.
 */
import { rawMethodOptions } from '../../core/contract/methodConfig';
import type { RunRecord } from '../../core/contract/workbenchApi';
import { posthocBaseOf } from '../../core/experiments/registry';
import { validateMethodCombination } from '../../core/methods/index';
import type { PosthocRequest } from '../worker/posthocWorker';
import { oodReferenceSets, type ReferenceSet } from './oodReferenceSets';
import { spawnWorker } from './trainingWorker';
import {
  POSTHOC_FIT_FORMAT,
  POSTHOC_FIT_MAX_BYTES,
  posthocFitFile,
  posthocFitSchema,
  type PosthocFit,
  type PosthocFits,
} from '../../core/contract/posthoc';
import { methods, type MethodId, type TaskKind } from '../../core/methods/index';

export class PosthocServiceError extends Error {
  override name = 'PosthocServiceError';
}

export interface PosthocStore {
  writeRunFile(id: string, name: string, bytes: string): Promise<void>;
  readRunFile(id: string, name: string, maxBytes?: number): Promise<Buffer | null>;
  readonly readOnly?: boolean;
}

/** The methods of the registry that are applied to a stored run. */
export const postHocMethodIds: readonly MethodId[] = Object.values(methods)
  .filter((method) => method.capabilities.postHoc)
  .map((method) => method.id);

/**
 * A fit as stored, from the result of a post-hoc evaluation (core/methods/posthoc, the worker's
 * answer to `evaluate`): the scores before and after, what was fitted, the validation size, the date.
 */
export function posthocFitOf(
  result: Record<string, unknown>,
  context: {
    runId: string;
    method: MethodId;
    baseMethod: MethodId;
    taskKind: TaskKind;
    createdAt: string;
    seconds?: number;
  },
): PosthocFit {
  const pick = <K extends keyof PosthocFit>(key: K) =>
    result[key] === undefined || result[key] === null ? {} : { [key]: result[key] };
  const parsed = posthocFitSchema.safeParse({
    format: POSTHOC_FIT_FORMAT,
    runId: context.runId,
    method: context.method,
    baseMethod: context.baseMethod,
    taskKind: context.taskKind,
    createdAt: context.createdAt,
    ...(context.seconds !== undefined ? { seconds: context.seconds } : {}),
    before: result.before,
    after: result.after,
    ...pick('checkpointStep'),
    ...(typeof result.backend === 'string' ? { backend: result.backend } : {}),
    ...pick('temperature'),
    ...pick('priorPrecision'),
    ...(typeof result.priorPrecisionRule === 'string' ? { priorPrecisionRule: result.priorPrecisionRule } : {}),
    ...(typeof result.hessian === 'string' ? { hessian: result.hessian } : {}),
    ...(typeof result.predictive === 'string' ? { predictive: result.predictive } : {}),
    ...pick('validationFraction'),
    ...pick('validationImages'),
    ...pick('heldoutImages'),
    ...pick('predictMsPerImage'),
    ...pick('ood'),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PosthocServiceError(
      `The ${methods[context.method].label} result of run "${context.runId}" cannot be stored: ${issue?.path.join('.') || 'the result'} ${issue?.message ?? 'is malformed'}.`,
    );
  }
  return parsed.data;
}

/** The post-hoc worker's entry: the .ts source under tsx (serve, CLI, tests), the bundle beside this one otherwise. */
export function defaultPosthocWorkerUrl(): URL {
  return import.meta.url.endsWith('.ts')
    ? new URL('../worker/posthocWorker.ts', import.meta.url)
    : new URL('./posthocWorker.js', import.meta.url);
}

/** Runs one post-hoc request in a worker thread of `workerUrl` and answers with its result. */
export function runPosthocWorker(workerUrl: URL, request: PosthocRequest): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const worker = spawnWorker(workerUrl, request);
    worker.once(
      'message',
      (message: { ok: true; result: Record<string, unknown> } | { ok: false; message: string }) => {
        void worker.terminate();
        if (message.ok) resolve(message.result);
        else reject(new PosthocServiceError(message.message));
      },
    );
    worker.once('error', reject);
    worker.once('exit', (code) =>
      reject(new PosthocServiceError(`The post-hoc worker stopped unexpectedly (exit code ${code}).`)),
    );
  });
}

export interface PosthocServiceOptions {
  store: PosthocStore & { runDir(id: string): string };
  /** The run records (fitting needs one; reading fits does not). */
  runs?: { getRun(id: string): Promise<RunRecord> };
  warn?(message: string): void;
  /** Where the post-hoc worker's entry is (default: defaultPosthocWorkerUrl()). */
  workerUrl?: URL;
  /** The OOD reference sets the fit separates from the held-out set (evaluate-ood's by default). */
  referenceSets?: () => Promise<{ sets: ReferenceSet[]; skipped: string[] }>;
}

/** What a fit gives back besides the stored fit: the worker's whole result (the CLI prints it). */
export interface PosthocOutcome {
  fit: PosthocFit;
  result: Record<string, unknown>;
  /** Why the fit was not stored (another process owns the runs folder), or null when it was. */
  notStored: string | null;
}

export class PosthocService {
  private readonly fitting = new Map<string, Promise<PosthocOutcome>>();

  constructor(private readonly options: PosthocServiceOptions) {}

  /**
   * Fits `method` (a post-hoc method of the registry, by id) to the stored run: refused
   * before anything runs when the combination makes no sense (validateMethodCombination, with what
   * would work); else the worker fits it and the fit is stored with the run, unless the runs folder
   * is read-only here (`notStored` says why). One fit at a time per run and method. With
   * `besideTrainingWorker` (the app's hosts, whose training worker may hold native TensorFlow, which
   * fails when a second thread of one process loads it) the fit runs on wasm (cpu if the run chose cpu).
   */
  fitPosthoc(
    runId: string,
    method: MethodId,
    options: { readOnlyReason?: string | null; besideTrainingWorker?: boolean } = {},
  ): Promise<PosthocOutcome> {
    const key = `${runId}\u0000${method}`;
    let running = this.fitting.get(key);
    if (!running) {
      running = this.fit(runId, method, options.readOnlyReason ?? null, options.besideTrainingWorker ?? false).finally(
        () => this.fitting.delete(key),
      );
      this.fitting.set(key, running);
    }
    return running;
  }

  private async fit(
    runId: string,
    methodId: MethodId,
    readOnlyReason: string | null,
    besideTrainingWorker: boolean,
  ): Promise<PosthocOutcome> {
    if (!this.options.runs) throw new PosthocServiceError('This host cannot fit post-hoc methods (it has no runs).');
    const record = await this.options.runs.getRun(runId);
    const config = besideTrainingWorker
      ? { ...record.config, backend: record.config.backend === 'cpu' ? ('cpu' as const) : ('wasm' as const) }
      : record.config;
    const method = methods[methodId];
    const base = posthocBaseOf(config);
    const { taskKind } = base;
    const combination = validateMethodCombination({ method: method.id, ...base });
    if (!combination.ok) throw new PosthocServiceError(combination.message);
    if (record.checkpointStep === undefined)
      throw new PosthocServiceError(
        `Run "${runId}" has no checkpoint yet; ${method.label} is fitted to a trained run's weights. Wait until it has one.`,
      );
    const runDir = this.options.store.runDir(runId);
    let request: PosthocRequest;
    if (taskKind === 'regression') {
      // validateMethodCombination lets only Laplace on a deterministic run through to here.
      request = {
        runDir,
        taskKind,
        config: config as Extract<PosthocRequest, { taskKind: 'regression' }>['config'],
        method: method.id as Extract<PosthocRequest, { taskKind: 'regression' }>['method'],
        options: combination.options,
      };
    } else {
      // The post-hoc fits take a run of images (validation split, held-out set, evaluation passes).
      if (!('evalDraws' in config))
        throw new PosthocServiceError(
          `Run "${runId}" is not a classification run of images; ${method.label} has nothing to rescale.`,
        );
      // evaluate-ood's reference sets, so the post-hoc predictive's OOD scores compare with the trained methods'
      // (Fashion-MNIST is not out of distribution for a run trained on it).
      const { sets, skipped } = await (this.options.referenceSets ?? oodReferenceSets)();
      for (const reason of skipped)
        this.options.warn?.(`The OOD scores of the ${method.label} fit leave out ${reason}.`);
      request = {
        runDir,
        taskKind: 'classification',
        config,
        method: method.id as 'temperatureScaling' | 'laplace',
        options: combination.options,
        oodSets: sets
          .filter((set) => !(config.dataset === 'fashion-mnist' && set.name === 'Fashion-MNIST'))
          .map((set) => ({ name: set.name, count: set.count, images: set.images })),
      };
    }
    const started = performance.now();
    const raw = await runPosthocWorker(this.options.workerUrl ?? defaultPosthocWorkerUrl(), request);
    const result = { ...raw, baseOptions: rawMethodOptions(config) };
    const fit = posthocFitOf(result, {
      runId,
      method: method.id,
      baseMethod: config.method,
      taskKind,
      createdAt: new Date().toISOString(),
      seconds: (performance.now() - started) / 1000,
    });
    const notStored = readOnlyReason ?? (this.options.store.readOnly ? 'the runs folder is open read-only here' : null);
    if (!notStored) await this.storeFit(fit);
    return { fit, result, notStored };
  }

  /** Stores the fit as runs/<id>/posthoc-<method>.json (replacing an earlier fit of that method). */
  async storeFit(fit: PosthocFit): Promise<void> {
    const checked = posthocFitSchema.parse(fit);
    if (!methods[checked.method].capabilities.postHoc)
      throw new PosthocServiceError(
        `${methods[checked.method].label} is a training method, not a post-hoc one; its scores are the run's own.`,
      );
    const text = `${JSON.stringify(checked)}\n`;
    if (Buffer.byteLength(text) > POSTHOC_FIT_MAX_BYTES)
      throw new PosthocServiceError(
        `The ${methods[checked.method].label} fit of run "${checked.runId}" is ${Buffer.byteLength(text)} bytes, more than the ${POSTHOC_FIT_MAX_BYTES} a fit may take; it was not stored.`,
      );
    await this.options.store.writeRunFile(checked.runId, posthocFitFile(checked.method), text);
  }

  /**
   * The run's stored fits, one per post-hoc method at most, and a sentence for each file that was
   * left out (too large, a link, not JSON, not a fit of this run and method). Nothing is deleted.
   */
  async getPosthocFits(runId: string): Promise<PosthocFits> {
    const fits: PosthocFit[] = [];
    const problems: string[] = [];
    for (const method of postHocMethodIds) {
      const file = posthocFitFile(method);
      const problem = (why: string) =>
        `runs/${runId}/${file} ${why}; it is left out of the methods table (fit ${methods[method].label} again to replace it).`;
      let bytes: Buffer | null;
      try {
        bytes = await this.options.store.readRunFile(runId, file, POSTHOC_FIT_MAX_BYTES);
      } catch (error) {
        problems.push(problem(`could not be read (${error instanceof Error ? error.message : String(error)})`));
        continue;
      }
      if (!bytes) continue;
      let value: unknown;
      try {
        value = JSON.parse(bytes.toString('utf8'));
      } catch (error) {
        problems.push(problem(`is not valid JSON (${(error as Error).message})`));
        continue;
      }
      const parsed = posthocFitSchema.safeParse(value);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        problems.push(
          problem(
            `is not a valid post-hoc fit (${issue?.path.join('.') || 'the file'}: ${issue?.message ?? 'malformed'})`,
          ),
        );
        continue;
      }
      if (parsed.data.method !== method || parsed.data.runId !== runId) {
        problems.push(
          problem(`holds a ${methods[parsed.data.method].label} fit of run "${parsed.data.runId}", not this run's`),
        );
        continue;
      }
      fits.push(parsed.data);
    }
    for (const message of problems) this.options.warn?.(message);
    return { fits, problems };
  }
}
