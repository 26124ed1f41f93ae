// The typed contract of build/Release/densenode.node (native/binding.cc).
// Every function checks every argument and throws a TypeError or RangeError
// whose message names the argument: "gemm: expected <what> for <name>, received <actual>".

/** What the addon reports about itself. */
export interface NativeInfo {
  /** The GEMM micro-kernel chosen at load from CPU features. */
  isa: 'avx512' | 'avx2' | 'portable';
  /** Threads in the shared pool. */
  threads: number;
  /** The Node-API version the addon was built for. */
  napiVersion: number;
}

export interface NativeBinding {
  /**
   * C = act(alpha·op(A)·op(B) + beta·C + bias), row-major float32, in place in C.
   * op(A) is m×k (A stored k×m when transA), op(B) is k×n (B stored n×k when transB).
   * beta = 0 makes C write-only. bias: n floats or null; relu: clamp at 0 after the bias.
   * C must not overlap A, B or bias.
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
    bias: Float32Array | null,
    relu: boolean,
  ): void;
  /** Sizes the shared thread pool (1..256). */
  setThreads(n: number): void;
  info(): NativeInfo;
}
