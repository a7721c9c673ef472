/** The gradient estimators this build knows, one line each (pure). */
import { z } from 'zod';
import type { EstimatorSpec } from './estimator';
import { flipoutEstimator } from './flipout';
import { localReparameterizationEstimator } from './local';
import { reparameterizationEstimator } from './reparameterization';

export const estimatorSpecs = [
  reparameterizationEstimator,
  localReparameterizationEstimator,
  flipoutEstimator,
] as const;

export type Estimator = (typeof estimatorSpecs)[number]['name'];

/** How a weight sample enters the forward pass (Kingma et al. 2015; Wen et al. 2018). */
export const estimatorSchema = z.enum(estimatorSpecs.map((spec) => spec.name) as [Estimator, ...Estimator[]]);

/** The schema of an experiment that supports only some estimators (in registry order). */
export function estimatorSchemaOf<N extends Estimator>(names: readonly N[]) {
  return z.enum(
    estimatorSpecs
      .map((spec) => spec.name)
      .filter((name): name is N => (names as readonly string[]).includes(name)) as [N, ...N[]],
  );
}

export function estimatorSpec(name: string): EstimatorSpec {
  const found = (estimatorSpecs as readonly EstimatorSpec[]).find((spec) => spec.name === name);
  if (!found)
    throw new Error(
      `There is no estimator "${name}"; expected one of ${estimatorSpecs.map((spec) => spec.name).join(', ')}.`,
    );
  return found;
}
