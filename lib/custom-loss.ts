// compile({ loss: fn }): a loss written in TypeScript. It runs on the JS side, on the network's
// outputs (no activation fused into it): fn(yTrue, yPred) returns each row's loss and the
// gradient of each row's loss w.r.t. yPred; the loop weighs the rows and takes the mean, as it
// does for the built-in losses, so sampleWeight, classWeight and L2 apply unchanged.
import type { Backend } from './backend/backend.js';
import { invalidArgument, invalidType } from './errors.js';
import { lossAndGradient, type Targets } from './losses.js';
import type { Compiled, CustomLoss } from './model-types.js';
import type { Matrix } from './tensor.js';

// The batch's targets as a matrix (class indices become one-hot rows).
function targetRows(targets: Targets, offset: number, batch: number, width: number): Matrix {
  const data = new Float32Array(batch * width);
  if (targets.kind === 'labels') for (let i = 0; i < batch; i++) data[i * width + (targets.data[offset + i] as number)] = 1;
  else data.set(targets.data.subarray(offset * width, (offset + batch) * width));
  return { rows: batch, cols: width, data };
}

function customLoss(
  fn: CustomLoss,
  batch: number,
  width: number,
  outputs: Float32Array,
  targets: Targets,
  offset: number,
  dz: Float32Array | null,
  weights: Float32Array | null,
): number {
  const name = `the custom loss '${fn.name || 'anonymous'}'`;
  const result = fn(targetRows(targets, offset, batch, width), { rows: batch, cols: width, data: outputs.slice(0, batch * width) });
  if (result === null || typeof result !== 'object') throw invalidType('fit', name, '{ losses, gradient }', result);
  const { losses, gradient } = result;
  if (losses?.length !== batch)
    throw invalidArgument(RangeError, 'fit', `${name}'s losses`, `${batch} numbers (one per row)`, String(losses?.length));
  if (dz !== null && gradient?.length !== batch * width)
    throw invalidArgument(RangeError, 'fit', `${name}'s gradient`, `${batch * width} numbers (rows × outputs)`, String(gradient?.length));
  let sum = 0;
  for (let i = 0; i < batch; i++) {
    const w = weights === null ? 1 : (weights[offset + i] as number);
    sum += w * (losses[i] as number);
    if (dz === null) continue;
    // The mean over the batch, as the built-in losses: each row's gradient scaled by wᵢ / m.
    for (let j = 0; j < width; j++) dz[i * width + j] = (w / batch) * (gradient[i * width + j] as number);
  }
  return sum;
}

/** The compiled loss (built-in kernel or custom function) over one batch: Σ wᵢℓᵢ, and dz when given. */
export function compiledLoss(
  compiled: Compiled,
  backend: Backend,
  batch: number,
  width: number,
  z: Float32Array,
  targets: Targets,
  offset: number,
  probs: Float32Array | null,
  dz: Float32Array | null,
  weights: Float32Array | null,
): number {
  if (compiled.custom !== null) return customLoss(compiled.custom, batch, width, z, targets, offset, dz, weights);
  return lossAndGradient(backend, compiled.loss, batch, width, z, targets, offset, probs, dz, weights, { delta: compiled.delta });
}
