/** A fixed N(0, scale²) prior on every weight (factory: ../fixedNormal.ts). */
import { z } from 'zod';
import { formatMetric } from '../../figures/format';
import type { PriorKind } from './priorKind';

export const normalPriorSchema = z.object({
  kind: z.literal('normal'),
  scale: z.number().positive().max(100).default(1),
});

export const normalPriorKind: PriorKind<'normal', z.infer<typeof normalPriorSchema>> = {
  kind: 'normal',
  schema: normalPriorSchema,
  label: 'N(0, s²), fixed',
  noun: 'fixed Normal prior',
  describe: (prior) => `N(0, ${formatMetric(prior.scale)}²) prior`,
  hasClosedFormKl: true,
  fields: [{ key: 'prior.scale', label: 'Prior scale s', control: 'number' }],
  fieldDefaults: { 'prior.scale': '1' },
};
