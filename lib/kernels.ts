// The public low-level API: the active backend's kernels, each call checked
// first so both backends reject bad arguments with the same error.
import type { BackendInfo, GemmEpilogue } from './backend/backend.js';
import { activeSelection } from './backend/select.js';
import { checkGemm, checkThreads } from './backend/validate.js';

/** BLAS-style kernels on row-major Float32Arrays, writing into caller-owned outputs. */
export const kernels = {
  /**
   * C = act(alpha·op(A)·op(B) + beta·C + bias), row-major, in place in C.
   * op(A) is m×k (A stored k×m when transA); op(B) is k×n (B stored n×k when transB).
   * lda/ldb/ldc are the row strides of the stored matrices, so sub-matrix views work.
   * beta = 0 makes C write-only. `epilogue.bias` (n floats) and `epilogue.activation: 'relu'`
   * turn a dense layer's forward pass into one call.
   */
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    A: Float32Array,
    lda: number,
    B: Float32Array,
    ldb: number,
    beta: number,
    C: Float32Array,
    ldc: number,
    epilogue?: GemmEpilogue,
  ): void {
    checkGemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, epilogue);
    activeSelection().backend.gemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, epilogue);
  },
};

/** Which backend runs the kernels, its GEMM micro-kernel, its thread count and why it was chosen. */
export function backendInfo(): BackendInfo {
  const { backend, reason } = activeSelection();
  return { ...backend.info(), reason };
}

/** Sets the native thread pool's size (1..256); the JS backend always runs on one thread. */
export function setThreads(n: number): void {
  activeSelection().backend.setThreads(checkThreads(n));
}
