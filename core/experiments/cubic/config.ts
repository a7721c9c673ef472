/** The cubic toy regression's run configuration (the shared 1-D regression settings). */
import { z } from 'zod';
import { requireValidMethod } from '../../contract/methodConfig';
import { regressionConfigFields } from '../../contract/regressionConfig';
import { requireKlFormThePriorHas } from '../../priors/kinds/index';

export const cubicConfigSchema = z
  .object({ experiment: z.literal('cubic'), ...regressionConfigFields })
  .superRefine(requireKlFormThePriorHas)
  .superRefine(requireValidMethod('regression'));
export type CubicConfig = z.infer<typeof cubicConfigSchema>;
