// Optimizer updates over a whole parameter arena, in the contract of
// native/optimizers.h. weightDecay is decoupled (AdamW): p −= lr·(update + wd·p).
import type { FloatArray } from './gemm.js';

/** Smallest normal float32. */
const FLT_MIN = 2 ** -126;
/** A decaying moment below FLT_MIN is stored as 0, as native does (see native/optimizers.cc). */
const flushTiny = (x: number): number => (Math.abs(x) < FLT_MIN ? 0 : x);

/** p −= lr·(g + wd·p). */
export function sgdUpdate(count: number, params: FloatArray, grads: FloatArray, lr: number, weightDecay: number): void {
  for (let i = 0; i < count; i++) {
    const p = params[i] as number;
    params[i] = p - lr * ((grads[i] as number) + weightDecay * p);
  }
}

/** v = β₁v + (1 − β₁)g; p −= lr·(v + wd·p). */
export function momentumUpdate(
  count: number,
  params: FloatArray,
  grads: FloatArray,
  velocity: FloatArray,
  lr: number,
  beta1: number,
  weightDecay: number,
): void {
  for (let i = 0; i < count; i++) {
    const v = flushTiny(beta1 * (velocity[i] as number) + (1 - beta1) * (grads[i] as number));
    velocity[i] = v;
    const p = params[i] as number;
    params[i] = p - lr * (v + weightDecay * p);
  }
}

/** s = β₂s + (1 − β₂)g²; p −= lr·(g/(√s + ε) + wd·p). */
export function rmspropUpdate(
  count: number,
  params: FloatArray,
  grads: FloatArray,
  square: FloatArray,
  lr: number,
  beta2: number,
  epsilon: number,
  weightDecay: number,
): void {
  for (let i = 0; i < count; i++) {
    const g = grads[i] as number;
    const s = flushTiny(beta2 * (square[i] as number) + (1 - beta2) * g * g);
    square[i] = s;
    const p = params[i] as number;
    params[i] = p - lr * (g / (Math.sqrt(s) + epsilon) + weightDecay * p);
  }
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
): void {
  const correction1 = 1 - beta1 ** step;
  const correction2 = 1 - beta2 ** step;
  for (let i = 0; i < count; i++) {
    const g = grads[i] as number;
    const mi = flushTiny(beta1 * (m[i] as number) + (1 - beta1) * g);
    const vi = flushTiny(beta2 * (v[i] as number) + (1 - beta2) * g * g);
    m[i] = mi;
    v[i] = vi;
    const p = params[i] as number;
    params[i] = p - lr * (mi / correction1 / (Math.sqrt(vi / correction2) + epsilon) + weightDecay * p);
  }
}
