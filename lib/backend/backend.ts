// The kernel contract: one interface, two implementations (native/ and js/).
// Kernels compute into caller-owned arrays and allocate nothing; the
// TypeScript layer decides what to compute.
import type { CacheInfo, GemmBlocking, LayerKernels } from '../../binding.js';

export type { ActivationKind, CacheInfo, CacheLevelInfo, GemmBlocking } from '../../binding.js';

/** Options of the GEMM epilogue, applied while C is still in registers. */
export interface GemmEpilogue {
  /** n floats added to every row of C after the product. */
  bias?: Float32Array | null;
  /** 'relu' clamps C at 0 after the bias. */
  activation?: 'none' | 'relu';
}

/** What the active backend is and how it runs. */
export interface BackendInfo {
  /** 'native' when the C++ addon loaded, 'js' for the pure-TypeScript fallback. */
  name: 'native' | 'js';
  /** The GEMM micro-kernel in use ('avx512' | 'avx2' | 'neon' | 'portable' natively, 'js' otherwise). */
  isa: string;
  /** Threads the kernels use (always 1 on the JS backend). */
  threads: number;
  /** Why this backend was chosen. */
  reason: string;
  /** Native only: the CPU's data caches as read at load. */
  caches?: CacheInfo;
  /** Native only: the GEMM block sizes chosen for those caches (or DENSENODE_BLOCKING). */
  blocking?: GemmBlocking;
}

/** One backend's kernels, BLAS-style, on row-major Float32Arrays (the layer kernels: binding.d.ts). */
export interface Backend extends LayerKernels {
  readonly name: 'native' | 'js';
  info(): Omit<BackendInfo, 'reason'>;
  setThreads(n: number): void;
  /**
   * C = act(alpha·op(A)·op(B) + beta·C + bias), row-major, in place in C.
   * op(A) is m×k (A stored k×m when transA); op(B) is k×n (B stored n×k when transB).
   * beta = 0 makes C write-only: NaN already in C is overwritten, not propagated.
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
  ): void;
}
