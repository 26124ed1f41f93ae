// Standardisation (x − mean)/std per feature, fitted on training rows only so
// no statistic of the validation or test rows leaks into training.
import type { Matrix } from './tensor.js';

export interface Standardization {
  mean: Float32Array;
  std: Float32Array;
}

/** Mean and (population) standard deviation of each column over the first `rows` rows; a constant column gets std 1. */
export function fitStandardization(m: Matrix, rows = m.rows): Standardization {
  const { cols, data } = m;
  const mean = new Float32Array(cols);
  const std = new Float32Array(cols);
  // Float64 sums: 60 000 rows of float32 would lose digits.
  const sums = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) sums[j] = (sums[j] as number) + (data[i * cols + j] as number);
  for (let j = 0; j < cols; j++) mean[j] = (sums[j] as number) / Math.max(1, rows);
  sums.fill(0);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) sums[j] = (sums[j] as number) + ((data[i * cols + j] as number) - (mean[j] as number)) ** 2;
  }
  for (let j = 0; j < cols; j++) {
    const s = Math.sqrt((sums[j] as number) / Math.max(1, rows));
    std[j] = s > 1e-6 ? s : 1;
  }
  return { mean, std };
}

/** Standardises m in place. */
export function applyStandardization(m: Matrix, { mean, std }: { mean: ArrayLike<number>; std: ArrayLike<number> }): Matrix {
  const { cols, data } = m;
  for (let i = 0; i < data.length; i++) {
    const j = i % cols;
    data[i] = ((data[i] as number) - (mean[j] as number)) / (std[j] as number);
  }
  return m;
}
