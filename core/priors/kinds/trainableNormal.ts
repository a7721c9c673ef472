/** N(m, 1) with a trainable mean m per weight, TFP's `prior_trainable` (factory: ../trainableNormal.ts). */
import { z } from 'zod';
import type { PriorKind } from './priorKind';

export const trainableNormalPriorSchema = z.object({ kind: z.literal('trainableNormal') });

export const trainableNormalPriorKind: PriorKind<'trainableNormal', z.infer<typeof trainableNormalPriorSchema>> = {
  kind: 'trainableNormal',
  schema: trainableNormalPriorSchema,
  label: 'N(m, 1), m trained',
  noun: 'trainable-mean Normal prior',
  describe: () => 'N(m, 1) prior, m trained',
  hasClosedFormKl: true,
  fields: [],
  fieldDefaults: {},
};
