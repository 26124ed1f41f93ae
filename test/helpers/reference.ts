// Independent references for the kernel tests: a seeded generator and a naive
// float64 GEMM that shares no code with either backend.

/** Deterministic uniform values in [-1, 1) from a 32-bit LCG. */
export function randomFloats(length: number, seed: number): Float32Array {
  const out = new Float32Array(length);
  let state = (seed * 2654435761) >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state / 2 ** 32) * 2 - 1;
  }
  return out;
}

/** A small seeded integer generator for picking sizes. */
export function sizePicker(seed: number): (lo: number, hi: number) => number {
  let state = seed >>> 0;
  return (lo, hi) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return lo + (state % (hi - lo + 1));
  };
}

/** C = act(alpha·op(A)·op(B) + beta·C + bias) in float64, as a fresh m×n array. */
export function referenceGemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  A: ArrayLike<number>,
  lda: number,
  B: ArrayLike<number>,
  ldb: number,
  beta: number,
  C: ArrayLike<number>,
  ldc: number,
  bias: ArrayLike<number> | null = null,
  relu = false,
): { values: Float64Array; magnitude: Float64Array } {
  const values = new Float64Array(m * n);
  // Σ|a·b| per element bounds the float32 rounding error of the sum.
  const magnitude = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      let abs = 0;
      for (let p = 0; p < k; p++) {
        const a = Number(transA ? A[p * lda + i] : A[i * lda + p]);
        const b = Number(transB ? B[j * ldb + p] : B[p * ldb + j]);
        sum += a * b;
        abs += Math.abs(a * b);
      }
      let c = alpha * sum + (beta === 0 ? 0 : beta * Number(C[i * ldc + j]));
      if (bias) c += Number(bias[j]);
      if (relu) c = Math.max(0, c);
      values[i * n + j] = c;
      magnitude[i * n + j] =
        Math.abs(alpha) * abs + Math.abs(beta * (beta === 0 ? 0 : Number(C[i * ldc + j]))) + (bias ? Math.abs(Number(bias[j])) : 0);
    }
  }
  return { values, magnitude };
}
