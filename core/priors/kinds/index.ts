/**
 * The prior families this build knows, one line each (pure: schemas, labels, capabilities). A new
 * prior is a file here, its tfjs factory in ../, and one line in this list and in ../factories.ts.
 */
import { z } from 'zod';
import { normalPriorKind, normalPriorSchema } from './normal';
import type { PriorKind } from './priorKind';
import { scaleMixturePriorKind, scaleMixturePriorSchema } from './scaleMixture';
import { trainableNormalPriorKind, trainableNormalPriorSchema } from './trainableNormal';

export const priorKinds = [normalPriorKind, trainableNormalPriorKind, scaleMixturePriorKind] as const;

/** Prior over every weight of a variational layer, one option per registered family. */
export const priorConfigSchema = z.discriminatedUnion('kind', [
  normalPriorSchema,
  trainableNormalPriorSchema,
  scaleMixturePriorSchema,
]);
export type PriorConfig = z.infer<typeof priorConfigSchema>;
export type PriorKindName = PriorConfig['kind'];

/** analytic: KL(q‖p) in closed form (priors that have one); monteCarlo: log q(w) − log p(w) at the drawn w. */
export const klFormSchema = z.enum(['analytic', 'monteCarlo']);
export type KlForm = z.infer<typeof klFormSchema>;
export const klFormLabels: Readonly<Record<KlForm, string>> = {
  analytic: 'analytic (closed form)',
  monteCarlo: 'Monte Carlo',
};

export class PriorKindError extends Error {
  override name = 'PriorKindError';
}

export function priorKind(kind: string): PriorKind {
  const found = (priorKinds as readonly PriorKind[]).find((candidate) => candidate.kind === kind);
  if (!found)
    throw new PriorKindError(
      `There is no prior "${kind}"; expected one of ${priorKinds.map((p) => p.kind).join(', ')}.`,
    );
  return found;
}

export function describePrior(prior: PriorConfig): string {
  return (priorKind(prior.kind) as PriorKind<string, PriorConfig>).describe(prior);
}

/** The KL form a prior gets when none is chosen: analytic where the family has a closed form. */
export function defaultKlForm(kind: string): KlForm {
  return priorKind(kind).hasClosedFormKl ? 'analytic' : 'monteCarlo';
}

/** Refuses the analytic KL for a prior without a closed form, on the `kl` field where the user chose it. */
export function requireKlFormThePriorHas(config: { prior: PriorConfig; kl: KlForm }, ctx: z.RefinementCtx): void {
  const kind = priorKind(config.prior.kind);
  if (config.kl === 'analytic' && !kind.hasClosedFormKl) {
    ctx.addIssue({
      code: 'custom',
      path: ['kl'],
      message: `the ${kind.noun} has no closed-form KL; choose the Monte Carlo KL`,
    });
  }
}
