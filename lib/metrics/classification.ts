// Accuracy, and precision / recall / F1 from weighted confusion counts (semantics: index.ts).

import { argmaxRow } from '../targets.js';
import { type Accumulator, byClass, isPositive, type MetricBatch, type MetricTask, rowWeight, take, trueClass } from './batch.js';

/** Weighted accuracy, the rule of countCorrect: a row's class by argmax, or each output at 0.5. */
export function accuracyAccumulator(task: MetricTask): Accumulator {
  let correct = 0;
  let total = 0;
  return {
    reset() {
      correct = 0;
      total = 0;
    },
    update(b: MetricBatch) {
      if (byClass(task, b.targets)) {
        for (let i = 0; i < b.rows; i++) {
          const w = rowWeight(b, i);
          if (argmaxRow(b.probs, i, b.width) === trueClass(b, i)) correct += w;
          total += w;
        }
        return;
      }
      const t = b.targets.data;
      for (let i = 0; i < b.rows; i++) {
        let hits = 0;
        for (let j = 0; j < b.width; j++) {
          if (isPositive(b.probs[i * b.width + j] as number) === isPositive(t[(b.offset + i) * b.width + j] as number)) hits++;
        }
        const w = rowWeight(b, i);
        correct += w * hits;
        total += w * b.width;
      }
    },
    write(out) {
      out.accuracy = total > 0 ? correct / total : 0; // no weight seen: 0, as Keras' divide_no_nan
    },
    save: () => [correct, total],
    load(values) {
      if (values.length !== 2) return false;
      [correct, total] = values as [number, number];
      return true;
    },
  };
}

/** Which of precision, recall and f1 to report. */
export type ConfusionMetric = 'precision' | 'recall' | 'f1';

/**
 * Weighted true/false positives and false negatives per class (softmax) or per output (sigmoid),
 * and the macro averages over them; one output is sklearn's binary case.
 */
export function confusionAccumulator(task: MetricTask, width: number, report: readonly ConfusionMetric[]): Accumulator {
  const truePositive = new Float64Array(width);
  const falsePositive = new Float64Array(width);
  const falseNegative = new Float64Array(width);
  // Softmax: a class enters the macro average once a row of weight > 0 has it as truth or
  // prediction (sklearn's labels=None: the labels present). Each sigmoid output always counts.
  const present = new Uint8Array(width).fill(task === 'softmax' ? 0 : 1);
  return {
    reset() {
      truePositive.fill(0);
      falsePositive.fill(0);
      falseNegative.fill(0);
      present.fill(task === 'softmax' ? 0 : 1);
    },
    update(b: MetricBatch) {
      if (byClass(task, b.targets)) {
        for (let i = 0; i < b.rows; i++) {
          const w = rowWeight(b, i);
          if (w === 0) continue;
          const actual = trueClass(b, i);
          const predicted = argmaxRow(b.probs, i, b.width);
          present[actual] = 1;
          present[predicted] = 1;
          if (actual === predicted) truePositive[actual] += w;
          else {
            falsePositive[predicted] += w;
            falseNegative[actual] += w;
          }
        }
        return;
      }
      const t = b.targets.data;
      for (let i = 0; i < b.rows; i++) {
        const w = rowWeight(b, i);
        for (let j = 0; j < b.width; j++) {
          const predicted = isPositive(b.probs[i * b.width + j] as number);
          const actual = isPositive(t[(b.offset + i) * b.width + j] as number);
          if (predicted && actual) truePositive[j] += w;
          else if (predicted) falsePositive[j] += w;
          else if (actual) falseNegative[j] += w;
        }
      }
    },
    write(out) {
      const sums = { precision: 0, recall: 0, f1: 0 };
      let classes = 0;
      for (let k = 0; k < width; k++) {
        if (present[k] === 0) continue;
        classes++;
        const tp = truePositive[k] as number;
        const fp = falsePositive[k] as number;
        const fn = falseNegative[k] as number;
        sums.precision += ratio(tp, tp + fp);
        sums.recall += ratio(tp, tp + fn);
        sums.f1 += ratio(2 * tp, 2 * tp + fp + fn);
      }
      for (const name of report) out[name] = classes > 0 ? sums[name] / classes : 0;
    },
    save: () => [...truePositive, ...falsePositive, ...falseNegative, ...present],
    load(values) {
      if (values.length !== 4 * width) return false;
      take(present, values, take(falseNegative, values, take(falsePositive, values, take(truePositive, values, 0))));
      return true;
    },
  };
}

// sklearn's zero_division=0: a ratio with nothing to count is 0.
function ratio(numerator: number, denominator: number): number {
  return denominator > 0 ? numerator / denominator : 0;
}
