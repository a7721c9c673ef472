/** A small synthetic LeNet5 run (record and events) for the figure tests. */
import { lenet5ConfigSchema } from '../../../core/contract/runConfig';
import type { HeldoutEvent, PanelImage, PosteriorEvent, RunEvent } from '../../../core/contract/runEvent';
import type { FigureRun } from '../../../core/figures/types';

export const run: FigureRun = {
  name: 'synthetic run',
  config: lenet5ConfigSchema.parse({ experiment: 'lenet5', steps: 30, evalEvery: 10, evalDraws: 2 }),
  backend: { name: 'cpu' },
};

const runId = 'run-1';

export function metrics(step: number, loss = 10 / step): RunEvent {
  return { type: 'metrics', runId, step, time: step, loss, nll: loss / 2, kl: 1000, klWeight: 1 / 9000, accuracy: 0.5 };
}

function panelImage(kind: PanelImage['kind'], label: number | null, refused: boolean): PanelImage {
  const drawProbabilities = [
    [0.7, 0.3, 0, 0, 0, 0, 0, 0, 0, 0],
    [0.5, 0.5, 0, 0, 0, 0, 0, 0, 0, 0],
  ];
  return {
    kind,
    label,
    pixels: Array.from({ length: 784 }, (_, i) => (i % 29 === 0 ? 255 : 0)),
    drawProbabilities,
    meanProbabilities: [0.6, 0.4, 0, 0, 0, 0, 0, 0, 0, 0],
    refused,
  };
}

export function heldout(step: number, nats: number, accuracy: number): HeldoutEvent & { type: 'heldout' } {
  return {
    type: 'heldout',
    runId,
    step,
    time: step,
    heldoutNats: nats,
    accuracy,
    ece: 0.05,
    reliability: [
      { lower: 0, upper: 0.5, count: 0, meanConfidence: 0, accuracy: 0 },
      { lower: 0.5, upper: 1, count: 8, meanConfidence: 0.8, accuracy: 0.75 },
    ],
    draws: 2,
    images: 8,
    threshold: 0.2,
    digitRefusal: 0.1,
    noiseRefusal: 0.4,
    meanMaxProbabilityNoise: 0.3,
    panel: [panelImage('heldout', 0, false), panelImage('heldout', 1, false), panelImage('noise', null, true)],
    evalSeconds: 0.1,
  };
}

export function posterior(step: number, prior: Record<string, number> = {}): PosteriorEvent & { type: 'posterior' } {
  const layer = (name: string, weights: number) => ({
    name,
    weights,
    muHistogram: { min: -1.5, max: 1.5, counts: [0, weights / 2, weights / 2, 0] },
    sigmaHistogram: { min: 0, max: 1, counts: [weights, 0, 0, 0] },
    meanAbsMu: 0.1,
    meanSigma: 0.05,
  });
  return { type: 'posterior', runId, step, time: step, layers: [layer('conv1', 156), layer('dense2', 850)], prior };
}

/** Three steps of metrics (one repeated), evaluations at 10 and 20 (one repeated), progress and status. */
export const events: RunEvent[] = [
  { type: 'status', runId, step: 0, time: 0, state: 'running' },
  metrics(1),
  metrics(2),
  metrics(2),
  metrics(3),
  heldout(10, -0.9, 0.7),
  posterior(10, { pi: 0.2 }),
  heldout(10, -0.9, 0.7),
  { type: 'progress', runId, step: 20, time: 20, total: 30, stepsPerSecond: 5, etaSeconds: 2 },
  heldout(20, -0.5, 0.85),
  posterior(20, { pi: 0.3 }),
];
