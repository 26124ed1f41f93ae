// The typed contract of build/Release/densenode.node (native/binding.cc).
// Every function checks every argument and throws a TypeError or RangeError
// whose message names the argument: "gemm: expected <what> for <name>, received <actual>".

/** What the addon reports about itself. */
export interface NativeInfo {
  /** The GEMM micro-kernel chosen at load from CPU features. */
  isa: 'avx512' | 'avx2' | 'neon' | 'portable';
  /** Threads in the shared pool. */
  threads: number;
  /** The CPUs the process may use, read at load: the pool's default size. */
  cpus: CpuBudget;
  /** The Node-API version the addon was built for. */
  napiVersion: number;
  /** The data caches read at load. */
  caches: CacheInfo;
  /** The GEMM block sizes in use. */
  blocking: GemmBlocking;
}

/**
 * What bounds the pool's default size (native/cpu_budget.h): the CPUs online, the affinity mask
 * (taskset, a cpuset container) and the cgroup CPU quota (a container's --cpus, a Kubernetes CPU
 * limit), which the host's CPU count ignores. DENSENODE_THREADS and setThreads override it.
 */
export interface CpuBudget {
  /** Logical CPUs online. */
  online: number;
  /** CPUs in the process's affinity mask; 0 = unknown. */
  affinity: number;
  /** The cgroup CPU quota in CPUs (cpu.max, or cpu.cfs_quota_us / cpu.cfs_period_us); 0 = none. */
  quota: number;
  /** The default pool size: the least of the three, the quota rounded up. */
  threads: number;
  /** Which of them set threads. */
  source: 'online' | 'affinity' | 'quota';
}

/** One cache level: bytes of one instance, associativity and logical CPUs sharing it (0 = unknown). */
export interface CacheLevelInfo {
  bytes: number;
  ways: number;
  sharing: number;
}

export interface CacheInfo {
  l1d: CacheLevelInfo;
  l2: CacheLevelInfo;
  l3: CacheLevelInfo;
  /** Where they were read: CPUID, Linux sysfs, macOS sysctl, or 'none' (the fixed table is used). */
  source: 'cpuid' | 'sysfs' | 'sysctl' | 'none';
}

/**
 * The GEMM blocking: the mr×nr register tile, the mc×kc packed A block, the kc×nc B panel, and
 * wholeK (≥ kc), the deepest k a product still takes as one K block; source 'model' (derived from
 * the caches), 'table' (caches unknown) or 'DENSENODE_BLOCKING' (override).
 */
export interface GemmBlocking {
  mr: number;
  nr: number;
  mc: number;
  kc: number;
  nc: number;
  wholeK: number;
  source: 'model' | 'table' | 'DENSENODE_BLOCKING';
}

/** Element-wise activations with a backward computed from the forward output. */
export type ActivationKind = 'linear' | 'relu' | 'leakyRelu' | 'tanh' | 'sigmoid';

/**
 * Every kernel besides GEMM, with the same signature in the binding and in both backends
 * (lib/backend/backend.ts extends this). Shapes and formulas: native/batchnorm.h,
 * native/elementwise.h, native/losses.h, native/optimizers.h. Outputs are overwritten, never accumulated into.
 */
export interface LayerKernels {
  // Batch-norm over x: [batch, features] (native/batchnorm.h states every formula).
  /** Training forward: batch statistics, y = γ·x̂ + β (then ReLU), saved mean and 1/σ, running stats updated. y may alias x. */
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
    /** Inverted dropout fused after the ReLU: y = y·mask/keep (a 0/1 byte per element), or null. */
    mask?: Uint8Array | null,
    keep?: number,
  ): void;
  /** Inference forward with the running statistics. y may alias x. */
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
  /**
   * dx, dγ, dβ of the training forward; dy is scaled by dyScale (default 1; 1/keep when dropout was
   * fused) and masked by y > 0 when the ReLU was fused (y: the forward output). dx may alias dy.
   */
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
    dyScale?: number,
  ): void;

  /** y = f(x) over count elements; y may alias x. slope is leaky ReLU's negative slope. */
  activationForward(kind: ActivationKind, count: number, x: Float32Array, y: Float32Array, slope: number): void;
  /** dx = dy·f′ computed from the forward output y; dx may alias dy. */
  activationBackward(kind: ActivationKind, count: number, y: Float32Array, dy: Float32Array, dx: Float32Array, slope: number): void;
  /** Row-wise max-subtracted softmax of x: [rows, cols]; y may alias x. */
  softmaxForward(rows: number, cols: number, x: Float32Array, y: Float32Array): void;
  /** dx = y ⊙ (dy − Σ dy⊙y) per row; dx may alias dy. */
  softmaxBackward(rows: number, cols: number, y: Float32Array, dy: Float32Array, dx: Float32Array): void;

  // Losses from logits (or outputs) z: [rows, cols], native/losses.h. Each returns Σ_i w_i·ℓ_i, the
  // row-weighted sum of the rows' losses; probs and dz are optional outputs, dz = scale·w_i·∂ℓ_i/∂z.
  // rowWeights: rows finite weights ≥ 0, or null or left out for every row 1. The weights do not
  // change scale: Keras's default reduction divides the weighted sum by the batch size.
  /** Sigmoid + binary cross-entropy: dz = scale·(σ(z) − y). */
  sigmoidCrossEntropy(
    rows: number,
    cols: number,
    z: Float32Array,
    y: Float32Array,
    scale: number,
    probs: Float32Array | null,
    dz: Float32Array | null,
    rowWeights?: Float32Array | null,
  ): number;
  /** Softmax + cross-entropy with integer labels in [0, cols): dz = scale·(softmax(z) − onehot). */
  softmaxCrossEntropyLabels(
    rows: number,
    cols: number,
    z: Float32Array,
    labels: Int32Array,
    scale: number,
    probs: Float32Array | null,
    dz: Float32Array | null,
    rowWeights?: Float32Array | null,
  ): number;
  /** Softmax + cross-entropy with one-hot or probability targets: dz = scale·(softmax(z)·Σy − y). */
  softmaxCrossEntropy(
    rows: number,
    cols: number,
    z: Float32Array,
    y: Float32Array,
    scale: number,
    probs: Float32Array | null,
    dz: Float32Array | null,
    rowWeights?: Float32Array | null,
  ): number;
  /** Linear + squared error Σ(z − y)²: dz = scale·2·(z − y). */
  meanSquaredError(
    rows: number,
    cols: number,
    z: Float32Array,
    y: Float32Array,
    scale: number,
    dz: Float32Array | null,
    rowWeights?: Float32Array | null,
  ): number;
  /**
   * Linear + Huber loss, delta in (0, 1e6]: with a = |z − y| and q = min(a, δ), Σ ½q² + δ(a − q);
   * dz = scale·clamp(z − y, −δ, δ).
   */
  huber(
    rows: number,
    cols: number,
    z: Float32Array,
    y: Float32Array,
    delta: number,
    scale: number,
    dz: Float32Array | null,
    rowWeights?: Float32Array | null,
  ): number;
  /** Linear + absolute error Σ|z − y|: dz = scale·sign(z − y), 0 where z = y. */
  meanAbsoluteError(
    rows: number,
    cols: number,
    z: Float32Array,
    y: Float32Array,
    scale: number,
    dz: Float32Array | null,
    rowWeights?: Float32Array | null,
  ): number;

  /**
   * mask[i] = 1 with probability keep, else 0, for i < count: a hash of i keyed by two xoshiro128**
   * draws from the 4-word state, which is advanced in place (the model's PRNG, lib/random.ts).
   */
  dropoutMask(count: number, keep: number, state: Uint32Array, mask: Uint8Array): void;
  /** Inverted dropout y = x·mask/keep, a mask byte other than 0 counting as 1 (a dropped NaN stays NaN); y may alias x. */
  dropoutApply(count: number, x: Float32Array, mask: Uint8Array, keep: number, y: Float32Array): void;
  /** out_j = beta·out_j + alpha·Σ_i x_ij over x: [rows, cols] with row stride ld (bias gradients). */
  columnSums(rows: number, cols: number, x: Float32Array, ld: number, alpha: number, beta: number, out: Float32Array): void;
  /**
   * dst[i, :] = src[indices[i], :] for i < count, rows of cols floats: a mini-batch gathered in
   * shuffled order. An index ≥ rows is a RangeError naming it (dst is then partly written).
   */
  gatherRows(count: number, cols: number, rows: number, src: Float32Array, indices: Uint32Array, dst: Float32Array): void;
  /**
   * gatherRows begun beside the caller's next kernels: an idle thread-pool worker copies the rows
   * while this thread goes on (fit gathers the next batch during a step). The checks are
   * gatherRows's, made before anything is copied. True when the copy runs in the background,
   * false when it was done here (one thread, no worker spinning, the JS backend). Until
   * gatherRowsSettle, dst must not be read or written and neither array detached; another
   * gatherRowsAhead settles the pending one first. The library's `kernels.gatherRowsAhead` keeps
   * that promise for its caller: it goes to the background only when src and dst are views of
   * SharedArrayBuffers (which cannot be detached) and gathers at once otherwise.
   */
  gatherRowsAhead(count: number, cols: number, rows: number, src: Float32Array, indices: Uint32Array, dst: Float32Array): boolean;
  /** Returns once the pending gatherRowsAhead's rows are in dst (at once when none is pending). */
  gatherRowsSettle(): void;
  /**
   * Stored table rows expanded into a mini-batch (lib/data/row-layout.ts): for i < count, with
   * s = src[indices[i]·stride …] and d = dst[i·cols …], d is zeroed, then each (from, into, n)
   * triple of layout (parts of them) writes a run (n > 0: d[into + j] = s[from + j], j < n) or a
   * one-hot block of width w = −n (s[from] is a level k, an integer in [0, w]: d[into + k] = 1,
   * k = w meaning none); targets[i] = s[stride − 1]. A triple outside the rows, an index ≥ rows
   * or a bad level is a RangeError naming it (dst is then partly written).
   */
  expandRows(
    count: number,
    rows: number,
    stride: number,
    cols: number,
    src: Float32Array,
    indices: Uint32Array,
    parts: number,
    layout: Int32Array,
    dst: Float32Array,
    targets: Float32Array,
  ): void;
  /** y += a·x (the L2 term dW += (λ/m)·W). */
  axpy(count: number, a: number, x: Float32Array, y: Float32Array): void;
  /** Index of the first NaN or ±Infinity in x[0..count), or −1. */
  findNonFinite(count: number, x: Float32Array): number;

  // Optimizers over a whole parameter arena; weightDecay is decoupled (AdamW): p −= lr·(update + wd·p).
  // Gradient clipping (native/optimizers.h): every update reads each gradient as
  // g′ = clamp(g, −clipValue, clipValue)·gradScale, clipValue ≥ 0 (0: no clamp) and gradScale in
  // [0, 1] (the global-norm factor min(1, clipNorm/‖g′‖) from sumOfSquares), both given or both left
  // out; left out, the update is bitwise the one without clipping.
  // l2 is the coupled L2 term: g′ is read from g + l2·p (p before the step), bitwise the update after
  // axpy(l2, p, g), without that pass; 0 is off. Each update returns the index of the first updated
  // parameter that is NaN or ±Infinity, or −1 (the scan of the new weights, folded in).
  /** p −= lr·(g′ + wd·p). */
  sgdUpdate(
    count: number,
    params: Float32Array,
    grads: Float32Array,
    lr: number,
    weightDecay: number,
    l2: number,
    gradScale?: number,
    clipValue?: number,
  ): number;
  /** v = β₁v + (1 − β₁)g′; p −= lr·(v + wd·p). */
  momentumUpdate(
    count: number,
    params: Float32Array,
    grads: Float32Array,
    velocity: Float32Array,
    lr: number,
    beta1: number,
    weightDecay: number,
    l2: number,
    gradScale?: number,
    clipValue?: number,
  ): number;
  /** s = β₂s + (1 − β₂)g′²; p −= lr·(g′/(√s + ε) + wd·p). */
  rmspropUpdate(
    count: number,
    params: Float32Array,
    grads: Float32Array,
    square: Float32Array,
    lr: number,
    beta2: number,
    epsilon: number,
    weightDecay: number,
    l2: number,
    gradScale?: number,
    clipValue?: number,
  ): number;
  /** Adam with bias correction on g′; step ≥ 1 counts this update. */
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
    l2: number,
    gradScale?: number,
    clipValue?: number,
  ): number;
  /**
   * Σ clamp(x_i, −clipValue, clipValue)² in float64 (clipValue 0 or left out: no clamp): the squared
   * global norm of the value-clipped gradients. Finite for finite x; the same bits on both backends,
   * any thread count and any ISA (one fixed order of additions).
   */
  sumOfSquares(count: number, x: Float32Array, clipValue?: number): number;
}

/** The addon's exports. */
export interface NativeBinding extends LayerKernels {
  /**
   * C = act(alpha·op(A)·op(B) + beta·C + bias), row-major float32, in place in C.
   * op(A) is m×k (A stored k×m when transA), op(B) is k×n (B stored n×k when transB).
   * beta = 0 makes C write-only. bias: n floats or null; relu: clamp at 0 after the bias.
   * C must not overlap A, B, bias or packedB.
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
    /** op(B) as packB packed it, read instead of B where this product would pack B (else ignored). */
    packedB?: Float32Array | null,
  ): void;
  /**
   * Floats of a pack of a k×n op(B) for products of m rows, or 0 where such a product reads B in
   * place (m ≤ 4, or n at most the narrow path's 16 columns). One pack serves every m it is nonzero for.
   */
  packedBLength(m: number, n: number, k: number): number;
  /** Packs op(B) (B stored k×n, or n×k when transB) into out, the layout gemm's packedB reads. */
  packB(transB: boolean, n: number, k: number, B: Float32Array, ldb: number, out: Float32Array): void;
  /** Sizes the shared thread pool (1..256). */
  setThreads(n: number): void;
  info(): NativeInfo;
}
