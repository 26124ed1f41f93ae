// Losses from logits (or outputs), numerically stable, in the contract of
// native/losses.h: each returns Σ_i w_i·ℓ_i, the row-weighted SUM of the rows'
// losses (the caller divides for a mean), optionally writes the output
// activation (probs) and dz = scale·w_i·∂ℓ_i/∂z. dz may alias z. rowWeights
// null (or left out) is every row 1; the weight joins the row's gradient scale
// and its loss, so it costs no extra pass, and scale·1 leaves the unweighted
// gradients exactly as they were.
import { sigmoid } from './activations.js';
import type { FloatArray } from './gemm.js';

type Weights = FloatArray | null;
const weightOf = (rowWeights: Weights, row: number): number => (rowWeights === null ? 1 : (rowWeights[row] as number));

/** Σ max(z,0) − z·y + log1p(e^−|z|); dz = scale·(σ(z) − y). */
export function sigmoidCrossEntropy(
  rows: number,
  cols: number,
  z: FloatArray,
  y: FloatArray,
  scale: number,
  probs: FloatArray | null,
  dz: FloatArray | null,
  rowWeights: Weights = null,
): number {
  if (cols === 0) return 0; // and no loop over rows: rows may be 2^31 − 1 here
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    const w = weightOf(rowWeights, r);
    const k = scale * w;
    let rowLoss = 0;
    for (let i = r * cols; i < (r + 1) * cols; i++) {
      const v = z[i] as number;
      const t = y[i] as number;
      rowLoss += Math.max(v, 0) - v * t + Math.log1p(Math.exp(-Math.abs(v)));
      const p = sigmoid(v);
      if (probs !== null) probs[i] = p;
      if (dz !== null) dz[i] = k * (p - t);
    }
    loss += w * rowLoss;
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
  rowWeights: Weights = null,
): number {
  let loss = 0;
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    const w = weightOf(rowWeights, i);
    const k = scale * w;
    const lse = logSumExp(z, row, cols);
    const label = labels[i] as number;
    loss += w * (lse - (z[row + label] as number));
    for (let j = 0; j < cols; j++) {
      const p = Math.exp((z[row + j] as number) - lse);
      if (probs !== null) probs[row + j] = p;
      if (dz !== null) dz[row + j] = k * (p - (j === label ? 1 : 0));
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
  rowWeights: Weights = null,
): number {
  let loss = 0;
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    const w = weightOf(rowWeights, i);
    const k = scale * w;
    const lse = logSumExp(z, row, cols);
    let mass = 0;
    let rowLoss = 0;
    for (let j = 0; j < cols; j++) {
      const t = y[row + j] as number;
      mass += t;
      rowLoss += t * (lse - (z[row + j] as number));
    }
    loss += w * rowLoss;
    for (let j = 0; j < cols; j++) {
      const p = Math.exp((z[row + j] as number) - lse);
      if (probs !== null) probs[row + j] = p;
      if (dz !== null) dz[row + j] = k * (p * mass - (y[row + j] as number));
    }
  }
  return loss;
}

// One regression loss over every row: `element(d)` is the loss of one output at d = z − y, and
// `slope(d)` its derivative; dz = scale·w·slope(d).
function regression(
  rows: number,
  cols: number,
  z: FloatArray,
  y: FloatArray,
  scale: number,
  dz: FloatArray | null,
  rowWeights: Weights,
  element: (d: number) => number,
  slope: (d: number) => number,
): number {
  if (cols === 0) return 0; // and no loop over rows: rows may be 2^31 − 1 here
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    const w = weightOf(rowWeights, r);
    const k = scale * w;
    let rowLoss = 0;
    for (let i = r * cols; i < (r + 1) * cols; i++) {
      const d = (z[i] as number) - (y[i] as number);
      rowLoss += element(d);
      if (dz !== null) dz[i] = k * slope(d);
    }
    loss += w * rowLoss;
  }
  return loss;
}

const square = (d: number) => d * d;
const twice = (d: number) => 2 * d;

/** Σ (z − y)²; dz = scale·2·(z − y). */
export function meanSquaredError(
  rows: number,
  cols: number,
  z: FloatArray,
  y: FloatArray,
  scale: number,
  dz: FloatArray | null,
  rowWeights: Weights = null,
): number {
  return regression(rows, cols, z, y, scale, dz, rowWeights, square, twice);
}

/** With a = |z − y| and q = min(a, δ): Σ ½q² + δ(a − q) (quadratic to δ, then linear); dz = scale·clamp(z − y, −δ, δ). */
export function huber(
  rows: number,
  cols: number,
  z: FloatArray,
  y: FloatArray,
  delta: number,
  scale: number,
  dz: FloatArray | null,
  rowWeights: Weights = null,
): number {
  const element = (d: number) => {
    const a = Math.abs(d);
    const q = Math.min(a, delta);
    return 0.5 * q * q + delta * (a - q);
  };
  // Math.min/max keep NaN, as the native kernel's clamp does.
  const slope = (d: number) => Math.min(delta, Math.max(-delta, d));
  return regression(rows, cols, z, y, scale, dz, rowWeights, element, slope);
}

/** Σ |z − y|; dz = scale·sign(z − y), 0 where z = y. */
export function meanAbsoluteError(
  rows: number,
  cols: number,
  z: FloatArray,
  y: FloatArray,
  scale: number,
  dz: FloatArray | null,
  rowWeights: Weights = null,
): number {
  return regression(rows, cols, z, y, scale, dz, rowWeights, Math.abs, Math.sign);
}
