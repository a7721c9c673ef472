/** Series colours shared by every chart, so "NLL" or "mean" look the same everywhere. */
export const palette = {
  loss: '#2563eb',
  nll: '#16a34a',
  kl: '#d97706',
  trueFunction: '#64748b',
  mean: '#7c3aed',
  band: 'rgba(124, 58, 237, 0.18)',
  bandEdge: 'rgba(124, 58, 237, 0.45)',
  trainingPoints: '#dc2626',
  grid: 'rgba(100, 116, 139, 0.15)',
  text: '#475569',
} as const;
