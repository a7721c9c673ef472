/**
 * Small dense symmetric linear algebra in float64, for the few-hundred-parameter matrices of
 * post-hoc methods (last-layer Laplace: an 85 × 85 input factor and a 10 × 10 output factor for
 * LeNet5). tfjs has no eigendecomposition, and float32 would lose the log-determinants.
 * Matrices are row-major Float64Array of n × n.
 */

export class LinearAlgebraError extends Error {
  override name = 'LinearAlgebraError';
}

export interface SymmetricEigen {
  /** Eigenvalues, descending. */
  values: Float64Array;
  /** Eigenvectors as columns: vectors[i·n + k] is component i of the k-th eigenvector (orthonormal). */
  vectors: Float64Array;
  n: number;
}

function checkSquare(matrix: ArrayLike<number>, n: number, what: string): void {
  if (!(Number.isInteger(n) && n >= 1) || matrix.length !== n * n) {
    throw new LinearAlgebraError(`${what} must be n × n with n ≥ 1; found ${matrix.length} entries for n = ${n}.`);
  }
}

/**
 * Eigendecomposition A = V diag(λ) Vᵀ of a symmetric matrix by the cyclic Jacobi method (Golub &
 * Van Loan, "Matrix Computations", §8.5): plane rotations J(p, q, φ) with
 *   θ = (a_qq − a_pp) / (2 a_pq),  t = sign(θ) / (|θ| + √(θ² + 1)),  c = 1/√(1 + t²),  s = t c
 * zero a_pq in turn, sweep after sweep, until the off-diagonal mass is below 1e-30 of the total
 * (quadratic convergence: about 6–10 sweeps). Eigenvalues accurate to float64 relative precision
 * of ‖A‖. Only the upper triangle's symmetry is assumed, not checked beyond a tolerance.
 */
export function symmetricEigen(matrix: ArrayLike<number>, n: number, maxSweeps = 100): SymmetricEigen {
  checkSquare(matrix, n, 'A symmetric matrix');
  const a = Float64Array.from(matrix);
  let total = 0;
  for (let i = 0; i < n * n; i += 1) total += a[i] * a[i];
  for (let i = 0; i < n; i += 1) {
    for (let j = i + 1; j < n; j += 1) {
      const asymmetry = Math.abs(a[i * n + j] - a[j * n + i]);
      if (asymmetry > 1e-8 * Math.sqrt(total) + 1e-300) {
        throw new LinearAlgebraError(
          `The matrix is not symmetric: entries (${i}, ${j}) and (${j}, ${i}) differ by ${asymmetry}.`,
        );
      }
    }
  }
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i += 1) v[i * n + i] = 1;
  for (let sweep = 0; sweep < maxSweeps; sweep += 1) {
    let offDiagonal = 0;
    for (let p = 0; p < n; p += 1) for (let q = p + 1; q < n; q += 1) offDiagonal += 2 * a[p * n + q] * a[p * n + q];
    if (offDiagonal <= 1e-30 * total || offDiagonal === 0) return sortedEigen(a, v, n);
    for (let p = 0; p < n - 1; p += 1) {
      for (let q = p + 1; q < n; q += 1) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = t * c;
        // A ← Jᵀ A J: columns p, q, then rows p, q.
        for (let k = 0; k < n; k += 1) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k += 1) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k += 1) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  throw new LinearAlgebraError(
    `The Jacobi eigenvalue iteration did not converge in ${maxSweeps} sweeps; is the matrix finite?`,
  );
}

function sortedEigen(a: Float64Array, v: Float64Array, n: number): SymmetricEigen {
  const order = Array.from({ length: n }, (_, k) => k).sort((x, y) => a[y * n + y] - a[x * n + x]);
  const values = Float64Array.from(order, (k) => a[k * n + k]);
  const vectors = new Float64Array(n * n);
  order.forEach((k, column) => {
    for (let i = 0; i < n; i += 1) vectors[i * n + column] = v[i * n + k];
  });
  return { values, vectors, n };
}

/** Lower-triangular L with A = L Lᵀ (Cholesky–Banachiewicz); refuses a matrix that is not positive definite. */
export function cholesky(matrix: ArrayLike<number>, n: number): Float64Array {
  checkSquare(matrix, n, 'A matrix to factorise');
  const lower = new Float64Array(n * n);
  for (let i = 0; i < n; i += 1) {
    for (let j = 0; j <= i; j += 1) {
      let sum = matrix[i * n + j];
      for (let k = 0; k < j; k += 1) sum -= lower[i * n + k] * lower[j * n + k];
      if (i === j) {
        if (!(sum > 0)) throw new LinearAlgebraError(`The matrix is not positive definite (pivot ${i} is ${sum}).`);
        lower[i * n + i] = Math.sqrt(sum);
      } else {
        lower[i * n + j] = sum / lower[j * n + j];
      }
    }
  }
  return lower;
}

/** log det A = 2 Σ log L_ii from A's Cholesky factor. */
export function logDeterminantFromCholesky(lower: Float64Array, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i += 1) sum += Math.log(lower[i * n + i]);
  return 2 * sum;
}

/** Solves A X = B for X given A's Cholesky factor; B is n × m row-major. */
export function solveWithCholesky(lower: Float64Array, n: number, rhs: ArrayLike<number>, columns = 1): Float64Array {
  if (rhs.length !== n * columns)
    throw new LinearAlgebraError(`The right-hand side needs ${n * columns} entries; found ${rhs.length}.`);
  const x = Float64Array.from(rhs);
  for (let m = 0; m < columns; m += 1) {
    for (let i = 0; i < n; i += 1) {
      let sum = x[i * columns + m];
      for (let k = 0; k < i; k += 1) sum -= lower[i * n + k] * x[k * columns + m];
      x[i * columns + m] = sum / lower[i * n + i];
    }
    for (let i = n - 1; i >= 0; i -= 1) {
      let sum = x[i * columns + m];
      for (let k = i + 1; k < n; k += 1) sum -= lower[k * n + i] * x[k * columns + m];
      x[i * columns + m] = sum / lower[i * n + i];
    }
  }
  return x;
}

/** The inverse of a symmetric positive-definite matrix. */
export function inverseSymmetricPositiveDefinite(matrix: ArrayLike<number>, n: number): Float64Array {
  const identity = new Float64Array(n * n);
  for (let i = 0; i < n; i += 1) identity[i * n + i] = 1;
  return solveWithCholesky(cholesky(matrix, n), n, identity, n);
}
