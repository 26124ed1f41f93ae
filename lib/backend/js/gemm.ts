// GEMM in plain TypeScript: the fallback when no native binary loads, and a
// float64 path for gradient checks (the same code runs on Float64Arrays).
// op(A) and op(B)ᵀ are copied into float64 scratch with contiguous rows, so
// every transpose case becomes the same dot-product kernel over monomorphic
// Float64Arrays (V8 optimises one shape far better than four).
import { scratch } from './scratch.js';

/** A row-major float buffer: Float32Array on the hot path, Float64Array for checks. */
export type FloatArray = Float32Array | Float64Array;

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
  // An empty C: nothing to do. The other dimension may be 2^31 − 1, and looping over it alone
  // took 30 s (found by test/binding-fuzz.test.ts); the native gemm returns here too.
  if (m === 0 || n === 0) return;
  scaleRows(m, n, beta, C, ldc);
  if (alpha !== 0 && k > 0) {
    const packedA = scratch('gemm.A', m * k);
    const packedB = scratch('gemm.B', n * k);
    packRows(transA, m, k, A, lda, packedA);
    packRows(!transB, n, k, B, ldb, packedB);
    accumulateDots(m, n, k, alpha, packedA, packedB, C, ldc);
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

// out[r·cols + c] = X[r, c] for a rows×cols matrix stored row-major (transposed
// = false, leading dimension ld) or stored as its transpose (transposed = true).
function packRows(transposed: boolean, rows: number, cols: number, X: FloatArray, ld: number, out: Float64Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    if (transposed) for (let c = 0; c < cols; c++) out[o + c] = X[c * ld + r];
    else for (let c = 0; c < cols; c++) out[o + c] = X[r * ld + c];
  }
}

// C[i,j] += alpha·Σ_p a[i,p]·b[j,p] with a (m×k) and b (n×k) packed row-major;
// 2 rows × 4 columns at a time, so each loaded value feeds 2 or 4 products.
function accumulateDots(
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float64Array,
  b: Float64Array,
  C: FloatArray,
  ldc: number,
): void {
  const m2 = m - (m % 2);
  const n4 = n - (n % 4);
  for (let i = 0; i < m2; i += 2) {
    const a0 = i * k;
    const a1 = a0 + k;
    for (let j = 0; j < n4; j += 4) {
      const b0 = j * k;
      const b1 = b0 + k;
      const b2 = b1 + k;
      const b3 = b2 + k;
      // biome-ignore format: the 2×4 accumulator tile reads best on one line
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      for (let p = 0; p < k; p++) {
        const x0 = a[a0 + p] as number;
        const x1 = a[a1 + p] as number;
        const y0 = b[b0 + p] as number;
        const y1 = b[b1 + p] as number;
        const y2 = b[b2 + p] as number;
        const y3 = b[b3 + p] as number;
        s00 += x0 * y0;
        s01 += x0 * y1;
        s02 += x0 * y2;
        s03 += x0 * y3;
        s10 += x1 * y0;
        s11 += x1 * y1;
        s12 += x1 * y2;
        s13 += x1 * y3;
      }
      const c0 = i * ldc + j;
      const c1 = c0 + ldc;
      C[c0] += alpha * s00;
      C[c0 + 1] += alpha * s01;
      C[c0 + 2] += alpha * s02;
      C[c0 + 3] += alpha * s03;
      C[c1] += alpha * s10;
      C[c1 + 1] += alpha * s11;
      C[c1 + 2] += alpha * s12;
      C[c1 + 3] += alpha * s13;
    }
  }
  // The edges: the last odd row, and the last n % 4 columns of every row.
  for (let i = 0; i < m; i++) {
    for (let j = i < m2 ? n4 : 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += (a[i * k + p] as number) * (b[j * k + p] as number);
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
