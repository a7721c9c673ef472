/**
 * The mean-field Normal posterior's settings (pure; the tfjs factory is ./meanFieldNormal.ts):
 * μ ~ N(0, muStd²), ρ = rho, σ = 1e-5 + softplus(log(expm1(1)) + ρ).
 */
import { z } from 'zod';

export const posteriorInitSchema = z.object({
  muStd: z.number().nonnegative().max(10).default(0.1),
  rho: z.number().min(-20).max(10).default(-5),
});
export type PosteriorInit = z.infer<typeof posteriorInitSchema>;

export const meanFieldNormalPosteriorSpec = {
  name: 'meanFieldNormal',
  label: 'mean-field Normal',
  schema: posteriorInitSchema,
} as const;
