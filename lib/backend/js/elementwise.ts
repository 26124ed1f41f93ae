// Dropout, column sums, axpy and the non-finite scan, in the contract of native/elementwise.h.
import type { FloatArray } from './gemm.js';

/** y = x·mask/keep (inverted dropout); mask holds 0/1 bytes. y may alias x. */
export function dropoutApply(count: number, x: FloatArray, mask: Uint8Array, keep: number, y: FloatArray): void {
  const scale = 1 / keep;
  for (let i = 0; i < count; i++) y[i] = mask[i] ? (x[i] as number) * scale : 0;
}

/** mask[i] = 1 with probability keep for i < count: one xoshiro128** draw each from state, advanced in place. */
export function dropoutMask(count: number, keep: number, state: Uint32Array, mask: Uint8Array): void {
  const threshold = keep * 4294967296;
  // The generator of lib/random.ts with its state in locals: several times faster than a call per draw.
  let s0 = state[0] as number;
  let s1 = state[1] as number;
  let s2 = state[2] as number;
  let s3 = state[3] as number;
  for (let i = 0; i < count; i++) {
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s2 = (s2 ^ s0) >>> 0;
    s3 = (s3 ^ s1) >>> 0;
    s1 = (s1 ^ s2) >>> 0;
    s0 = (s0 ^ s3) >>> 0;
    s2 = (s2 ^ t) >>> 0;
    s3 = rotl(s3, 11);
    mask[i] = result < threshold ? 1 : 0;
  }
  state[0] = s0;
  state[1] = s1;
  state[2] = s2;
  state[3] = s3;
}

export function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** out_j = beta·out_j + alpha·Σ_i x_ij over x: [rows, cols] with row stride ld; beta = 0 makes out write-only. */
export function columnSums(rows: number, cols: number, x: FloatArray, ld: number, alpha: number, beta: number, out: FloatArray): void {
  for (let j = 0; j < cols; j++) out[j] = beta === 0 ? 0 : beta * (out[j] as number);
  // Accumulating in out directly would round every partial sum to float32; a column at a time in float64 does not.
  for (let j = 0; j < cols; j++) {
    let sum = 0;
    for (let i = 0; i < rows; i++) sum += x[i * ld + j] as number;
    out[j] = (out[j] as number) + alpha * sum;
  }
}

/** y += a·x over count elements. */
export function axpy(count: number, a: number, x: FloatArray, y: FloatArray): void {
  for (let i = 0; i < count; i++) y[i] = (y[i] as number) + a * (x[i] as number);
}

/** Index of the first NaN or ±Infinity in x[0..count), or −1. */
export function findNonFinite(count: number, x: FloatArray): number {
  for (let i = 0; i < count; i++) {
    const v = x[i] as number;
    // v − v is NaN exactly for NaN and ±Infinity.
    if (v - v !== 0) return i;
  }
  return -1;
}
