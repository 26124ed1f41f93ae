// GEMM in plain TypeScript: the fallback when no native binary loads, and a
// float64 path for gradient checks (the same code runs on Float64Arrays).

/** A row-major float buffer: Float32Array on the hot path, Float64Array for checks. */
export type FloatArray = Float32Array | Float64Array;

// Rows of B kept hot while every row of C is updated: 64 rows of a 1024-wide
// B are 256 KiB, which stays in L2.
const K_BLOCK = 64;

/**
 * C = act(alpha·op(A)·op(B) + beta·C + bias); shapes as in Backend.gemm.
 * Arguments are trusted: callers validate them (lib/backend/validate.ts).
 */
export function gemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  A: FloatArray,
  lda: number,
  B: FloatArray,
  ldb: number,
  beta: number,
  C: FloatArray,
  ldc: number,
  bias: FloatArray | null,
  relu: boolean,
): void {
  scaleRows(m, n, beta, C, ldc);
  if (alpha !== 0 && k > 0) {
    if (transB) accumulateDots(transA, m, n, k, alpha, A, lda, B, ldb, C, ldc);
    else accumulateRows(transA, m, n, k, alpha, A, lda, B, ldb, C, ldc);
  }
  if (bias !== null || relu) applyEpilogue(m, n, C, ldc, bias, relu);
}

// C = beta·C, where beta = 0 writes zeros (BLAS: C is then never read).
function scaleRows(m: number, n: number, beta: number, C: FloatArray, ldc: number): void {
  if (beta === 1) return;
  for (let i = 0; i < m; i++) {
    const row = i * ldc;
    if (beta === 0) C.fill(0, row, row + n);
    else for (let j = row; j < row + n; j++) C[j] *= beta;
  }
}

// B stored k×n: C[i,:] += alpha·op(A)[i,p]·B[p,:], the inner loop running along
// contiguous rows of B and C; p is blocked so those rows of B stay in cache.
function accumulateRows(
  transA: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  A: FloatArray,
  lda: number,
  B: FloatArray,
  ldb: number,
  C: FloatArray,
  ldc: number,
): void {
  const strideI = transA ? 1 : lda;
  const strideP = transA ? lda : 1;
  for (let p0 = 0; p0 < k; p0 += K_BLOCK) {
    const p1 = Math.min(k, p0 + K_BLOCK);
    for (let i = 0; i < m; i++) {
      const cRow = i * ldc;
      for (let p = p0; p < p1; p++) {
        const a = alpha * A[i * strideI + p * strideP];
        const bRow = p * ldb;
        for (let j = 0; j < n; j++) C[cRow + j] += a * B[bRow + j];
      }
    }
  }
}

// B stored n×k: each C[i,j] is a dot product along contiguous rows of B.
function accumulateDots(
  transA: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  A: FloatArray,
  lda: number,
  B: FloatArray,
  ldb: number,
  C: FloatArray,
  ldc: number,
): void {
  const strideI = transA ? 1 : lda;
  const strideP = transA ? lda : 1;
  for (let i = 0; i < m; i++) {
    const aRow = i * strideI;
    for (let j = 0; j < n; j++) {
      const bRow = j * ldb;
      let sum = 0;
      for (let p = 0; p < k; p++) sum += A[aRow + p * strideP] * B[bRow + p];
      C[i * ldc + j] += alpha * sum;
    }
  }
}

function applyEpilogue(m: number, n: number, C: FloatArray, ldc: number, bias: FloatArray | null, relu: boolean): void {
  for (let i = 0; i < m; i++) {
    const row = i * ldc;
    for (let j = 0; j < n; j++) {
      let c = C[row + j];
      if (bias !== null) c += bias[j];
      C[row + j] = relu && c < 0 ? 0 : c;
    }
  }
}
