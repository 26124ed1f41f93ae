// Activations forward and backward, and the row-wise softmax, in the contract
// of native/elementwise.h. Backward passes work from the forward OUTPUT y.
import type { ActivationKind } from '../backend.js';
import type { FloatArray } from './gemm.js';

/** y = f(x) over count elements; y may alias x. slope: leaky ReLU's negative slope. */
export function activationForward(kind: ActivationKind, count: number, x: FloatArray, y: FloatArray, slope: number): void {
  switch (kind) {
    case 'linear':
      if (y !== x) for (let i = 0; i < count; i++) y[i] = x[i] as number;
      return;
    case 'relu':
      for (let i = 0; i < count; i++) {
        const v = x[i] as number;
        // Math.max keeps a NaN a NaN (as natively), so bad data is reported, not hidden.
        y[i] = Math.max(v, 0);
      }
      return;
    case 'leakyRelu':
      for (let i = 0; i < count; i++) {
        const v = x[i] as number;
        y[i] = v < 0 ? slope * v : v;
      }
      return;
    case 'tanh':
      for (let i = 0; i < count; i++) y[i] = Math.tanh(x[i] as number);
      return;
    case 'sigmoid':
      for (let i = 0; i < count; i++) y[i] = sigmoid(x[i] as number);
      return;
  }
}

/** dx = dy·f′, from the forward output y; dx may alias dy. */
export function activationBackward(
  kind: ActivationKind,
  count: number,
  y: FloatArray,
  dy: FloatArray,
  dx: FloatArray,
  slope: number,
): void {
  switch (kind) {
    case 'linear':
      if (dx !== dy) for (let i = 0; i < count; i++) dx[i] = dy[i] as number;
      return;
    case 'relu':
      for (let i = 0; i < count; i++) dx[i] = (y[i] as number) > 0 ? (dy[i] as number) : 0;
      return;
    case 'leakyRelu':
      for (let i = 0; i < count; i++) dx[i] = (y[i] as number) > 0 ? (dy[i] as number) : slope * (dy[i] as number);
      return;
    case 'tanh':
      for (let i = 0; i < count; i++) {
        const t = y[i] as number;
        dx[i] = (dy[i] as number) * (1 - t * t);
      }
      return;
    case 'sigmoid':
      for (let i = 0; i < count; i++) {
        const s = y[i] as number;
        dx[i] = (dy[i] as number) * s * (1 - s);
      }
      return;
  }
}

/** 1 / (1 + e^−z) without overflow for large |z|. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Row-wise softmax of x: [rows, cols], max-subtracted; y may alias x. */
export function softmaxForward(rows: number, cols: number, x: FloatArray, y: FloatArray): void {
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < cols; j++) max = Math.max(max, x[row + j] as number);
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp((x[row + j] as number) - max);
      y[row + j] = e;
      sum += e;
    }
    for (let j = 0; j < cols; j++) y[row + j] = (y[row + j] as number) / sum;
  }
}

/** dx = y ⊙ (dy − Σ dy⊙y) row-wise; dx may alias dy. */
export function softmaxBackward(rows: number, cols: number, y: FloatArray, dy: FloatArray, dx: FloatArray): void {
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += (dy[row + j] as number) * (y[row + j] as number);
    for (let j = 0; j < cols; j++) dx[row + j] = (y[row + j] as number) * ((dy[row + j] as number) - dot);
  }
}
