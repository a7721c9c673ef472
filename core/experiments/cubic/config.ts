/** The cubic toy regression's run configuration (the shared 1-D regression settings). */
import { z } from 'zod';
import { regressionConfigFields } from '../../contract/regressionConfig';
import { requireKlFormThePriorHas } from '../../priors/kinds/index';

export const cubicConfigSchema = z
  .object({ experiment: z.literal('cubic'), ...regressionConfigFields })
  .superRefine(requireKlFormThePriorHas);
export type CubicConfig = z.infer<typeof cubicConfigSchema>;
