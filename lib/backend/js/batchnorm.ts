// Batch normalisation over x: [batch, features] row-major, in the contract of
// native/batchnorm.h: biased batch variance, Keras momentum convention, and a
// backward pass using the compact formula. Generic over float32/float64; the
// per-feature sums run row by row (contiguous) into float64 scratch.
import type { FloatArray } from './gemm.js';
import { scratch } from './scratch.js';

/**
 * Training-mode forward. Writes y, savedMean, savedInvStd, and updates the running
 * statistics: running = momentum·running + (1 − momentum)·batchStatistic. y may alias x.
 */
export function batchNormForwardTrain(
  batch: number,
  features: number,
  x: FloatArray,
  gamma: FloatArray,
  beta: FloatArray,
  epsilon: number,
  momentum: number,
  runningMean: FloatArray,
  runningVar: FloatArray,
  savedMean: FloatArray,
  savedInvStd: FloatArray,
  y: FloatArray,
  relu: boolean,
  mask: Uint8Array | null = null,
  keep = 1,
): void {
  if (features === 0) return; // nothing to compute, however large the batch (as natively)
  const mean = scratch('bn.mean', features);
  const squares = scratch('bn.squares', features);
  mean.fill(0, 0, features);
  squares.fill(0, 0, features);
  for (let i = 0; i < batch; i++) {
    const row = i * features;
    for (let j = 0; j < features; j++) mean[j] += x[row + j] as number;
  }
  for (let j = 0; j < features; j++) mean[j] /= batch;
  // Two passes (mean, then squared deviations) keep the variance accurate for large means.
  for (let i = 0; i < batch; i++) {
    const row = i * features;
    for (let j = 0; j < features; j++) {
      const d = (x[row + j] as number) - (mean[j] as number);
      squares[j] += d * d;
    }
  }
  for (let j = 0; j < features; j++) {
    const variance = (squares[j] as number) / batch;
    savedMean[j] = mean[j] as number;
    savedInvStd[j] = 1 / Math.sqrt(variance + epsilon);
    runningMean[j] = momentum * (runningMean[j] as number) + (1 - momentum) * (mean[j] as number);
    runningVar[j] = momentum * (runningVar[j] as number) + (1 - momentum) * variance;
  }
  normalise(batch, features, x, gamma, beta, savedMean, savedInvStd, y, relu, mask, keep);
}

/** Inference-mode forward with the running statistics. y may alias x. */
export function batchNormForwardInfer(
  batch: number,
  features: number,
  x: FloatArray,
  gamma: FloatArray,
  beta: FloatArray,
  runningMean: FloatArray,
  runningVar: FloatArray,
  epsilon: number,
  y: FloatArray,
  relu: boolean,
): void {
  if (batch === 0 || features === 0) return; // nothing to compute (as natively)
  const invStd = scratch('bn.invStd', features);
  for (let j = 0; j < features; j++) invStd[j] = 1 / Math.sqrt((runningVar[j] as number) + epsilon);
  normalise(batch, features, x, gamma, beta, runningMean, invStd, y, relu);
}

// y = gamma·(x − mean)·invStd + beta, then ReLU if asked, then the dropout mask (as dropoutApply).
function normalise(
  batch: number,
  features: number,
  x: FloatArray,
  gamma: FloatArray,
  beta: FloatArray,
  mean: FloatArray,
  invStd: FloatArray,
  y: FloatArray,
  relu: boolean,
  mask: Uint8Array | null = null,
  keep = 1,
): void {
  const scale = 1 / keep;
  for (let i = 0; i < batch; i++) {
    const row = i * features;
    for (let j = 0; j < features; j++) {
      const v = (gamma[j] as number) * ((x[row + j] as number) - (mean[j] as number)) * (invStd[j] as number) + (beta[j] as number);
      const a = relu && v < 0 ? 0 : v;
      y[row + j] = mask === null ? a : mask[row + j] ? a * scale : 0;
    }
  }
}

/**
 * Backward of the training forward. The incoming gradient is scaled by dyScale (1 / keep when
 * dropout was fused into the forward) and, with y (the forward output after the fused ReLU and
 * dropout), masked by y > 0. dx may alias dy; dgamma, dbeta are overwritten.
 */
export function batchNormBackward(
  batch: number,
  features: number,
  x: FloatArray,
  y: FloatArray | null,
  dy: FloatArray,
  gamma: FloatArray,
  savedMean: FloatArray,
  savedInvStd: FloatArray,
  dx: FloatArray,
  dgamma: FloatArray,
  dbeta: FloatArray,
  dyScale = 1,
): void {
  if (features === 0) return; // nothing to compute, however large the batch (as natively)
  const sumG = scratch('bn.sumG', features);
  const sumGXhat = scratch('bn.sumGXhat', features);
  sumG.fill(0, 0, features);
  sumGXhat.fill(0, 0, features);
  for (let i = 0; i < batch; i++) {
    const row = i * features;
    for (let j = 0; j < features; j++) {
      const g = y !== null && !((y[row + j] as number) > 0) ? 0 : (dy[row + j] as number) * dyScale;
      sumG[j] += g;
      sumGXhat[j] += g * ((x[row + j] as number) - (savedMean[j] as number)) * (savedInvStd[j] as number);
    }
  }
  for (let j = 0; j < features; j++) {
    dbeta[j] = sumG[j] as number;
    dgamma[j] = sumGXhat[j] as number;
  }
  for (let i = 0; i < batch; i++) {
    const row = i * features;
    for (let j = 0; j < features; j++) {
      const g = y !== null && !((y[row + j] as number) > 0) ? 0 : (dy[row + j] as number) * dyScale;
      const invStd = savedInvStd[j] as number;
      const xhat = ((x[row + j] as number) - (savedMean[j] as number)) * invStd;
      dx[row + j] = (((gamma[j] as number) * invStd) / batch) * (batch * g - (sumG[j] as number) - xhat * (sumGXhat[j] as number));
    }
  }
}
