/** The sinusoid's run configuration, validated wherever it crosses a process boundary. */
import { z } from 'zod';
import { requireValidMethod } from '../../contract/methodConfig';
import { regressionConfigFields } from '../../contract/regressionConfig';
import { requireKlFormThePriorHas } from '../../priors/kinds/index';

export const sinusoidConfigSchema = z
  .object({ experiment: z.literal('sinusoid'), ...regressionConfigFields })
  .superRefine(requireKlFormThePriorHas)
  .superRefine(requireValidMethod('regression'));
export type SinusoidConfig = z.infer<typeof sinusoidConfigSchema>;
export type SinusoidConfigInput = z.input<typeof sinusoidConfigSchema>;
