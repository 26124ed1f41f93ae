// Dropout, column sums, axpy and the non-finite scan, in the contract of native/elementwise.h.
import type { FloatArray } from './gemm.js';
import { badRowIndex, checkRowIndices } from './rows.js';

/** y = x·mask/keep (inverted dropout); mask holds 0/1 bytes. y may alias x. */
export function dropoutApply(count: number, x: FloatArray, mask: Uint8Array, keep: number, y: FloatArray): void {
  const scale = 1 / keep;
  // x · (0 or 1) / keep, as the native kernel: a dropped NaN stays NaN, any nonzero byte keeps.
  for (let i = 0; i < count; i++) y[i] = (x[i] as number) * (mask[i] ? 1 : 0) * scale;
}

/**
 * mask[i] = 1 with probability keep for i < count. Counter-based, as native/elementwise.cc: two
 * xoshiro128** outputs from state (advanced in place by two steps) key a hash of i, so every
 * element is independent and the native kernel can fill the mask in parallel with the same bits.
 */
export function dropoutMask(count: number, keep: number, state: Uint32Array, mask: Uint8Array): void {
  const k0 = xoshiroNext(state);
  const k1 = xoshiroNext(state);
  // h < keep·2^32 over the integers h is h < ceil(keep·2^32); from 2^32 on, every unit is kept.
  const threshold = Math.ceil(keep * 4294967296);
  // The high word of the counter i keys each run of 2^32 elements.
  for (let start = 0, high = 0; start < count; start += 4294967296, high++) {
    const k = k1 ^ Math.imul(high, 0x9e3779b9);
    const end = Math.min(count, start + 4294967296);
    for (let i = start; i < end; i++) mask[i] = mix32(mix32((i >>> 0) ^ k0) ^ k) < threshold ? 1 : 0;
  }
}

/** One xoshiro128** step on state (advanced in place), returning its 32-bit output. */
export function xoshiroNext(s: Uint32Array): number {
  const s0 = s[0] as number;
  const s1 = s[1] as number;
  const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
  const t = (s1 << 9) >>> 0;
  s[2] = (s[2] as number) ^ s0;
  s[3] = (s[3] as number) ^ s1;
  s[1] = s1 ^ (s[2] as number);
  s[0] = s0 ^ (s[3] as number);
  s[2] = (s[2] as number) ^ t;
  s[3] = rotl(s[3] as number, 11);
  return result;
}

/** A 32-bit bijection with full avalanche (the "lowbias32" constants of Wellons' hash-prospector). */
export function mix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x21f0aaad);
  h = Math.imul(h ^ (h >>> 15), 0x735a2d97);
  return (h ^ (h >>> 15)) >>> 0;
}

function rotl(x: number, k: number): number {
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

/** dst[i, :] = src[indices[i], :] for i < count (rows of cols floats); an index ≥ rows is a RangeError. */
export function gatherRows(count: number, cols: number, rows: number, src: FloatArray, indices: Uint32Array, dst: FloatArray): void {
  for (let i = 0; i < count; i++) {
    const r = indices[i] as number;
    if (r >= rows) throw badRowIndex('gatherRows', rows, r, i);
    // cols = 0 copies nothing (and dst may then be a detached, empty array).
    if (cols > 0) dst.set(src.subarray(r * cols, (r + 1) * cols), i * cols);
  }
}

/**
 * gatherRows at once, as nothing runs beside the caller here: false, nothing is pending. As the
 * native one, it checks every index before it copies a row.
 */
export function gatherRowsAhead(
  count: number,
  cols: number,
  rows: number,
  src: FloatArray,
  indices: Uint32Array,
  dst: FloatArray,
): boolean {
  checkRowIndices('gatherRowsAhead', count, rows, indices);
  gatherRows(count, cols, rows, src, indices, dst);
  return false;
}

/** Nothing is ever pending on this backend. */
export function gatherRowsSettle(): void {}

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
