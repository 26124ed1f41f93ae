// The layer constructors of the public API: plain specs the model builds.
import { checkOptionKeys, checkPositiveInteger, invalidRange, invalidType, oneOf } from '../errors.js';
import type { LayerSpec } from './layer.js';

/** An activation by name, as dense(units, { activation }) takes it. */
export type ActivationName = 'linear' | 'relu' | 'leakyRelu' | 'tanh' | 'sigmoid' | 'softmax';
const ACTIVATIONS: ActivationName[] = ['linear', 'relu', 'leakyRelu', 'tanh', 'sigmoid', 'softmax'];

/**
 * A fully-connected layer of `units` outputs: Z = X·W + b, W [in, units]. With `activation` (as in
 * Keras) the model gets the dense layer followed by that activation layer.
 */
export function dense(
  units: number,
  options: { init?: 'he' | 'glorot'; useBias?: boolean; activation?: ActivationName; trainable?: boolean } = {},
): LayerSpec {
  checkPositiveInteger('dense', 'units', units);
  checkOptionKeys('dense', 'options', options, ['init', 'useBias', 'activation', 'trainable']);
  checkTrainable('dense', options.trainable);
  if (options.init !== undefined && options.init !== 'he' && options.init !== 'glorot')
    throw oneOf('dense', 'init', ['he', 'glorot'], options.init);
  if (options.useBias !== undefined && typeof options.useBias !== 'boolean')
    throw invalidType('dense', 'useBias', 'true or false', options.useBias);
  if (options.activation !== undefined && !ACTIVATIONS.includes(options.activation))
    throw oneOf('dense', 'activation', ACTIVATIONS, options.activation);
  return { type: 'dense', units, ...options };
}

/** Layers as the model builds them: a dense layer's `activation` becomes a layer of its own. */
export function expandLayers(layers: LayerSpec[]): LayerSpec[] {
  return layers.flatMap((spec) => {
    if (spec.type !== 'dense' || spec.activation === undefined) return [spec];
    const { activation, ...rest } = spec;
    return [rest, { type: 'activation', activation } as LayerSpec];
  });
}

/**
 * Batch normalisation (Keras names and defaults: epsilon 1e-3, momentum 0.99). trainable: false
 * freezes γ and β only (as PyTorch's requires_grad); unlike Keras 2 it does not switch the layer to
 * its running statistics.
 */
export function batchNorm(options: { epsilon?: number; momentum?: number; trainable?: boolean } = {}): LayerSpec {
  checkOptionKeys('batchNorm', 'options', options, ['epsilon', 'momentum', 'trainable']);
  checkTrainable('batchNorm', options.trainable);
  const epsilon = options.epsilon ?? 1e-3;
  const momentum = options.momentum ?? 0.99;
  if (!(epsilon > 0 && epsilon <= 1)) throw invalidRange('batchNorm', 'epsilon', 'a number in (0, 1]', epsilon);
  if (!(momentum >= 0 && momentum <= 1)) throw invalidRange('batchNorm', 'momentum', 'a number in [0, 1]', momentum);
  return { type: 'batchNorm', epsilon, momentum, ...(options.trainable === false ? { trainable: false } : {}) };
}

function checkTrainable(fn: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') throw invalidType(fn, 'trainable', 'true or false', value);
}

/** Inverted dropout of a fraction `rate` of the units, in training only. */
export function dropout(rate: number): LayerSpec {
  if (!(rate >= 0 && rate < 1)) throw invalidRange('dropout', 'rate', 'a number in [0, 1)', rate);
  return { type: 'dropout', rate };
}

/** max(x, 0). */
export const relu = (): LayerSpec => ({ type: 'activation', activation: 'relu' });
/** x for x > 0, alpha·x otherwise (alpha 0.01 by default). */
export function leakyRelu(alpha = 0.01): LayerSpec {
  if (!(alpha >= 0 && alpha < 1)) throw invalidRange('leakyRelu', 'alpha', 'a number in [0, 1)', alpha);
  return { type: 'activation', activation: 'leakyRelu', alpha };
}
/** tanh(x). */
export const tanh = (): LayerSpec => ({ type: 'activation', activation: 'tanh' });
/** 1/(1 + e^−x): the output of binary classifiers. */
export const sigmoid = (): LayerSpec => ({ type: 'activation', activation: 'sigmoid' });
/** Row-wise softmax: the output of multi-class classifiers. */
export const softmax = (): LayerSpec => ({ type: 'activation', activation: 'softmax' });
/** The identity: the output of regressors. */
export const linear = (): LayerSpec => ({ type: 'activation', activation: 'linear' });

export type { LayerSpec } from './layer.js';
