// A user's metric function, averaged over batches as Keras' MeanMetricWrapper does (index.ts).
import { invalidType } from '../errors.js';
import type { Matrix } from '../tensor.js';
import { type Accumulator, type MetricBatch, rowWeight } from './batch.js';

/** A metric of one batch: the targets and the outputs, each rows × columns. */
export type CustomMetric = (yTrue: Matrix, yPred: Matrix) => number;

/**
 * The mean of `metric`'s batch values, each weighted by its batch's weight (its rows, or the sum of
 * their sample weights). The function gets copies, so it cannot change the training loop's buffers.
 */
export function customAccumulator(name: string, metric: CustomMetric): Accumulator {
  let sum = 0;
  let weight = 0;
  return {
    reset() {
      sum = 0;
      weight = 0;
    },
    update(b: MetricBatch) {
      let batchWeight = 0;
      for (let i = 0; i < b.rows; i++) batchWeight += rowWeight(b, i);
      if (batchWeight === 0) return; // as if the batch were absent (and NaN·0 stays out)
      const value = metric(batchTargets(b), { rows: b.rows, cols: b.width, data: b.probs.slice(0, b.rows * b.width) });
      if (typeof value !== 'number') throw invalidType(name, 'the value of the metric', 'a number', value);
      sum += value * batchWeight;
      weight += batchWeight;
    },
    write(out) {
      out[name] = weight > 0 ? sum / weight : 0;
    },
    save: () => [sum, weight],
    load(values) {
      if (values.length !== 2) return false;
      [sum, weight] = values as [number, number];
      return true;
    },
  };
}

// The batch's targets as the user gave them: a column of class indices for labels, else the rows.
function batchTargets(b: MetricBatch): Matrix {
  const t = b.targets;
  if (t.kind === 'labels') return { rows: b.rows, cols: 1, data: Float32Array.from(t.data.subarray(b.offset, b.offset + b.rows)) };
  return { rows: b.rows, cols: t.cols, data: t.data.slice(b.offset * t.cols, (b.offset + b.rows) * t.cols) };
}
