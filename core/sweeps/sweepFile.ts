/**
 * A sweep file (the CLI's `--file`, the run form's "Sweep" mode, the `startSweep` request): a base
 * run configuration, axes (a list of values per dotted config key), seeds, and how the axes are
 * searched — every combination (`grid`) or `count` combinations drawn without repetition
 * (`random`, reproducible from `randomSeed`). Expansion into run configurations is ./expandSweep.
 *
 *   { "name": "kl-weight", "base": { …a run configuration… },
 *     "axes": { "learningRate": [0.01, 0.03], "prior.scale": [0.5, 1] },
 *     "seeds": [0, 1, 2], "search": "grid" }
 */
import { z } from 'zod';
import { seedSchema } from '../contract/configParts';

/** Most runs one sweep may start (a grid's product × seeds, or a random search's count × seeds). */
export const MAX_SWEEP_RUNS = 1000;
export const MAX_AXES = 16;
export const MAX_AXIS_VALUES = 100;

/** A value an axis may take: what a run configuration holds (numbers, text, flags, lists, small objects). */
const axisValueSchema: z.ZodType<unknown> = z.union([
  z.number(),
  z.string().max(200),
  z.boolean(),
  z.null(),
  z.array(z.unknown()).max(64),
  z.record(z.string(), z.unknown()),
]);

const dottedKeySchema = z
  .string()
  .min(1)
  .max(120)
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/,
    'an axis key is a dotted configuration key such as "learningRate" or "prior.scale"',
  );

export const sweepSearchSchema = z.enum(['grid', 'random']);
export type SweepSearch = z.infer<typeof sweepSearchSchema>;

export const sweepFileSchema = z
  .object({
    name: z.string().trim().min(1, 'a sweep needs a name').max(120),
    /** A run configuration (the contract's runConfigSchema input); axes and seeds are set on copies of it. */
    base: z.record(z.string(), z.unknown()),
    axes: z
      .record(dottedKeySchema, z.array(axisValueSchema).min(1, 'an axis needs at least one value').max(MAX_AXIS_VALUES))
      .refine((axes) => Object.keys(axes).length <= MAX_AXES, `a sweep has at most ${MAX_AXES} axes`),
    seeds: z.array(seedSchema).min(1, 'a sweep needs at least one seed').max(100),
    search: sweepSearchSchema.default('grid'),
    /** Combinations a random search draws (each trained once per seed). */
    count: z.number().int().min(1).max(MAX_SWEEP_RUNS).optional(),
    /** Seed of a random search's draws: the same file draws the same combinations. */
    randomSeed: seedSchema.optional(),
    /** Where the runs train; `queue` needs a host with a job queue. Passed through to startRun. */
    runOn: z.enum(['local', 'queue']).optional(),
  })
  .superRefine((sweep, ctx) => {
    if (sweep.search === 'random' && sweep.count === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['count'],
        message: 'a random search needs "count", the combinations to draw',
      });
    if (sweep.search === 'grid' && sweep.count !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['count'],
        message: 'a grid search trains every combination; "count" belongs to "search": "random"',
      });
    if (Object.hasOwn(sweep.axes, 'seed'))
      ctx.addIssue({ code: 'custom', path: ['axes', 'seed'], message: 'seeds are given by "seeds", not as an axis' });
    if (new Set(sweep.seeds).size !== sweep.seeds.length)
      ctx.addIssue({ code: 'custom', path: ['seeds'], message: 'every seed may appear once' });
  });
export type SweepFile = z.infer<typeof sweepFileSchema>;
export type SweepFileInput = z.input<typeof sweepFileSchema>;

export class SweepError extends Error {
  override name = 'SweepError';
}

/** Parses a sweep file's value; a bad one is refused with every problem named by its place in the file. */
export function parseSweepFile(value: unknown): SweepFile {
  const parsed = sweepFileSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 6)
      .map((issue) => `${issue.path.length ? issue.path.map(String).join('.') : 'the sweep'}: ${issue.message}`);
    throw new SweepError(`The sweep file is not valid: ${problems.join('; ')}.`);
  }
  return parsed.data;
}
