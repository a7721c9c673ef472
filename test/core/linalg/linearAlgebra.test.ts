import { describe, expect, it } from 'vitest';
import {
  cholesky,
  inverseSymmetricPositiveDefinite,
  LinearAlgebraError,
  logDeterminantFromCholesky,
  symmetricEigen,
} from '../../../core/linalg/symmetric';
import { SeedStream, standardNormal } from '../../../core/random/seedStream';

/** B Bᵀ + shift·I for a seeded n × n Gaussian B: symmetric positive (semi)definite. */
function randomSymmetric(n: number, seed: number, shift: number): Float64Array {
  const stream = new SeedStream(seed);
  const b = Float64Array.from({ length: n * n }, () => standardNormal(stream));
  const matrix = new Float64Array(n * n);
  for (let i = 0; i < n; i += 1) {
    for (let j = 0; j < n; j += 1) {
      let sum = i === j ? shift : 0;
      for (let k = 0; k < n; k += 1) sum += b[i * n + k] * b[j * n + k];
      matrix[i * n + j] = sum;
    }
  }
  return matrix;
}

describe('symmetric eigendecomposition', () => {
  it('reconstructs the matrix from orthonormal eigenvectors, eigenvalues descending', () => {
    const n = 12;
    const matrix = randomSymmetric(n, 1, 0);
    const { values, vectors } = symmetricEigen(matrix, n);
    for (let k = 1; k < n; k += 1) expect(values[k]).toBeLessThanOrEqual(values[k - 1]);
    for (let i = 0; i < n; i += 1) {
      for (let j = 0; j < n; j += 1) {
        let reconstructed = 0;
        let gram = 0;
        for (let k = 0; k < n; k += 1) {
          reconstructed += vectors[i * n + k] * values[k] * vectors[j * n + k];
          gram += vectors[k * n + i] * vectors[k * n + j];
        }
        // float64 Jacobi: backward stable, errors ~1e-14 of ‖A‖ (entries here are ~10).
        expect(Math.abs(reconstructed - matrix[i * n + j])).toBeLessThan(1e-11);
        expect(Math.abs(gram - (i === j ? 1 : 0))).toBeLessThan(1e-12);
      }
    }
  });

  it('agrees with the Cholesky log-determinant and inverse', () => {
    const n = 8;
    const matrix = randomSymmetric(n, 2, 0.5);
    const { values } = symmetricEigen(matrix, n);
    const logDet = values.reduce((sum, value) => sum + Math.log(value), 0);
    expect(logDeterminantFromCholesky(cholesky(matrix, n), n)).toBeCloseTo(logDet, 10);
    const inverse = inverseSymmetricPositiveDefinite(matrix, n);
    for (let i = 0; i < n; i += 1) {
      for (let j = 0; j < n; j += 1) {
        let product = 0;
        for (let k = 0; k < n; k += 1) product += matrix[i * n + k] * inverse[k * n + j];
        expect(product).toBeCloseTo(i === j ? 1 : 0, 10);
      }
    }
  });

  it('refuses asymmetric and indefinite matrices with whole sentences', () => {
    expect(() => symmetricEigen([1, 2, 3, 4], 2)).toThrow(LinearAlgebraError);
    expect(() => symmetricEigen([1, 2, 3, 4], 2)).toThrow(
      'The matrix is not symmetric: entries (0, 1) and (1, 0) differ by 1.',
    );
    expect(() => cholesky([1, 2, 2, 1], 2)).toThrow('The matrix is not positive definite (pivot 1 is -3).');
  });
});
