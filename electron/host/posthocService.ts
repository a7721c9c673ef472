/**
 * Post-hoc fits stored with their run (issue 11): temperature scaling and last-layer Laplace — every
 * method of the registry whose capabilities say `postHoc` — fitted to a stored run by `npm run
 * evaluate -- <method>` are kept as `runs/<id>/posthoc-<method>.json`, written through the run store
 * (atomic, in the run's queue, like ood.json and shift.json) and read back with a size cap, never
 * through a link. A file that is not a valid fit is left out with a sentence saying why, and stays on
 * disk untouched until a new fit replaces it. Knows nothing of transports and loads no tfjs.
 */
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

export class PosthocService {
  constructor(
    private readonly options: {
      store: PosthocStore;
      warn?(message: string): void;
    },
  ) {}

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
          problem(`is not a valid post-hoc fit (${issue?.path.join('.') || 'the file'}: ${issue?.message ?? 'malformed'})`),
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
