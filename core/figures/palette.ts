/** Series colours shared by every figure, so "NLL" or "mean" look the same everywhere. */
export const palette = {
  loss: '#2563eb',
  nll: '#16a34a',
  kl: '#d97706',
  trueFunction: '#64748b',
  mean: '#7c3aed',
  band: 'rgba(124, 58, 237, 0.18)',
  bandEdge: 'rgba(124, 58, 237, 0.45)',
  trainingPoints: '#dc2626',
  heldoutNats: '#2563eb',
  accuracy: '#16a34a',
  ece: '#db2777',
  noiseRefusal: '#7c3aed',
  digitRefusal: '#d97706',
  diagonal: '#94a3b8',
  refused: '#dc2626',
  grid: 'rgba(100, 116, 139, 0.15)',
  text: '#475569',
  textStrong: '#0f172a',
  background: '#ffffff',
} as const;

/** One colour per layer or prior parameter, in order; distinguishable in print and for most colour-blind readers (Okabe–Ito). */
export const seriesColours = [
  '#0072b2',
  '#e69f00',
  '#009e73',
  '#cc79a7',
  '#d55e00',
  '#56b4e9',
  '#f0e442',
  '#000000',
] as const;

export function seriesColour(index: number): string {
  return seriesColours[index % seriesColours.length];
}
