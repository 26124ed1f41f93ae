// The cost: a data loss computed from the network's logits or outputs by one
// fused kernel call, plus the L2 penalty (λ/2m)·Σ‖W‖² over the dense kernels
// (not biases, γ or β), whose gradient (λ/m)·W is added to each dW.
import type { Backend } from './backend/backend.js';

/** The losses a model can be compiled with. */
export type LossName = 'binaryCrossEntropy' | 'crossEntropy' | 'meanSquaredError';

/** Training targets in the form the loss kernels take. */
export type Targets =
  | { kind: 'matrix'; cols: number; data: Float32Array } // 0/1 or probabilities, one-hot rows, or regression values
  | { kind: 'labels'; data: Int32Array }; // class indices for crossEntropy

/**
 * Σ over the batch's rows of the per-sample loss (the caller divides by m) and, when dz is given, its gradient w.r.t. the logits
 * (BCE with a sigmoid output, CE with softmax) or the outputs (MSE), already
 * divided by m for the mean. probs receives the output activation (fused losses).
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
): number {
  const count = batch * width;
  if (targets.kind === 'labels') {
    const labels = targets.data.subarray(targetOffset, targetOffset + batch);
    return backend.softmaxCrossEntropyLabels(batch, width, logitsOrOutputs, labels, 1 / batch, probs, dz);
  }
  const y = targets.data.subarray(targetOffset * width, targetOffset * width + count);
  switch (loss) {
    case 'binaryCrossEntropy':
      // Keras: the mean over outputs, then over the batch.
      return backend.sigmoidCrossEntropy(batch, width, logitsOrOutputs, y, 1 / count, probs, dz) / width;
    case 'crossEntropy':
      return backend.softmaxCrossEntropy(batch, width, logitsOrOutputs, y, 1 / batch, probs, dz);
    case 'meanSquaredError':
      return backend.meanSquaredError(batch, width, logitsOrOutputs, y, 1 / count, dz) / width;
  }
}

/** Σ‖W‖² over the given kernels. */
export function sumOfSquares(kernels: readonly Float32Array[]): number {
  let sum = 0;
  for (const w of kernels) for (let i = 0; i < w.length; i++) sum += (w[i] as number) * (w[i] as number);
  return sum;
}
