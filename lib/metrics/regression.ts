// mae, rmse and r2 as streaming float64 sums over an epoch (semantics: index.ts).
import { type Accumulator, type MetricBatch, rowWeight, take } from './batch.js';

/** Which of mae, rmse and r2 to report. */
export type RegressionMetric = 'mae' | 'rmse' | 'r2';

/**
 * Per output: compensated (Neumaier) sums of w·|e| and w·e², and West's weighted Welford update of
 * the target's mean and Σw·(y − ȳ)², which stays exact for a constant target and loses no digits
 * to cancellation (Σw·y² − W·ȳ² would). Welford runs on y minus the output's first target, so
 * the running mean sits near 0 and its rounding stays small when the targets sit far from 0.
 */
export function regressionAccumulator(width: number, report: readonly RegressionMetric[]): Accumulator {
  const absolute = new Float64Array(2 * width); // [sum, compensation] per output
  const squared = new Float64Array(2 * width);
  const shift = new Float64Array(width); // the first target seen per output
  const mean = new Float64Array(width); // of y − shift
  const spread = new Float64Array(width); // Σ w·(y − ȳ)², the total sum of squares
  let weight = 0;
  let rows = 0; // rows of weight > 0
  return {
    reset() {
      absolute.fill(0);
      squared.fill(0);
      shift.fill(0);
      mean.fill(0);
      spread.fill(0);
      weight = 0;
      rows = 0;
    },
    update(b: MetricBatch) {
      const y = b.targets.data;
      for (let i = 0; i < b.rows; i++) {
        const w = rowWeight(b, i);
        if (w === 0) continue;
        const nextWeight = weight + w;
        if (rows === 0) for (let j = 0; j < width; j++) shift[j] = y[(b.offset + i) * width + j] as number;
        for (let j = 0; j < width; j++) {
          const actual = y[(b.offset + i) * width + j] as number;
          const error = (b.probs[i * width + j] as number) - actual;
          addCompensated(absolute, 2 * j, w * Math.abs(error));
          addCompensated(squared, 2 * j, w * error * error);
          const shifted = actual - (shift[j] as number);
          const delta = shifted - (mean[j] as number);
          mean[j] += (delta * w) / nextWeight;
          spread[j] += w * delta * (shifted - (mean[j] as number));
        }
        weight = nextWeight;
        rows++;
      }
    },
    write(out) {
      let sae = 0;
      let sse = 0;
      let r2 = 0;
      for (let j = 0; j < width; j++) {
        const outputSse = (squared[2 * j] as number) + (squared[2 * j + 1] as number);
        sae += (absolute[2 * j] as number) + (absolute[2 * j + 1] as number);
        sse += outputSse;
        const sst = spread[j] as number;
        // sklearn's force_finite for a constant target: 1 for a perfect fit, else 0.
        r2 += sst > 0 ? 1 - outputSse / sst : outputSse === 0 ? 1 : 0;
      }
      const count = weight * width;
      const figures = {
        mae: count > 0 ? sae / count : 0,
        rmse: count > 0 ? Math.sqrt(sse / count) : 0,
        // sklearn: R² is not defined for fewer than two samples.
        r2: rows >= 2 ? r2 / width : Number.NaN,
      };
      for (const name of report) out[name] = figures[name];
    },
    save: () => [...absolute, ...squared, ...shift, ...mean, ...spread, weight, rows],
    load(values) {
      if (values.length !== 7 * width + 2) return false;
      const at = take(spread, values, take(mean, values, take(shift, values, take(squared, values, take(absolute, values, 0)))));
      weight = values[at] as number;
      rows = values[at + 1] as number;
      return true;
    },
  };
}

// Neumaier's compensated addition into sums[at] (sum) and sums[at + 1] (the lost low-order part).
function addCompensated(sums: Float64Array, at: number, value: number): void {
  const sum = sums[at] as number;
  const next = sum + value;
  sums[at + 1] += Math.abs(sum) >= Math.abs(value) ? sum - next + value : value - next + sum;
  sums[at] = next;
}
