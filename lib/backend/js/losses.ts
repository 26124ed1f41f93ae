// Losses from logits, numerically stable, in the contract of
// native/elementwise.h: each returns the SUM of the losses (the caller divides
// for a mean), optionally writes the output activation (probs) and
// dz = scale·dLoss/dz. dz may alias z.
import { sigmoid } from './activations.js';
import type { FloatArray } from './gemm.js';

/** Σ max(z,0) − z·y + log1p(e^−|z|); dz = scale·(σ(z) − y). */
export function sigmoidCrossEntropy(
  rows: number,
  cols: number,
  z: FloatArray,
  y: FloatArray,
  scale: number,
  probs: FloatArray | null,
  dz: FloatArray | null,
): number {
  let loss = 0;
  for (let i = 0; i < rows * cols; i++) {
    const v = z[i] as number;
    const t = y[i] as number;
    loss += Math.max(v, 0) - v * t + Math.log1p(Math.exp(-Math.abs(v)));
    const p = sigmoid(v);
    if (probs !== null) probs[i] = p;
    if (dz !== null) dz[i] = scale * (p - t);
  }
  return loss;
}

// log Σ_j e^{z_ij} for row i, max-subtracted.
function logSumExp(z: FloatArray, row: number, cols: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < cols; j++) max = Math.max(max, z[row + j] as number);
  let sum = 0;
  for (let j = 0; j < cols; j++) sum += Math.exp((z[row + j] as number) - max);
  return max + Math.log(sum);
}

/** Σ_i lse(z_i) − z_i,label; dz = scale·(softmax(z) − onehot). Labels are in [0, cols). */
export function softmaxCrossEntropyLabels(
  rows: number,
  cols: number,
  z: FloatArray,
  labels: Int32Array,
  scale: number,
  probs: FloatArray | null,
  dz: FloatArray | null,
): number {
  let loss = 0;
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    const lse = logSumExp(z, row, cols);
    const label = labels[i] as number;
    loss += lse - (z[row + label] as number);
    for (let j = 0; j < cols; j++) {
      const p = Math.exp((z[row + j] as number) - lse);
      if (probs !== null) probs[row + j] = p;
      if (dz !== null) dz[row + j] = scale * (p - (j === label ? 1 : 0));
    }
  }
  return loss;
}

/** Σ_ij y_ij·(lse(z_i) − z_ij); dz = scale·(softmax(z)·Σ_j y_ij − y). */
export function softmaxCrossEntropy(
  rows: number,
  cols: number,
  z: FloatArray,
  y: FloatArray,
  scale: number,
  probs: FloatArray | null,
  dz: FloatArray | null,
): number {
  let loss = 0;
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    const lse = logSumExp(z, row, cols);
    let mass = 0;
    for (let j = 0; j < cols; j++) {
      const t = y[row + j] as number;
      mass += t;
      loss += t * (lse - (z[row + j] as number));
    }
    for (let j = 0; j < cols; j++) {
      const p = Math.exp((z[row + j] as number) - lse);
      if (probs !== null) probs[row + j] = p;
      if (dz !== null) dz[row + j] = scale * (p * mass - (y[row + j] as number));
    }
  }
  return loss;
}

/** Σ (z − y)²; dz = scale·2·(z − y). */
export function meanSquaredError(rows: number, cols: number, z: FloatArray, y: FloatArray, scale: number, dz: FloatArray | null): number {
  let loss = 0;
  for (let i = 0; i < rows * cols; i++) {
    const d = (z[i] as number) - (y[i] as number);
    loss += d * d;
    if (dz !== null) dz[i] = scale * 2 * d;
  }
  return loss;
}
