/**
 * Reproducible randomness. tfjs random ops take an integer seed per call; a SeedStream hands out a
 * fresh, well-mixed seed for every call, derived from the run's seed and a counter, so the same run
 * seed on the same backend replays the same numbers.
 */

/** splitmix32: a fast integer hash with good avalanche (Steele et al. 2014). */
export function mixSeed(value: number): number {
  let z = (value + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class SeedStreamError extends Error {
  override name = 'SeedStreamError';
}

export class SeedStream {
  private counter = 0;

  constructor(
    readonly seed: number,
    readonly salt = 0,
  ) {}

  /** The next integer seed in [0, 2^31). */
  next(): number {
    this.counter += 1;
    return mixSeed(mixSeed(this.seed ^ Math.imul(this.salt, 0x27d4eb2d)) + this.counter) & 0x7fffffff;
  }

  /** Seeds handed out so far; with the seed and salt, all a checkpoint needs to continue the stream. */
  get position(): number {
    return this.counter;
  }

  /** Continues from `position` seeds handed out (a resumed run replays the same numbers from there). */
  seek(position: number): void {
    if (!Number.isSafeInteger(position) || position < 0) {
      throw new SeedStreamError(`A seed stream position is a whole number of seeds handed out, found ${position}.`);
    }
    this.counter = position;
  }

  /** An independent stream for a named purpose (data shuffling, initialisation, noise…). */
  fork(salt: number): SeedStream {
    return new SeedStream(this.next(), salt);
  }

  /** A uniform number in [0, 1) from the stream, for code that does not use tensors. */
  uniform(): number {
    return this.next() / 0x80000000;
  }
}

/** Box–Muller standard normal from a SeedStream (plain numbers, for data generation). */
export function standardNormal(stream: SeedStream): number {
  let u = stream.uniform();
  while (u <= 1e-12) u = stream.uniform();
  const v = stream.uniform();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
