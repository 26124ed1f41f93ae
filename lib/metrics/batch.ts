// What every metric accumulator reads from one batch, and the two rules they all share: which
// kind of model the loss makes (softmax, sigmoid or regression), and what a row's weight is.
import type { Targets } from '../losses.js';
import { argmaxRow } from '../targets.js';

/** softmax: one class per row (argmax); sigmoid: one yes/no per output (p ≥ 0.5); regression: values. */
export type MetricTask = 'softmax' | 'sigmoid' | 'regression';

/**
 * The task a loss makes of `outputWidth` outputs. Any loss but the two cross-entropies is a regression
 * (meanSquaredError, huber, meanAbsoluteError, ...). A one-output softmax is thresholded like a
 * sigmoid, as countCorrect does with one-column targets.
 */
export function metricTask(loss: string, outputWidth: number): MetricTask {
  if (loss === 'crossEntropy') return outputWidth > 1 ? 'softmax' : 'sigmoid';
  return loss === 'binaryCrossEntropy' ? 'sigmoid' : 'regression';
}

/** One batch as the training loop has it: `rows` rows of outputs and the targets' rows offset..offset+rows. */
export interface MetricBatch {
  probs: Float32Array;
  rows: number;
  width: number;
  targets: Targets;
  offset: number;
  /** Indexed like the targets (weights[offset + i]); null: every row weighs 1. */
  weights: Float32Array | null;
}

/** One metric's (or a family's) running state over an epoch. */
export interface Accumulator {
  reset(): void;
  update(batch: MetricBatch): void;
  /** Writes this accumulator's figures into `out`. */
  write(out: Record<string, number>): void;
  /** The running state as numbers, for a mid-epoch checkpoint. */
  save(): number[];
  /** Takes back what save() gave; false (nothing changed) if it does not fit this accumulator. */
  load(values: readonly number[]): boolean;
}

/** Copies values[at..at+into.length) into `into`; the next offset. */
export function take(into: Float64Array | Float32Array | Uint8Array, values: readonly number[], at: number): number {
  for (let i = 0; i < into.length; i++) into[i] = values[at + i] as number;
  return at + into.length;
}

/** The weight of the batch's row i. A row of weight 0 is as if absent, in every metric. */
export function rowWeight(b: MetricBatch, i: number): number {
  return b.weights === null ? 1 : (b.weights[b.offset + i] as number);
}

/** Whether rows are compared as classes (argmax), as countCorrect does; otherwise each output is thresholded. */
export function byClass(task: MetricTask, targets: Targets): boolean {
  return targets.kind === 'labels' || task === 'softmax';
}

/** The true class of the batch's row i: its label, or the argmax of its target row (the first on a tie). */
export function trueClass(b: MetricBatch, i: number): number {
  const t = b.targets;
  return t.kind === 'labels' ? (t.data[b.offset + i] as number) : argmaxRow(t.data, b.offset + i, b.width);
}

/** Whether a probability or a 0/1 (or soft) target counts as the positive class. */
export function isPositive(value: number): boolean {
  return value >= 0.5;
}
