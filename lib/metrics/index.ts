// Training and evaluation metrics as accumulators: reset() at an epoch's start, update() per batch,
// result() at its end. The meaning of every figure, in one place:
//
// Weights. weights[offset + i] is the weight of the batch's row i (indexed like the targets, so the
//   two travel together); null is weight 1 for every row. Weights are finite and ≥ 0 (the caller
//   checks them). A row of weight 0 is as if absent, in every metric, so integer weights equal
//   repeating rows. A figure with no weight behind it is 0 (Keras' divide_no_nan), except auc and r2 (NaN).
// Task. crossEntropy with ≥ 2 outputs is a softmax (classes by argmax, the first on a tie; integer
//   labels or the argmax of one-hot/probability rows as truth); binaryCrossEntropy is a sigmoid (each
//   output and its target thresholded at ≥ 0.5; a soft target of 0.5 is positive); every other loss is
//   a regression. Classification metrics on a regression and regression metrics on a classification are
//   refused by checkMetrics, as are all but accuracy on a one-output softmax.
// accuracy: countCorrect's rule, weighted: the weight of rows whose class is right (softmax), or of
//   outputs that are right (sigmoid: Σᵢ wᵢ·rightᵢ / Σᵢ wᵢ·width, Keras' binary_accuracy).
// precision, recall, f1: from weighted counts; sklearn with zero_division=0 (a 0/0 is 0) and
//   f1 = 2TP / (2TP + FP + FN). One sigmoid output: binary, positive class 1. Softmax: the macro mean over
//   the classes present (some row of weight > 0 has it as truth or prediction, sklearn's labels=None).
//   Several sigmoid outputs: the macro mean over all outputs (sklearn's multilabel).
// auc: exact ROC AUC over the whole epoch (the scores are kept; rocAuc in auc.ts), the weighted
//   Mann–Whitney U with ½ for ties, equal to sklearn's roc_auc_score(y, p, sample_weight=w) (Keras' AUC
//   approximates it with 200 thresholds). One sigmoid output: binary; softmax: the macro mean of
//   one-vs-rest AUCs over all classes (sklearn's multi_class='ovr'); several sigmoid outputs: the macro
//   mean over outputs. NaN when a class or output has no positive or no negative weight (where sklearn
//   raises), and so the macro mean is NaN too.
// mae, rmse: over all outputs, Σ w·|e| / (W·width) and √(Σ w·e² / (W·width)), as Keras with
//   sample_weight. r2: 1 − SSE/SST per output with SST about the weighted mean, then the mean over outputs
//   (sklearn's multioutput='uniform_average'); for a constant target (SST = 0) 1 if the fit is perfect,
//   else 0 (sklearn's force_finite=True); NaN for fewer than two rows (sklearn).
// Custom metrics: f(yTrue, yPred) → number per batch, on copies: yTrue is the batch's targets as given
//   (a rows×1 column of class indices for labels), yPred its outputs. The result is the mean of the batch
//   values weighted by each batch's weight (its rows, or the sum of their weights), as Keras'
//   MeanMetricWrapper; it equals the epoch's value only for a metric that is itself a mean over rows.
// Sums are float64, row by row in order, so the figures do not depend on how the rows are batched.
import { invalidArgument, invalidType } from '../errors.js';
import type { Targets } from '../losses.js';
import { aucAccumulator } from './auc.js';
import { type Accumulator, type MetricBatch, metricTask } from './batch.js';
import { accuracyAccumulator, confusionAccumulator } from './classification.js';
import { customAccumulator } from './custom.js';
import { checkMetrics, type MetricContext, type MetricSpec } from './names.js';
import { regressionAccumulator } from './regression.js';

export { rocAuc } from './auc.js';
export type { CustomMetric } from './custom.js';
export {
  builtInMetrics,
  checkMetrics,
  METRIC_NAMES,
  type MetricAlias,
  type MetricContext,
  type MetricName,
  type MetricSpec,
  type NamedMetric,
} from './names.js';

/** An epoch's running metrics. */
export interface MetricSet {
  /** The keys result() returns, in the order the metrics were given. */
  readonly names: readonly string[];
  /** Forgets everything seen (call at the start of each epoch or evaluation). */
  reset(): void;
  /** Adds `batch` rows of outputs (probs, batch×width) against targets' rows offset..offset+batch. */
  update(probs: Float32Array, batch: number, targets: Targets, offset: number, weights: Float32Array | null): void;
  /** Every metric over the rows seen since reset(). */
  result(): Record<string, number>;
  /** The running state of every accumulator, for a mid-epoch checkpoint. */
  save(): number[][];
  /** Takes back what save() gave; false (nothing changed) if it is another set of metrics'. */
  load(state: readonly (readonly number[])[]): boolean;
}

/** Metrics for a model compiled with ctx.loss and ctx.outputWidth outputs; the list is checked as checkMetrics does. */
export function createMetrics(metrics: readonly MetricSpec[], ctx: MetricContext): MetricSet {
  const named = checkMetrics('createMetrics', metrics, ctx);
  const task = metricTask(ctx.loss, ctx.outputWidth);
  const width = ctx.outputWidth;
  const builtIns = new Set(named.flatMap((e) => (typeof e.metric === 'string' ? [e.metric] : [])));
  const confusion = (['precision', 'recall', 'f1'] as const).filter((m) => builtIns.has(m));
  const regression = (['mae', 'rmse', 'r2'] as const).filter((m) => builtIns.has(m));
  const accumulators: Accumulator[] = [];
  if (builtIns.has('accuracy')) accumulators.push(accuracyAccumulator(task));
  if (confusion.length > 0) accumulators.push(confusionAccumulator(task, width, confusion));
  if (builtIns.has('auc')) accumulators.push(aucAccumulator(task, width));
  if (regression.length > 0) accumulators.push(regressionAccumulator(width, regression));
  for (const e of named) if (typeof e.metric === 'function') accumulators.push(customAccumulator(e.name, e.metric));
  const names = named.map((e) => e.name);
  return {
    names,
    reset() {
      for (const a of accumulators) a.reset();
    },
    update(probs, batch, targets, offset, weights) {
      const b: MetricBatch = { probs, rows: batch, width, targets, offset, weights };
      checkBatch(b);
      for (const a of accumulators) a.update(b);
    },
    result() {
      const figures: Record<string, number> = {};
      for (const a of accumulators) a.write(figures);
      return Object.fromEntries(names.map((name) => [name, figures[name] as number]));
    },
    save: () => accumulators.map((a) => a.save()),
    load(state) {
      if (state.length !== accumulators.length) return false;
      const before = accumulators.map((a) => a.save());
      if (accumulators.every((a, i) => a.load(state[i] as readonly number[]))) return true;
      for (const [i, a] of accumulators.entries()) a.load(before[i] as number[]);
      return false;
    },
  };
}

// Sizes only: a short array would read undefined as NaN, silently. Values are the caller's to check.
function checkBatch(b: MetricBatch): void {
  const fn = 'MetricSet.update';
  if (!Number.isInteger(b.rows) || b.rows < 0) throw invalidArgument(RangeError, fn, 'batch', 'an integer >= 0', String(b.rows));
  if (!Number.isInteger(b.offset) || b.offset < 0) throw invalidArgument(RangeError, fn, 'offset', 'an integer >= 0', String(b.offset));
  if (!(b.probs instanceof Float32Array)) throw invalidType(fn, 'probs', 'a Float32Array', b.probs);
  if (b.probs.length < b.rows * b.width) {
    throw invalidArgument(
      RangeError,
      fn,
      'probs',
      `at least ${b.rows * b.width} values (${b.rows}×${b.width})`,
      `length ${b.probs.length}`,
    );
  }
  const end = b.offset + b.rows;
  const t = b.targets;
  if (t.kind === 'matrix' && t.cols !== b.width) {
    throw invalidArgument(RangeError, fn, 'targets', `${b.width} columns (the outputs)`, `${t.cols}`);
  }
  const targetRows = t.kind === 'labels' ? t.data.length : t.data.length / t.cols;
  if (targetRows < end) throw invalidArgument(RangeError, fn, 'targets', `at least ${end} rows (offset + batch)`, `${targetRows}`);
  if (b.weights !== null && !(b.weights instanceof Float32Array)) throw invalidType(fn, 'weights', 'a Float32Array or null', b.weights);
  if (b.weights !== null && b.weights.length < end) {
    throw invalidArgument(RangeError, fn, 'weights', `at least ${end} values (offset + batch)`, `length ${b.weights.length}`);
  }
}
