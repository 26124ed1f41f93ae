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

  // Batch-norm over x: [batch, features] (native/batchnorm.h). Outputs overwritten; y may be x, dx may be dy.
  batchNormForwardTrain(
    batch: number,
    features: number,
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    epsilon: number,
    momentum: number,
    runningMean: Float32Array,
    runningVar: Float32Array,
    savedMean: Float32Array,
    savedInvStd: Float32Array,
    y: Float32Array,
    relu: boolean,
  ): void;
  batchNormForwardInfer(
    batch: number,
    features: number,
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    runningMean: Float32Array,
    runningVar: Float32Array,
    epsilon: number,
    y: Float32Array,
    relu: boolean,
  ): void;
  batchNormBackward(
    batch: number,
    features: number,
    x: Float32Array,
    y: Float32Array | null,
    dy: Float32Array,
    gamma: Float32Array,
    savedMean: Float32Array,
    savedInvStd: Float32Array,
    dx: Float32Array,
    dgamma: Float32Array,
    dbeta: Float32Array,
  ): void;

  // Element-wise (native/elementwise.h). kind: 'linear' | 'relu' | 'leakyRelu' | 'tanh' | 'sigmoid'.
  activationForward(kind: string, count: number, x: Float32Array, y: Float32Array, slope: number): void;
  activationBackward(kind: string, count: number, y: Float32Array, dy: Float32Array, dx: Float32Array, slope: number): void;
  softmaxForward(rows: number, cols: number, x: Float32Array, y: Float32Array): void;
  softmaxBackward(rows: number, cols: number, y: Float32Array, dy: Float32Array, dx: Float32Array): void;
  dropoutApply(count: number, x: Float32Array, mask: Uint8Array, keep: number, y: Float32Array): void;
  columnSums(rows: number, cols: number, x: Float32Array, ld: number, alpha: number, beta: number, out: Float32Array): void;
  axpy(count: number, a: number, x: Float32Array, y: Float32Array): void;
  findNonFinite(count: number, x: Float32Array): number;

  // Losses from logits: each returns the summed loss; probs and dz are optional outputs.
  sigmoidCrossEntropy(
    rows: number,
    cols: number,
    z: Float32Array,
    y: Float32Array,
    scale: number,
    probs: Float32Array | null,
    dz: Float32Array | null,
  ): number;
  softmaxCrossEntropyLabels(
    rows: number,
    cols: number,
    z: Float32Array,
    labels: Int32Array,
    scale: number,
    probs: Float32Array | null,
    dz: Float32Array | null,
  ): number;
  softmaxCrossEntropy(
    rows: number,
    cols: number,
    z: Float32Array,
    y: Float32Array,
    scale: number,
    probs: Float32Array | null,
    dz: Float32Array | null,
  ): number;
  meanSquaredError(rows: number, cols: number, z: Float32Array, y: Float32Array, scale: number, dz: Float32Array | null): number;

  // Optimizers over a parameter arena (native/optimizers.h); weightDecay is decoupled.
  sgdUpdate(count: number, params: Float32Array, grads: Float32Array, lr: number, weightDecay: number): void;
  momentumUpdate(
    count: number,
    params: Float32Array,
    grads: Float32Array,
    velocity: Float32Array,
    lr: number,
    beta1: number,
    weightDecay: number,
  ): void;
  rmspropUpdate(
    count: number,
    params: Float32Array,
    grads: Float32Array,
    square: Float32Array,
    lr: number,
    beta2: number,
    epsilon: number,
    weightDecay: number,
  ): void;
  adamUpdate(
    count: number,
    params: Float32Array,
    grads: Float32Array,
    m: Float32Array,
    v: Float32Array,
    lr: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    step: number,
    weightDecay: number,
  ): void;
}
