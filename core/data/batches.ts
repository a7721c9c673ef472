/**
 * Mini-batches of labelled images: a seeded shuffle for training, fixed order for evaluation.
 * Batches are plain arrays; the trainer turns them into tensors (and disposes them).
 */
import { SeedStream } from '../random/seedStream';
import { DatasetError, PIXELS_PER_IMAGE, type LabelledImages } from './dataset';

export interface ImageBatch {
  /** `size` images of 28×28 pixels, row-major; a copy, safe to hand to tf.tensor4d. */
  images: Float32Array;
  labels: Uint8Array;
  size: number;
  /** Positions of these examples in the part they came from. */
  indices: Uint32Array;
}

/** Fisher–Yates shuffle of 0..count−1 driven by a seed stream. */
export function shuffledIndices(count: number, stream: SeedStream): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i += 1) order[i] = i;
  for (let i = count - 1; i > 0; i -= 1) {
    const j = Math.floor(stream.uniform() * (i + 1));
    const swap = order[i];
    order[i] = order[j];
    order[j] = swap;
  }
  return order;
}

function checkBatchSize(batchSize: number, count: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new DatasetError(`The batch size must be a positive integer, found ${batchSize}.`);
  }
  if (count < 1) throw new DatasetError('The dataset part is empty; there is nothing to batch.');
}

/** Copies the examples at `indices` into one batch. */
export function makeBatch(part: LabelledImages, indices: Uint32Array): ImageBatch {
  const images = new Float32Array(indices.length * PIXELS_PER_IMAGE);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i += 1) {
    const index = indices[i];
    images.set(part.images.subarray(index * PIXELS_PER_IMAGE, (index + 1) * PIXELS_PER_IMAGE), i * PIXELS_PER_IMAGE);
    labels[i] = part.labels[index];
  }
  return { images, labels, size: indices.length, indices };
}

/** Batches in stored order, the last one possibly smaller: for evaluation. */
export function* sequentialBatches(part: LabelledImages, batchSize: number): Generator<ImageBatch> {
  checkBatchSize(batchSize, part.count);
  for (let start = 0; start < part.count; start += batchSize) {
    const end = Math.min(part.count, start + batchSize);
    const indices = new Uint32Array(end - start);
    for (let i = 0; i < indices.length; i += 1) indices[i] = start + i;
    yield makeBatch(part, indices);
  }
}

/**
 * An endless stream of training batches for step-based training: each epoch is a fresh seeded
 * permutation; with `dropRemainder` (the default) the incomplete tail of an epoch is skipped so
 * every batch has the same shape (the wasm backend caches its convolution operators by shape).
 * The same seed gives the same sequence of batches.
 */
export class BatchSampler {
  private readonly stream: SeedStream;
  private order: Uint32Array = new Uint32Array(0);
  private position = 0;
  /** Completed passes over the data. */
  epoch = 0;

  constructor(
    private readonly part: LabelledImages,
    readonly batchSize: number,
    seed: number,
    private readonly dropRemainder = true,
  ) {
    checkBatchSize(batchSize, part.count);
    if (dropRemainder && batchSize > part.count) {
      throw new DatasetError(
        `A batch size of ${batchSize} exceeds the ${part.count} examples available; choose a smaller batch.`,
      );
    }
    this.stream = new SeedStream(seed, 0x5eed);
    this.reshuffle();
  }

  /** Batches per epoch (with dropRemainder, the incomplete tail is not counted). */
  get batchesPerEpoch(): number {
    return this.dropRemainder
      ? Math.floor(this.part.count / this.batchSize)
      : Math.ceil(this.part.count / this.batchSize);
  }

  private reshuffle(): void {
    this.order = shuffledIndices(this.part.count, this.stream);
    this.position = 0;
  }

  private nextIndices(): Uint32Array {
    const remaining = this.order.length - this.position;
    if (remaining === 0 || (this.dropRemainder && remaining < this.batchSize)) {
      this.epoch += 1;
      this.reshuffle();
    }
    const end = Math.min(this.order.length, this.position + this.batchSize);
    const indices = this.order.slice(this.position, end);
    this.position = end;
    return indices;
  }

  next(): ImageBatch {
    return makeBatch(this.part, this.nextIndices());
  }

  /** Advances past `batches` batches without copying them: resuming a run at a step replays its order. */
  skip(batches: number): void {
    for (let i = 0; i < batches; i += 1) this.nextIndices();
  }
}
