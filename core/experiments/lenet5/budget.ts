/**
 * What a LeNet5 run costs (core/experiments/resourceBudget.ts). The model follows the code:
 *
 * - Training: one batch through the five variational layers; every activation is kept for the
 *   backward pass with its gradient, and the estimators add their own per-example tensors (Flipout
 *   a second, perturbed pass; local reparameterization a variance pass).
 * - Evaluation: T = evalDraws draws over the held-out and noise images, in chunks of 500 images;
 *   the probabilities of every draw are kept ([T, N, 10] float32) for the metrics and the panel.
 * - Workers (data-parallel training, issue 16): each of the N threads keeps its own backend
 *   instance and network replica and runs its slice of the batch (⌈B/N⌉ images) and its share of
 *   the evaluation's draws, one chunk at a time; the probabilities are gathered on one thread.
 * - Events: a `metrics` and a `progress` event per step; every evalEvery steps a `heldout` event
 *   (the panel's 20 images with their probabilities under each draw) and a `posterior` event.
 */
import type { Lenet5Config } from './config';
import { lenet5Layout } from './layout';
import { FLOAT_BYTES, JSON_NUMBER_BYTES, STEP_EVENT_BYTES, type ResourceEstimate } from '../resourceBudget';

/** Live copies of each activation in a training step, per estimator (forward, backward, noise). */
const TRAINING_COPIES = { reparameterization: 6, local: 9, flipout: 12 } as const;
/** Images per evaluation pass (core/evaluation/monteCarlo.ts) and the copies a forward pass keeps. */
const EVALUATION_CHUNK = 500;
const EVALUATION_COPIES = 3;
const NOISE_IMAGES = 500;
const CLASSES = 10;
/**
 * Held-out images of the final evaluation, which uses all of them. An `idx:` folder's count is
 * known only once read: MNIST-size (10,000) is assumed, and the run fails later if it is far more.
 */
const HELDOUT_IMAGES: Record<string, number> = { mnist: 1000, 'fashion-mnist': 10_000 };
const ASSUMED_HELDOUT_IMAGES = 10_000;
/** Panel images in a `heldout` event, and the JSON bytes of one image's pixels and fields. */
const PANEL_IMAGES = 20;
const PANEL_IMAGE_BYTES = 3000;
/** A `posterior` event (histograms of every layer) and the rest of a `heldout` event. */
const POSTERIOR_EVENT_BYTES = 3000;
const HELDOUT_EVENT_FIXED_BYTES = 3000;

/**
 * What one more worker thread costs before its slice: a V8 isolate with tfjs and the wasm module
 * loaded, a wasm heap, and the network replica with its gradients. Measured as the peak-RSS
 * difference of the same LeNet5 run with 2 and with 1 worker (README, "Parallel training"), rounded up.
 */
export const WORKER_REPLICA_BYTES = 160 * 1024 ** 2;

/** Live copies of each activation of a point-weight network's training step (forward, backward, dropout mask). */
const POINT_TRAINING_COPIES = 5;

export function lenet5Budget(config: Lenet5Config): ResourceEstimate {
  // Values per image of each layer's output (classic: 28×28×6, 14×14×6, 10×10×16, 5×5×16, 120, 84, 10).
  const activationsPerImage = lenet5Layout(config.convPadding).activationsPerImage;
  // A deep ensemble trains its M members on every batch and predicts with M passes; a deterministic net with 1.
  const networks = config.method === 'ensemble' ? config.members : 1;
  const copies = config.method === 'vi' ? TRAINING_COPIES[config.estimator] : POINT_TRAINING_COPIES * networks;
  const passes =
    config.method === 'ensemble' ? config.members : config.method === 'deterministic' ? 1 : config.evalDraws;
  // Point methods train on one thread (the trainer refuses workers > 1 for them).
  const workers = config.method === 'vi' ? config.workers : 1;
  const replicasBytes = (workers - 1) * WORKER_REPLICA_BYTES;
  const slice = Math.ceil(config.batchSize / workers);
  const trainingBytes = workers * slice * activationsPerImage * copies * FLOAT_BYTES + replicasBytes;
  const heldout = HELDOUT_IMAGES[config.dataset] ?? ASSUMED_HELDOUT_IMAGES;
  const evaluationBytes =
    (passes * (heldout + NOISE_IMAGES) * CLASSES +
      workers * EVALUATION_CHUNK * activationsPerImage * EVALUATION_COPIES) *
      FLOAT_BYTES +
    replicasBytes;
  const overWorkers =
    workers > 1 ? ` over ${workers} worker threads (each with its own backend and network replica)` : '';
  const fewerWorkers = workers > 1 ? ' or workers' : '';
  const memory =
    trainingBytes >= evaluationBytes
      ? {
          bytes: trainingBytes,
          what: `one training step (batch of ${config.batchSize}, ${config.method === 'vi' ? `${config.estimator} estimator` : `${networks} point network${networks === 1 ? '' : 's'}`})${overWorkers}`,
          hint: `Lower batchSize${fewerWorkers}.`,
        }
      : {
          bytes: evaluationBytes,
          what: `an evaluation (${passes} ${config.method === 'vi' ? 'posterior draws' : 'passes'} over ${heldout + NOISE_IMAGES} images)${overWorkers}`,
          hint: `Lower evalDraws${fewerWorkers}.`,
        };

  const evaluationEventBytes =
    HELDOUT_EVENT_FIXED_BYTES +
    PANEL_IMAGES * (PANEL_IMAGE_BYTES + passes * CLASSES * JSON_NUMBER_BYTES) +
    POSTERIOR_EVENT_BYTES;
  const evaluations = Math.ceil(config.steps / config.evalEvery) + 1;
  return {
    memory,
    events: {
      bytesPerStep: STEP_EVENT_BYTES + evaluationEventBytes / config.evalEvery,
      totalBytes: STEP_EVENT_BYTES * config.steps + evaluationEventBytes * evaluations,
      what: `an evaluation with ${config.evalDraws} draws every ${config.evalEvery} step${config.evalEvery === 1 ? '' : 's'}`,
      hint: 'Raise evalEvery or lower evalDraws.',
    },
  };
}
