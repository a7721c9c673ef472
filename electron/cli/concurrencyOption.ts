/** `--concurrency N` of `serve` and `sweep`: local runs trained at once, refused with the range when out of it. */
import { InvalidArgumentError } from 'commander';
import { parseConcurrency } from '../host/localConcurrency';

export function concurrencyOption(value: string): number {
  try {
    return parseConcurrency(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}
