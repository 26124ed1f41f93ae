// Optimizer updates over a whole parameter arena, in the contract of
// native/optimizers.h. weightDecay is decoupled (AdamW): p −= lr·(update + wd·p).
// Gradient clipping: each update reads grads[i] as g′ = clamp(g, −clipValue, clipValue)·gradScale
// (clipValue 0: no clamp). With the defaults the clamp is against ±Infinity and the scale 1, both
// exact, so an update that does not clip computes exactly what it did before clipping existed.
// l2 is the coupled L2 term: the update reads fround(g + l2·p), p before the step, exactly what it
// read after a separate axpy into grads (elementwise.ts). Each update returns the index of the first updated
// parameter that is NaN or ±Infinity as stored (float32), or −1.
import type { FloatArray } from './gemm.js';

/** Smallest normal float32. */
const FLT_MIN = 2 ** -126;
/** Smallest positive float32 (a subnormal) and the largest float32. */
const FLT_TRUE_MIN = 2 ** -149;
const FLT_MAX = (2 - 2 ** -23) * 2 ** 127;
/** A decaying moment below FLT_MIN is stored as 0, as native does (see native/optimizers.cc). */
const flushTiny = (x: number): number => (Math.abs(x) < FLT_MIN ? 0 : x);

// The clamp bound as native uses it: clipValue rounded to float32 (above FLT_MAX, Infinity), a
// positive one never rounded to 0, and 0 for no clamp (native/binding/optimizers.cc).
function clampLimit(clipValue: number): number {
  if (!(clipValue > 0) || clipValue > FLT_MAX) return Number.POSITIVE_INFINITY;
  return Math.max(Math.fround(clipValue), FLT_TRUE_MIN);
}

// Math.min and Math.max keep a NaN a NaN, as native's comparisons do.
const clamp = (g: number, limit: number): number => Math.min(Math.max(g, -limit), limit);

/** The gradient an update steps on: grads[i] plus the L2 term, rounded as a stored gradient is. */
const withL2 = (g: number, p: number, l2: number): number => (l2 === 0 ? g : Math.fround(g + l2 * p));

/** Stores an updated parameter; true when it is NaN or ±Infinity as a float32. */
function store(params: FloatArray, i: number, value: number): boolean {
  const stored = Math.fround(value);
  params[i] = stored;
  return stored - stored !== 0;
}

/** p −= lr·(g′ + wd·p). */
export function sgdUpdate(
  count: number,
  params: FloatArray,
  grads: FloatArray,
  lr: number,
  weightDecay: number,
  l2: number,
  gradScale = 1,
  clipValue = 0,
): number {
  const limit = clampLimit(clipValue);
  let first = -1;
  for (let i = 0; i < count; i++) {
    const p = params[i] as number;
    const g = clamp(withL2(grads[i] as number, p, l2), limit) * gradScale;
    if (store(params, i, p - lr * (g + weightDecay * p)) && first < 0) first = i;
  }
  return first;
}

/** v = β₁v + (1 − β₁)g′; p −= lr·(v + wd·p). */
export function momentumUpdate(
  count: number,
  params: FloatArray,
  grads: FloatArray,
  velocity: FloatArray,
  lr: number,
  beta1: number,
  weightDecay: number,
  l2: number,
  gradScale = 1,
  clipValue = 0,
): number {
  const limit = clampLimit(clipValue);
  let first = -1;
  for (let i = 0; i < count; i++) {
    const p = params[i] as number;
    const g = clamp(withL2(grads[i] as number, p, l2), limit) * gradScale;
    const v = flushTiny(beta1 * (velocity[i] as number) + (1 - beta1) * g);
    velocity[i] = v;
    if (store(params, i, p - lr * (v + weightDecay * p)) && first < 0) first = i;
  }
  return first;
}

/** s = β₂s + (1 − β₂)g′²; p −= lr·(g′/(√s + ε) + wd·p). */
export function rmspropUpdate(
  count: number,
  params: FloatArray,
  grads: FloatArray,
  square: FloatArray,
  lr: number,
  beta2: number,
  epsilon: number,
  weightDecay: number,
  l2: number,
  gradScale = 1,
  clipValue = 0,
): number {
  const limit = clampLimit(clipValue);
  let first = -1;
  for (let i = 0; i < count; i++) {
    const p = params[i] as number;
    const g = clamp(withL2(grads[i] as number, p, l2), limit) * gradScale;
    const s = flushTiny(beta2 * (square[i] as number) + (1 - beta2) * g * g);
    square[i] = s;
    if (store(params, i, p - lr * (g / (Math.sqrt(s) + epsilon) + weightDecay * p)) && first < 0) first = i;
  }
  return first;
}

/** Adam with bias correction (step ≥ 1 counts this update): p −= lr·(m̂/(√v̂ + ε) + wd·p). */
export function adamUpdate(
  count: number,
  params: FloatArray,
  grads: FloatArray,
  m: FloatArray,
  v: FloatArray,
  lr: number,
  beta1: number,
  beta2: number,
  epsilon: number,
  step: number,
  weightDecay: number,
  l2: number,
  gradScale = 1,
  clipValue = 0,
): number {
  const limit = clampLimit(clipValue);
  const correction1 = 1 - beta1 ** step;
  const correction2 = 1 - beta2 ** step;
  let first = -1;
  for (let i = 0; i < count; i++) {
    const p = params[i] as number;
    const g = clamp(withL2(grads[i] as number, p, l2), limit) * gradScale;
    const mi = flushTiny(beta1 * (m[i] as number) + (1 - beta1) * g);
    const vi = flushTiny(beta2 * (v[i] as number) + (1 - beta2) * g * g);
    m[i] = mi;
    v[i] = vi;
    const next = p - lr * (mi / correction1 / (Math.sqrt(vi / correction2) + epsilon) + weightDecay * p);
    if (store(params, i, next) && first < 0) first = i;
  }
  return first;
}

// The order of native/optimizers.cc's sum, so that both backends return the same bits: blocks of
// at least 16384 elements (a multiple of 16, at most 64 blocks), summed in block order; within a
// block 16 lanes (element i in lane i % 16), then the lanes pairwise (8 + 8, 4 + 4, 2 + 2, 1 + 1).
// A float's square is exact in float64, so only the additions round, and in the same order.
const LANES = 16;
const lanes = new Float64Array(LANES);

function blockLength(count: number): number {
  const even = Math.max(16384, Math.ceil(count / 64));
  return Math.ceil(even / LANES) * LANES;
}

/** Σ clamp(x_i, −clipValue, clipValue)² in float64 (clipValue 0: no clamp), bit for bit native's. */
export function sumOfSquares(count: number, x: FloatArray, clipValue = 0): number {
  const limit = clampLimit(clipValue);
  const block = blockLength(count);
  let total = 0;
  for (let begin = 0; begin < count; begin += block) {
    const end = Math.min(count, begin + block);
    lanes.fill(0);
    for (let i = begin; i < end; i++) {
      const c = clamp(x[i] as number, limit);
      lanes[(i - begin) % LANES] += c * c;
    }
    for (let width = LANES / 2; width > 0; width >>= 1) {
      for (let j = 0; j < width; j++) lanes[j] = (lanes[j] as number) + (lanes[j + width] as number);
    }
    total += lanes[0] as number;
  }
  return total;
}
