/**
 * Temperature scaling (Guo et al. 2017, "On Calibration of Modern Neural Networks", §4.2): one
 * scalar T > 0 divides every logit, p = softmax(z / T), fitted by minimising the NLL on a
 * validation split carved from the training set (never the held-out set). It leaves the argmax,
 * hence the accuracy, unchanged.
 */
import { z } from 'zod';
import { defineMethod } from '../method';

export const validationFractionSchema = z
  .number()
  .gt(0, {
    error: (issue) =>
      `The validation fraction must be above 0 (found ${String(issue.input)}); 0.1 of the training set is usual.`,
  })
  .max(0.5, {
    error: (issue) =>
      `A validation fraction of ${String(issue.input)} leaves too little to train on; use at most 0.5 (0.1 is usual).`,
  });

export const temperatureScalingOptionsSchema = z.object({ validationFraction: validationFractionSchema.default(0.1) });
export type TemperatureScalingOptions = z.infer<typeof temperatureScalingOptionsSchema>;

export const temperatureScalingMethod = defineMethod({
  id: 'temperatureScaling',
  cliName: 'temperature',
  label: 'Temperature scaling',
  description:
    'One temperature dividing the logits, fitted on a validation split of the training set (Guo et al. 2017).',
  optionsSchema: temperatureScalingOptionsSchema,
  capabilities: {
    hasEpistemicPart: false,
    needsSampling: false,
    postHoc: true,
    appliesTo: ['classification'],
    requiresMethod: ['vi', 'deterministic', 'mcDropout', 'ensemble'],
    fitsOnValidationSplit: ['classification'],
  },
});
