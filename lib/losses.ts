// The cost: a data loss computed from the network's logits or outputs by one
// fused kernel call, plus the L2 penalty (λ/2m)·Σ‖W‖² over the dense kernels
// (not biases, γ or β), whose gradient (λ/m)·W is added to each dW.
import type { Backend } from './backend/backend.js';
import { invalidArgument, invalidRange } from './errors.js';

/** Every loss a model can be compiled with, in the order the docs list them. */
export const LOSSES = ['binaryCrossEntropy', 'crossEntropy', 'meanSquaredError', 'huber', 'meanAbsoluteError'] as const;

/** The losses a model can be compiled with. */
export type LossName = (typeof LOSSES)[number];

/** The regression losses: computed on a linear output, no activation fused into them. */
export const REGRESSION_LOSSES: readonly LossName[] = ['meanSquaredError', 'huber', 'meanAbsoluteError'];

/** Huber's δ when none is given (Keras's default): quadratic for |z − y| ≤ δ, linear beyond. */
export const DEFAULT_HUBER_DELTA = 1;
/** The δ the huber kernels accept: 0 < δ ≤ HUBER_DELTA_MAX (the kernel registry's interval). */
export const HUBER_DELTA_MAX = 1e6;

/** Settings of the losses that have any: huber's delta (default DEFAULT_HUBER_DELTA). */
export interface LossOptions {
  delta?: number;
}

/** Training targets in the form the loss kernels take. */
export type Targets =
  | { kind: 'matrix'; cols: number; data: Float32Array } // 0/1 or probabilities, one-hot rows, or regression values
  | { kind: 'labels'; data: Int32Array }; // class indices for crossEntropy

/**
 * Σ over the batch's rows of w_i times the per-sample loss (the caller divides by m, the batch
 * size) and, when dz is given, its gradient w.r.t. the logits (BCE with a sigmoid output, CE with
 * softmax) or the outputs (MSE, Huber, MAE), already divided by m for the mean. probs receives the
 * output activation (fused losses; the regression losses leave it alone).
 *
 * rowWeights, like the targets, is indexed by the targets' rows: rows targetOffset ..
 * targetOffset + batch − 1 weigh this batch (null: every row 1). The caller validates them (finite,
 * ≥ 0). As Keras's default reduction does, the weighted sum is divided by m, not by Σw, so a row of
 * weight 2 counts as that row twice and a row of weight 0 as no row, in a batch that stays m long.
 * options.delta is huber's δ in (0, HUBER_DELTA_MAX].
 */
export function lossAndGradient(
  backend: Backend,
  loss: LossName,
  batch: number,
  width: number,
  logitsOrOutputs: Float32Array,
  targets: Targets,
  targetOffset: number,
  probs: Float32Array | null,
  dz: Float32Array | null,
  rowWeights: Float32Array | null = null,
  options: LossOptions = {},
): number {
  const count = batch * width;
  // The model calls the backend unchecked, and the JS kernels would read a short array's missing
  // weights as NaN where the native ones throw: both throw here (O(1); the values are the caller's).
  const w = rowWeights === null ? null : rowWeights.subarray(targetOffset, targetOffset + batch);
  if (rowWeights !== null && (w as Float32Array).length < batch) {
    const need = `a Float32Array of at least ${targetOffset + batch} elements`;
    throw invalidArgument(RangeError, 'lossAndGradient', 'rowWeights', need, `length ${rowWeights.length}`);
  }
  if (targets.kind === 'labels') {
    const labels = targets.data.subarray(targetOffset, targetOffset + batch);
    return backend.softmaxCrossEntropyLabels(batch, width, logitsOrOutputs, labels, 1 / batch, probs, dz, w);
  }
  const y = targets.data.subarray(targetOffset * width, targetOffset * width + count);
  // Keras: the element-wise losses are a mean over outputs, then over the batch.
  switch (loss) {
    case 'binaryCrossEntropy':
      return backend.sigmoidCrossEntropy(batch, width, logitsOrOutputs, y, 1 / count, probs, dz, w) / width;
    case 'crossEntropy':
      return backend.softmaxCrossEntropy(batch, width, logitsOrOutputs, y, 1 / batch, probs, dz, w);
    case 'meanSquaredError':
      return backend.meanSquaredError(batch, width, logitsOrOutputs, y, 1 / count, dz, w) / width;
    case 'huber': {
      const delta = options.delta ?? DEFAULT_HUBER_DELTA;
      if (!(delta > 0 && delta <= HUBER_DELTA_MAX))
        throw invalidRange('lossAndGradient', 'delta', `a number in (0, ${HUBER_DELTA_MAX}]`, delta);
      return backend.huber(batch, width, logitsOrOutputs, y, delta, 1 / count, dz, w) / width;
    }
    case 'meanAbsoluteError':
      return backend.meanAbsoluteError(batch, width, logitsOrOutputs, y, 1 / count, dz, w) / width;
  }
}
