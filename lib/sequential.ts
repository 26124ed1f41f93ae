// The two ways to make a model: sequential() from layers, and mlp(), the
// seed's shorthand (ReLU hidden layers, sigmoid output by default).
import { checkOptionKeys, describe, invalidArgument, invalidType, oneOf } from './errors.js';
import { batchNorm, dense, dropout, expandLayers, type LayerSpec, linear, relu, sigmoid, softmax } from './layers/index.js';
import type { LossName } from './losses.js';
import { type CompileOptions, Model, type SequentialConfig } from './model.js';

/** A model from a list of layers: `sequential({ inputs, seed, layers: [dense(64), relu(), …] })`. */
export function sequential(config: SequentialConfig): Model {
  checkOptionKeys('sequential', 'config', config, ['inputs', 'seed', 'layers']);
  if (!Array.isArray(config.layers))
    throw invalidType('sequential', 'layers', 'an array of layers (dn.dense(8), dn.relu(), …)', config.layers);
  return new Model({ ...config, layers: expandLayers(config.layers) });
}

export interface MlpOptions {
  /** Batch-norm after every hidden dense layer. */
  batchNorm?: boolean;
  /** Dropout rate after every hidden activation (0: none). */
  dropout?: number;
  l2?: number;
  optimizer?: CompileOptions['optimizer'];
  seed?: number;
  /** The output activation: sigmoid (default), softmax or linear; it picks the loss. */
  output?: 'sigmoid' | 'softmax' | 'linear';
}

const lossFor: Record<NonNullable<MlpOptions['output']>, LossName> = {
  sigmoid: 'binaryCrossEntropy',
  softmax: 'crossEntropy',
  linear: 'meanSquaredError',
};

/**
 * An L-layer network from its widths [inputs, hidden…, outputs]: dense → (batch-norm) → ReLU →
 * (dropout) for each hidden layer, then dense → sigmoid/softmax/linear; compiled with the matching
 * loss (binary cross-entropy, cross-entropy, mean squared error) and accuracy for classifiers.
 */
export function mlp(sizes: number[], options: MlpOptions = {}): Model {
  checkOptionKeys('mlp', 'options', options, ['batchNorm', 'dropout', 'l2', 'optimizer', 'seed', 'output']);
  if (!Array.isArray(sizes) || sizes.length < 2)
    throw invalidArgument(
      RangeError,
      'mlp',
      'sizes',
      '[inputs, …, outputs] with at least 2 sizes',
      JSON.stringify(sizes) ?? describe(sizes),
    );
  const output = options.output ?? 'sigmoid';
  if (!Object.hasOwn(lossFor, output)) throw oneOf('mlp', 'output', Object.keys(lossFor), output);
  const layers: LayerSpec[] = [];
  for (const width of sizes.slice(1, -1)) {
    // A bias before batch-norm is redundant (β shifts instead) and its gradient is exactly 0.
    layers.push(dense(width, { useBias: !options.batchNorm }));
    if (options.batchNorm) layers.push(batchNorm());
    layers.push(relu());
    if (options.dropout) layers.push(dropout(options.dropout));
  }
  layers.push(dense(sizes[sizes.length - 1] as number), { sigmoid, softmax, linear }[output]());
  const loss = lossFor[output];
  const model = sequential({ inputs: sizes[0] as number, seed: options.seed ?? 0, layers });
  const compileOptions = { loss, l2: options.l2 ?? 0, metrics: loss === 'meanSquaredError' ? [] : (['accuracy'] as 'accuracy'[]) };
  return model.compile(options.optimizer ? { ...compileOptions, optimizer: options.optimizer } : compileOptions);
}
