// TensorFlow.js as an oracle for whole training runs: the same network built
// in tfjs-layers, our initial weights copied into it, both trained on the
// same batches with Adam; losses after each of 20 steps and the final weights
// must agree (relative 1e-4). With and without batch-norm and L2; no dropout.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as dn from '../lib/index.js';
import type { Targets } from '../lib/losses.js';
import { randomFloats } from './helpers/reference.js';

/** Σ‖W‖² in float64, element by element: the reference for the model's L2 penalty. */
function sumOfSquares(kernels: readonly Float32Array[]): number {
  let sum = 0;
  for (const w of kernels) for (const v of w) sum += v * v;
  return sum;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const [rows, inputs, batch, steps] = [64, 6, 16, 20];
const x = Array.from(randomFloats(rows * inputs, 3), (v) => v * 2);

interface Case {
  name: string;
  batchNorm: boolean;
  l2: number;
  output: 'sigmoid' | 'softmax';
}

function ourModel(c: Case): dn.Model {
  // A bias before batch-norm has an exact gradient of 0, which Adam turns into steps of ±lr from
  // rounding noise alone, differently in each framework: such layers go without (as in Keras practice).
  const layers: dn.LayerSpec[] = [dn.dense(8, { useBias: !c.batchNorm })];
  if (c.batchNorm) layers.push(dn.batchNorm());
  layers.push(
    dn.relu(),
    dn.dense(5),
    dn.tanh(),
    dn.dense(c.output === 'softmax' ? 3 : 1),
    c.output === 'softmax' ? dn.softmax() : dn.sigmoid(),
  );
  return dn.sequential({ inputs, seed: 4, layers }).compile({
    loss: c.output === 'softmax' ? 'crossEntropy' : 'binaryCrossEntropy',
    optimizer: dn.adam({ learningRate: 0.01 }),
    l2: c.l2,
  });
}

// The same architecture in tfjs-layers; our L2 (λ/2m)·Σ‖W‖² is tfjs' l2 regulariser with λ/(2m).
function tfjsModel(c: Case): tf.Sequential {
  const regularizer = c.l2 > 0 ? tf.regularizers.l2({ l2: c.l2 / (2 * batch) }) : undefined;
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 8, inputShape: [inputs], kernelRegularizer: regularizer, useBias: !c.batchNorm }));
  if (c.batchNorm) model.add(tf.layers.batchNormalization({ epsilon: 1e-3, momentum: 0.99 }));
  model.add(tf.layers.activation({ activation: 'relu' }));
  model.add(tf.layers.dense({ units: 5, activation: 'tanh', kernelRegularizer: regularizer }));
  model.add(tf.layers.dense({ units: c.output === 'softmax' ? 3 : 1, activation: c.output, kernelRegularizer: regularizer }));
  model.compile({
    optimizer: tf.train.adam(0.01, 0.9, 0.999, 1e-7),
    loss: c.output === 'softmax' ? 'sparseCategoricalCrossentropy' : 'binaryCrossentropy',
  });
  return model;
}

const cases: Case[] = [
  { name: 'sigmoid output', batchNorm: false, l2: 0, output: 'sigmoid' },
  { name: 'sigmoid output, batch-norm and L2', batchNorm: true, l2: 0.05, output: 'sigmoid' },
  { name: 'softmax output, batch-norm', batchNorm: true, l2: 0, output: 'softmax' },
  { name: 'softmax output, L2', batchNorm: false, l2: 0.1, output: 'softmax' },
];

describe('training against TensorFlow.js (20 Adam steps)', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const ours = ourModel(c);
      const theirs = tfjsModel(c);
      // Layer by layer: tfjs' model-level order puts every non-trainable weight last, Keras' does not.
      const ourLayers = ours.layers.map((l) => l.weights()).filter((w) => w.length > 0);
      const theirLayers = theirs.layers.filter((l) => l.weights.length > 0);
      expect(theirLayers.length).toBe(ourLayers.length);
      theirLayers.forEach((layer, i) => {
        layer.setWeights((ourLayers[i] ?? []).map((w) => tf.tensor(Float32Array.from(w.values), w.shape)));
      });
      const labels = Array.from({ length: rows }, (_, i) => (c.output === 'softmax' ? (i * 7) % 3 : (i * 5) % 2));
      const compiled = ours.requireCompiled('test');
      for (let step = 0; step < steps; step++) {
        const start = (step * batch) % rows;
        const xb = new Float32Array(x.slice(start * inputs, (start + batch) * inputs));
        const yb = labels.slice(start, start + batch);
        const targets: Targets =
          c.output === 'softmax' ? { kind: 'labels', data: Int32Array.from(yb) } : { kind: 'matrix', cols: 1, data: Float32Array.from(yb) };
        const penalty = (c.l2 / (2 * batch)) * sumOfSquares(ours.denseKernels());
        // As fit steps: the L2 term goes to the optimizer, fused into its update.
        const { lossSum } = ours.lossAndGradients(xb, targets, batch, null, false);
        compiled.optimizer.apply(ours.backend, ours.params, ours.grads, ours.l2Term(batch));
        const ourLoss = lossSum / batch + penalty;
        const theirLoss = (await theirs.trainOnBatch(
          tf.tensor2d(xb, [batch, inputs]),
          tf.tensor(yb, c.output === 'softmax' ? [batch] : [batch, 1]),
        )) as number;
        expect(Math.abs(ourLoss - theirLoss), `step ${step}: ours ${ourLoss}, tfjs ${theirLoss}`).toBeLessThanOrEqual(
          1e-4 * Math.abs(theirLoss) + 1e-6,
        );
      }
      const final = theirLayers.flatMap((l) => l.getWeights().map((t) => t.dataSync()));
      ours.getWeights().forEach((w, i) => {
        const t = final[i] as Float32Array | Int32Array | Uint8Array;
        let gap = 0;
        let scale = 0;
        for (let j = 0; j < w.length; j++) {
          gap = Math.max(gap, Math.abs((w[j] as number) - (t[j] as number)));
          scale = Math.max(scale, Math.abs(t[j] as number));
        }
        expect(gap, `weight ${i}`).toBeLessThanOrEqual(1e-4 * scale + 1e-6);
      });
    });
  }
});
