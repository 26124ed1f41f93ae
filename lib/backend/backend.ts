// The kernel contract: one interface, two implementations (native/ and js/).
// Kernels compute into caller-owned arrays and allocate nothing; the
// TypeScript layer decides what to compute.
import type { CacheInfo, CpuBudget, GemmBlocking, LayerKernels } from '../../binding.js';

export type { ActivationKind, CacheInfo, CacheLevelInfo, CpuBudget, GemmBlocking } from '../../binding.js';

/** Options of the GEMM epilogue, applied while C is still in registers. */
export interface GemmEpilogue {
  /** n floats added to every row of C after the product. */
  bias?: Float32Array | null;
  /** 'relu' clamps C at 0 after the bias. */
  activation?: 'none' | 'relu';
  /** @internal op(B) packed by the backend's `packs`: read instead of B where the product would pack B. */
  packedB?: Float32Array | null;
}

/**
 * Packs of a constant B (a model's weights while it serves) in the layout the GEMM reads, so that
 * repeated products skip packing B; the results are bitwise those without.
 */
export interface GemmPacks {
  /** Floats of a pack of a k×n op(B) for products of m rows; 0 where such a product reads B in place. */
  length(m: number, n: number, k: number): number;
  /** Packs B (k×n, row stride ldb) into out, which holds length(m, n, k) floats for some m. */
  pack(n: number, k: number, B: Float32Array, ldb: number, out: Float32Array): void;
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
  /** Native only: the CPUs the process may use (affinity, cgroup quota), which size the pool by default. */
  cpus?: CpuBudget;
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
  /** Weight packs, or null where the GEMM reads B in place (the JS backend). */
  readonly packs: GemmPacks | null;
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
