// Turns untrusted manifest JSON back into specs by passing every field through
// the public constructors (dense(), adam(), …), so a file can only describe
// what code could have built, and every size is bounded before anything is
// allocated from it.

import { readTabularSpec } from '../data/read-spec.js';
import { type Preprocessing, tabularPreprocessing } from '../data/spec.js';
import { batchNorm, dense, dropout, type LayerSpec, leakyRelu, linear, relu, sigmoid, softmax, tanh } from '../layers/index.js';
import { LOSSES, type LossName } from '../losses.js';
import { METRIC_NAMES, type MetricName } from '../metrics/index.js';
import type { CompileOptions, SequentialConfig } from '../model-types.js';
import { adam, adamw, momentum, OPTIMIZER_KEYS, rmsprop, sgd } from '../optimizers/index.js';
import type { OptimizerSpec } from '../optimizers/optimizer.js';
import { cosineDecay, exponentialDecay, type Schedule, stepDecay } from '../optimizers/schedules.js';
import { isObject, shown } from './json-read.js';
import { ModelFileError } from './model-file-error.js';

/** Widths and layer counts past these are not a model anyone trains on one machine: refuse before allocating. */
export const MAX_WIDTH = 1 << 20;
export const MAX_LAYERS = 1000;
/** Floats in one arena (1 GiB of float32). */
export const MAX_FLOATS = 1 << 28;

export { ModelFileError };

type Json = Record<string, unknown>;

/** Field `key` of `obj` as an object, or an error naming the path. */
export function field(obj: Json, key: string, where: string, file: string): Json {
  const value = obj[key];
  if (!isObject(value)) throw new ModelFileError(file, `${where}.${key} must be an object`);
  return value;
}

function integer(value: unknown, where: string, file: string, min: number, max: number): number {
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max)) {
    throw new ModelFileError(file, `${where} must be an integer in [${min}, ${max}], found ${shown(value)}`);
  }
  return value;
}

function finite(value: unknown, where: string, file: string): number {
  if (!(typeof value === 'number' && Number.isFinite(value))) throw new ModelFileError(file, `${where} must be a finite number`);
  return value;
}

// Each constructor validates its own options; its message says what is wrong.
function rebuild<T>(where: string, file: string, make: () => T): T {
  try {
    return make();
  } catch (error) {
    throw new ModelFileError(file, `${where}: ${(error as Error).message}`);
  }
}

function flag(value: unknown, where: string, file: string): boolean {
  if (typeof value !== 'boolean') throw new ModelFileError(file, `${where} must be true or false`);
  return value;
}

function layerSpec(value: unknown, where: string, file: string): LayerSpec {
  if (!isObject(value)) throw new ModelFileError(file, `${where} must be an object`);
  const num = (key: string) => (value[key] === undefined ? undefined : finite(value[key], `${where}.${key}`, file));
  switch (value.type) {
    case 'dense': {
      const units = integer(value.units, `${where}.units`, file, 1, MAX_WIDTH);
      const options: { init?: 'he' | 'glorot'; useBias?: boolean; trainable?: boolean } = {};
      if (value.init !== undefined) options.init = value.init as 'he' | 'glorot';
      if (value.useBias !== undefined) options.useBias = flag(value.useBias, `${where}.useBias`, file);
      if (value.trainable !== undefined) options.trainable = flag(value.trainable, `${where}.trainable`, file);
      return rebuild(where, file, () => dense(units, options));
    }
    case 'batchNorm': {
      const options: { epsilon?: number; momentum?: number; trainable?: boolean } = {};
      const epsilon = num('epsilon');
      const m = num('momentum');
      if (epsilon !== undefined) options.epsilon = epsilon;
      if (m !== undefined) options.momentum = m;
      if (value.trainable !== undefined) options.trainable = flag(value.trainable, `${where}.trainable`, file);
      return rebuild(where, file, () => batchNorm(options));
    }
    case 'dropout':
      return rebuild(where, file, () => dropout(finite(value.rate, `${where}.rate`, file)));
    case 'activation': {
      if (value.activation === 'leakyRelu') return rebuild(where, file, () => leakyRelu(num('alpha')));
      const makers = { relu, sigmoid, softmax, tanh, linear };
      const name = String(value.activation);
      if (!Object.hasOwn(makers, name)) throw new ModelFileError(file, `${where}: unknown activation ${shown(value.activation)}`);
      return makers[name as keyof typeof makers]();
    }
    default:
      throw new ModelFileError(file, `${where}: unknown layer type ${shown(value.type)}`);
  }
}

/** The architecture, checked; also its parameter and state counts, computed without allocating. */
export function architecture(value: unknown, file: string): { config: SequentialConfig; params: number; state: number; outputs: number } {
  if (!isObject(value)) throw new ModelFileError(file, 'architecture must be an object');
  const inputs = integer(value.inputs, 'architecture.inputs', file, 1, MAX_WIDTH);
  const seed = value.seed === undefined ? 0 : integer(value.seed, 'architecture.seed', file, -(2 ** 53), 2 ** 53);
  if (!Array.isArray(value.layers) || value.layers.length < 1 || value.layers.length > MAX_LAYERS) {
    throw new ModelFileError(file, `architecture.layers must be an array of 1 to ${MAX_LAYERS} layers`);
  }
  const layers = value.layers.map((spec, i) => layerSpec(spec, `architecture.layers[${i}]`, file));
  return { config: { inputs, seed, layers }, ...arenaSizes(inputs, layers, file) };
}

/** The parameter and state counts of these layers, computed without allocating; refused past MAX_LAYERS or MAX_FLOATS (load and importTfjs). */
export function arenaSizes(
  inputs: number,
  layers: readonly LayerSpec[],
  file: string,
  fn = 'load',
): { params: number; state: number; outputs: number } {
  if (layers.length > MAX_LAYERS)
    throw new ModelFileError(file, `the architecture has ${layers.length} layers, more than ${MAX_LAYERS}`, fn);
  let width = inputs;
  let params = 0;
  let state = 0;
  for (const spec of layers) {
    if (spec.type === 'dense') {
      params += width * spec.units + (spec.useBias === false ? 0 : spec.units);
      width = spec.units;
    } else if (spec.type === 'batchNorm') {
      params += 2 * width;
      state += 2 * width;
    }
    if (params > MAX_FLOATS || state > MAX_FLOATS)
      throw new ModelFileError(file, `the architecture needs more than ${MAX_FLOATS} parameters`, fn);
  }
  return { params, state, outputs: width };
}

function schedule(value: unknown, where: string, file: string): number | Schedule {
  if (typeof value === 'number') return finite(value, where, file);
  if (!isObject(value)) throw new ModelFileError(file, `${where} must be a number or a schedule`);
  const n = (key: string) => finite(value[key], `${where}.${key}`, file);
  switch (value.kind) {
    case 'step':
      return rebuild(where, file, () => stepDecay({ initial: n('initial'), dropEvery: n('dropEvery'), factor: n('factor') }));
    case 'exponential':
      return rebuild(where, file, () =>
        exponentialDecay({ initial: n('initial'), decaySteps: n('decaySteps'), decayRate: n('decayRate') }),
      );
    case 'cosine':
      return rebuild(where, file, () => cosineDecay({ initial: n('initial'), decaySteps: n('decaySteps'), alpha: n('alpha') }));
    default:
      throw new ModelFileError(file, `${where}: unknown schedule ${shown(value.kind)}`);
  }
}

function optimizerSpec(value: unknown, file: string): OptimizerSpec {
  if (!isObject(value)) throw new ModelFileError(file, 'compile.optimizer must be an object');
  const factories = { sgd, momentum, rmsprop, adam, adamw };
  const name = String(value.name);
  if (!Object.hasOwn(factories, name)) throw new ModelFileError(file, `compile.optimizer: unknown optimizer ${shown(value.name)}`);
  const optimizer = name as keyof typeof factories;
  // Only the options this optimizer takes (sgd has no β), each as its factory checks it.
  const options: Record<string, unknown> = {};
  for (const key of OPTIMIZER_KEYS[optimizer]) {
    if (key === 'learningRate') options[key] = schedule(value.learningRate, 'compile.optimizer.learningRate', file);
    else if (value[key] !== undefined) options[key] = finite(value[key], `compile.optimizer.${key}`, file);
  }
  return rebuild('compile.optimizer', file, () => factories[optimizer](options));
}

/** compile() options as saved, or null for a model saved before compile(). compile() itself checks them against the layers. */
export function compileOptions(value: unknown, file: string): (CompileOptions & { optimizer: OptimizerSpec }) | null {
  if (value === null || value === undefined) return null;
  if (!isObject(value)) throw new ModelFileError(file, 'compile must be an object or null');
  const loss = value.loss;
  if (typeof loss !== 'string' || !(LOSSES as readonly string[]).includes(loss)) {
    throw new ModelFileError(file, `compile.loss: unknown loss ${shown(loss)}`);
  }
  const metrics = value.metrics ?? [];
  if (!Array.isArray(metrics) || metrics.some((m) => typeof m !== 'string' || !(METRIC_NAMES as readonly string[]).includes(m)))
    throw new ModelFileError(file, `compile.metrics must be an array of ${METRIC_NAMES.join(', ')}`);
  return {
    loss: loss as LossName,
    ...(value.delta === undefined ? {} : { delta: finite(value.delta, 'compile.delta', file) }),
    l2: finite(value.l2 ?? 0, 'compile.l2', file),
    metrics: metrics as MetricName[],
    optimizer: optimizerSpec(value.optimizer, file),
  };
}

function numbers(value: unknown, where: string, file: string, length: number, positive: boolean): number[] {
  if (!Array.isArray(value) || value.length !== length) throw new ModelFileError(file, `${where} must be an array of ${length} numbers`);
  return value.map((v, i) => {
    const x = finite(v, `${where}[${i}]`, file);
    if (positive && !(x > 0)) throw new ModelFileError(file, `${where}[${i}] must be > 0`);
    return x;
  });
}

function strings(value: unknown, where: string, file: string, length?: number): string[] {
  if (!Array.isArray(value) || value.some((s) => typeof s !== 'string') || (length !== undefined && value.length !== length)) {
    throw new ModelFileError(file, `${where} must be an array of ${length ?? 'some'} strings`);
  }
  return value as string[];
}

/** The preprocessing block: lengths must match the input and output widths. */
export function preprocessing(value: unknown, file: string, inputs: number, outputs: number): Preprocessing | null {
  if (value === null || value === undefined) return null;
  if (!isObject(value)) throw new ModelFileError(file, 'preprocessing must be an object or null');
  const result: Preprocessing = {};
  if (value.features !== undefined) result.features = strings(value.features, 'preprocessing.features', file);
  if (value.target !== undefined) {
    if (typeof value.target !== 'string') throw new ModelFileError(file, 'preprocessing.target must be a string');
    result.target = value.target;
  }
  if ((value.mean === undefined) !== (value.std === undefined))
    throw new ModelFileError(file, 'preprocessing needs both mean and std, or neither');
  if (value.mean !== undefined) {
    result.mean = numbers(value.mean, 'preprocessing.mean', file, inputs, false);
    result.std = numbers(value.std, 'preprocessing.std', file, inputs, true);
  }
  if (value.classes !== undefined) result.classes = strings(value.classes, 'preprocessing.classes', file);
  const mismatch = metadataMismatch(
    { features: result.features?.length, classes: result.classes?.length },
    inputs,
    outputs,
    'preprocessing',
  );
  if (mismatch !== null) throw new ModelFileError(file, mismatch);
  if (value.tabular !== undefined) {
    const tabular = rebuild('preprocessing.tabular', file, () => readTabularSpec(value.tabular, 'spec', 'preprocessing.tabular'));
    const tabularMismatch = metadataMismatch(tabularCounts(tabular), inputs, outputs, 'preprocessing.tabular');
    if (tabularMismatch !== null) throw new ModelFileError(file, tabularMismatch);
    if (result.mean !== undefined) throw new ModelFileError(file, 'preprocessing has both a tabular spec and mean/std');
    Object.assign(result, tabularPreprocessing(tabular));
  }
  return result;
}

/** The feature and class counts of a column spec, for metadataMismatch. */
export function tabularCounts(spec: ReturnType<typeof readTabularSpec>): { features: number; classes?: number } {
  return { features: spec.features.length, ...(spec.target?.kind === 'classes' ? { classes: spec.target.classes.length } : {}) };
}

/**
 * The one rule for a model's metadata, on load and on importTfjs: as many feature names as inputs,
 * and as many class names as classes (2 for one sigmoid output). The problem in words, or null.
 */
export function metadataMismatch(
  counts: { features?: number | undefined; classes?: number | undefined },
  inputs: number,
  outputs: number,
  path: string,
): string | null {
  if (counts.features !== undefined && counts.features !== inputs)
    return `${path} makes ${counts.features} feature${counts.features === 1 ? '' : 's'}, the model has ${inputs} input${inputs === 1 ? '' : 's'}`;
  const classes = outputs === 1 ? 2 : outputs;
  if (counts.classes !== undefined && counts.classes !== classes)
    return `${path} has ${counts.classes} classes, the model has ${outputs} output${outputs === 1 ? '' : 's'} (${classes} classes)`;
  return null;
}
