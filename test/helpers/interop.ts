// Trained models for the export tests: every layer and activation, batch-norm
// running statistics moved well away from (0, 1) by training, and data.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dn from '../../lib/index.js';
import type { Model } from '../../lib/model.js';
import { randomFloats } from './reference.js';

export const scratchDir = (prefix: string): string => mkdtempSync(join(tmpdir(), `densenode-${prefix}-`));

/** rows × cols values in [-2, 2), deterministic. */
export function inputs(rows: number, cols: number, seed: number): dn.Matrix {
  return { rows, cols, data: randomFloats(rows * cols, seed).map((v) => 2 * v) };
}

export interface Case {
  name: string;
  model: Model;
  /** Inputs the comparisons use (not the training data). */
  x: dn.Matrix;
}

// Labels from a fixed rule, so training has something to learn and moves every statistic.
function labels(x: dn.Matrix, classes: number): number[] {
  return Array.from({ length: x.rows }, (_, i) => {
    const row = x.data.subarray(i * x.cols, (i + 1) * x.cols);
    return Math.abs(Math.floor(2 * (row[0] as number) + (row[1] as number))) % classes;
  });
}

async function train(model: Model, loss: dn.LossName, classes: number, seed: number): Promise<Model> {
  const x = inputs(96, model.inputs, seed);
  // Shifted inputs: batch means far from 0, so the running statistics leave their (0, 1) start.
  x.data.forEach((v, i) => {
    x.data[i] = v * 1.5 + 0.75;
  });
  const y = labels(x, classes);
  const target = loss === 'meanSquaredError' ? y.map((v) => Array.from({ length: model.outputWidth }, (_, j) => v * 0.5 - j)) : y;
  model.compile({ loss, optimizer: dn.adam({ learningRate: 0.01 }) });
  await model.fit(x, target, { epochs: 4, batchSize: 16 });
  return model;
}

/** Trained models covering dense with and without bias, batch-norm, dropout and every activation. */
export async function trainedCases(): Promise<Case[]> {
  const everything = dn.sequential({
    inputs: 5,
    seed: 3,
    layers: [
      dn.dense(8),
      dn.batchNorm(),
      dn.relu(),
      dn.dropout(0.3),
      dn.dense(6, { useBias: false }),
      dn.batchNorm({ momentum: 0.9, epsilon: 0.01 }),
      dn.leakyRelu(0.2),
      dn.dense(6),
      dn.tanh(),
      dn.dense(5),
      dn.sigmoid(),
      dn.dense(4),
      dn.linear(),
      dn.dense(3),
      dn.softmax(),
    ],
  });
  const binary = dn.mlp([4, 7, 5, 1], { batchNorm: true, dropout: 0.2, seed: 5 });
  const regression = dn.sequential({ inputs: 3, seed: 8, layers: [dn.dense(5), dn.leakyRelu(), dn.dense(2), dn.linear()] });
  return [
    { name: 'every layer and activation (softmax output)', model: await train(everything, 'crossEntropy', 3, 11), x: inputs(23, 5, 101) },
    {
      name: 'mlp: bias-free dense + batch-norm + dropout (sigmoid output)',
      model: await train(binary, 'binaryCrossEntropy', 2, 12),
      x: inputs(9, 4, 102),
    },
    { name: 'regression (leaky ReLU, linear output)', model: await train(regression, 'meanSquaredError', 4, 13), x: inputs(7, 3, 103) },
  ];
}

/** Whether every batch-norm layer's moving mean and variance moved well away from their initial 0 and 1. */
export function statisticsMoved(model: Model): boolean {
  const layers = model.layers.filter((l) => l.spec.type === 'batchNorm');
  return (
    layers.length > 0 &&
    layers.every((l) => {
      const [, , mean, variance] = l.weights();
      return mean!.values.some((v) => Math.abs(v) > 0.05) && variance!.values.some((v) => Math.abs(v - 1) > 0.05);
    })
  );
}

/** A model with standardisation and class names, and raw inputs on its scale. */
export function standardisedModel(firstLayerBias = true): { model: Model; raw: dn.Matrix; standardised: dn.Matrix } {
  const mean = [3, -2, 10, 0.5];
  const std = [0.5, 2, 4, 1.5];
  const model = dn.sequential({
    inputs: 4,
    seed: 21,
    layers: [dn.dense(6, { useBias: firstLayerBias }), dn.batchNorm(), dn.relu(), dn.dense(3), dn.softmax()],
  });
  // Non-trivial batch-norm state and bias without training.
  model.state.forEach((_, i) => {
    model.state[i] = i < 6 ? 0.1 * (i - 3) : 0.5 + 0.2 * (i - 6);
  });
  model.preprocessing = { features: ['a', 'b', 'c', 'd'], target: 'kind', mean, std, classes: ['setosa', 'versicolor', 'virginica'] };
  const z = inputs(11, 4, 77);
  const raw = { rows: z.rows, cols: 4, data: z.data.map((v, i) => (mean[i % 4] as number) + v * (std[i % 4] as number)) };
  const standardised = { rows: z.rows, cols: 4, data: raw.data.map((v, i) => (v - (mean[i % 4] as number)) / (std[i % 4] as number)) };
  return { model, raw, standardised };
}
