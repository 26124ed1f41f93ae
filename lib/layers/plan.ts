// The execution plan, made once when the model is built: the layers as steps, where batch-norm
// followed by ReLU (and dropout) runs as one kernel call, and a dense layer followed by ReLU
// applies it in the GEMM's epilogue — the same arithmetic and the same dropout masks, with fewer
// passes over the activations. The layers themselves stay as declared
// (weights, summary and exports read them); only forward and backward go through the plan.
import { Activation } from './activation.js';
import { BatchNorm } from './batchnorm.js';
import { Dense } from './dense.js';
import { Dropout } from './dropout.js';
import type { Layer } from './layer.js';

/** One call of the forward (and backward) pass, covering one layer or a fused run of them. */
export interface Step {
  forward(input: Float32Array, batch: number, training: boolean): Float32Array;
  backward(dOutput: Float32Array, batch: number, needInputGradient: boolean): Float32Array | null;
}

/** Batch-norm → ReLU (→ dropout) in batch-norm's kernels: ReLU and the mask applied in registers. */
class BatchNormReluStep implements Step {
  constructor(
    private readonly batchNorm: BatchNorm,
    private readonly dropout: Dropout | null,
  ) {}

  forward(input: Float32Array, batch: number, training: boolean): Float32Array {
    const mask = training ? (this.dropout?.drawMask(batch) ?? null) : null;
    return this.batchNorm.forwardFused(input, batch, training, true, mask === null ? null : { mask, keep: (this.dropout as Dropout).keep });
  }

  backward(dOutput: Float32Array, batch: number): Float32Array {
    return this.batchNorm.backward(dOutput, batch);
  }
}

/** Dense → ReLU: max(0, ·) in the GEMM epilogue while the tile is in registers; backward as two layers. */
class DenseReluStep implements Step {
  constructor(
    private readonly dense: Dense,
    private readonly relu: Activation,
  ) {}

  forward(input: Float32Array, batch: number): Float32Array {
    const y = this.dense.forwardFused(input, batch, true);
    this.relu.adoptOutput(y);
    return y;
  }

  backward(dOutput: Float32Array, batch: number, needInputGradient: boolean): Float32Array | null {
    return this.dense.backward(this.relu.backward(dOutput, batch), batch, needInputGradient);
  }
}

const isRelu = (layer: Layer | undefined): layer is Activation => layer instanceof Activation && layer.spec.activation === 'relu';

/**
 * The steps for `layers`. The last layer is always a step of its own: a fused loss may skip it
 * (see Model.logitsEnd), so nothing before it may fuse it in.
 */
export function executionPlan(layers: readonly Layer[]): Step[] {
  const steps: Step[] = [];
  const last = layers.length - 1;
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i] as Layer;
    if (layer instanceof BatchNorm && i + 1 < last && isRelu(layers[i + 1])) {
      const next = layers[i + 2];
      const dropout = next instanceof Dropout && i + 2 < last ? next : null;
      steps.push(new BatchNormReluStep(layer, dropout));
      i += dropout === null ? 1 : 2;
    } else if (layer instanceof Dense && i + 1 < last && isRelu(layers[i + 1])) {
      steps.push(new DenseReluStep(layer, layers[i + 1] as Activation));
      i += 1;
    } else {
      steps.push(layer);
    }
  }
  return steps;
}
