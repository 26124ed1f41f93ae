// The optimizers a user picks in compile(): sgd, momentum, rmsprop, adam, adamw.
import { checkOptionKeys, invalidRange, invalidType, oneOf } from '../errors.js';
import type { OptimizerSpec } from './optimizer.js';
import type { Schedule } from './schedules.js';

/** Options shared by every optimizer. */
export interface OptimizerOptions {
  /** A number or a schedule (stepDecay, exponentialDecay, cosineDecay). */
  learningRate?: number | Schedule;
  /** Decoupled weight decay: p −= lr·wd·p each step (0: off). */
  weightDecay?: number;
}

// The options each optimizer reads (a misspelt one, e.g. lr, is an error rather than ignored).
const KEYS: Record<OptimizerSpec['name'], string[]> = {
  sgd: ['learningRate', 'weightDecay'],
  momentum: ['learningRate', 'weightDecay', 'beta1'],
  rmsprop: ['learningRate', 'weightDecay', 'beta2', 'epsilon'],
  adam: ['learningRate', 'weightDecay', 'beta1', 'beta2', 'epsilon'],
  adamw: ['learningRate', 'weightDecay', 'beta1', 'beta2', 'epsilon'],
};

function make(
  name: OptimizerSpec['name'],
  defaults: Omit<OptimizerSpec, 'name' | 'weightDecay'>,
  options: Partial<OptimizerSpec>,
): OptimizerSpec {
  checkOptionKeys(name, 'options', options, KEYS[name]);
  const spec: OptimizerSpec = { name, ...defaults, weightDecay: 0 };
  for (const [key, value] of Object.entries(options)) if (value !== undefined) (spec as unknown as Record<string, unknown>)[key] = value;
  const lr = spec.learningRate;
  if (typeof lr === 'number' && !(Number.isFinite(lr) && lr >= 0)) throw invalidRange(name, 'learningRate', 'a finite number >= 0', lr);
  if (typeof lr !== 'number' && (lr === null || typeof lr !== 'object' || !['step', 'exponential', 'cosine'].includes(lr.kind)))
    throw invalidType(name, 'learningRate', 'a number or a schedule (stepDecay, exponentialDecay, cosineDecay)', lr);
  for (const key of ['beta1', 'beta2'] as const) {
    if (!(spec[key] >= 0 && spec[key] < 1)) throw invalidRange(name, key, 'a number in [0, 1)', spec[key]);
  }
  if (!(spec.epsilon > 0)) throw invalidRange(name, 'epsilon', 'a number > 0', spec.epsilon);
  if (!(spec.weightDecay >= 0)) throw invalidRange(name, 'weightDecay', 'a number >= 0', spec.weightDecay);
  return spec;
}

/** Plain gradient descent: p −= lr·g. */
export function sgd(options: OptimizerOptions = {}): OptimizerSpec {
  return make('sgd', { learningRate: 0.01, beta1: 0, beta2: 0, epsilon: 1e-7 }, options);
}

/** Momentum: v = β₁v + (1 − β₁)g; p −= lr·v. */
export function momentum(options: OptimizerOptions & { beta1?: number } = {}): OptimizerSpec {
  return make('momentum', { learningRate: 0.01, beta1: 0.9, beta2: 0, epsilon: 1e-7 }, options);
}

/** RMSprop: s = β₂s + (1 − β₂)g²; p −= lr·g/(√s + ε). */
export function rmsprop(options: OptimizerOptions & { beta2?: number; epsilon?: number } = {}): OptimizerSpec {
  return make('rmsprop', { learningRate: 0.001, beta1: 0, beta2: 0.9, epsilon: 1e-7 }, options);
}

/** Adam with bias correction (Keras defaults: lr 1e-3, β₁ 0.9, β₂ 0.999, ε 1e-7). */
export function adam(options: OptimizerOptions & { beta1?: number; beta2?: number; epsilon?: number } = {}): OptimizerSpec {
  return make('adam', { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }, options);
}

/** Adam with decoupled weight decay (default 0.004, as Keras' AdamW). */
export function adamw(options: OptimizerOptions & { beta1?: number; beta2?: number; epsilon?: number } = {}): OptimizerSpec {
  return make('adamw', { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }, { weightDecay: 0.004, ...options });
}

export type { OptimizerSpec } from './optimizer.js';
export type { Schedule } from './schedules.js';
export { cosineDecay, exponentialDecay, stepDecay } from './schedules.js';

/** The optimizers by name, for compile({ optimizer: 'adam' }) and the CLI. */
export const OPTIMIZERS = { sgd, momentum, rmsprop, adam, adamw } as const;

// An optimizer from compile(): a spec from dn.adam() & co., or a name for its defaults.
export function optimizerSpec(value: OptimizerSpec | keyof typeof OPTIMIZERS | undefined): OptimizerSpec {
  if (value === undefined) return OPTIMIZERS.adam();
  if (typeof value === 'string') {
    if (!Object.hasOwn(OPTIMIZERS, value)) throw oneOf('compile', 'optimizer', Object.keys(OPTIMIZERS), value);
    return OPTIMIZERS[value]();
  }
  if (value === null || typeof value !== 'object' || !Object.hasOwn(OPTIMIZERS, (value as { name?: unknown }).name as string))
    throw invalidType('compile', 'optimizer', "an optimizer (dn.adam({ learningRate })) or its name ('adam')", value);
  return value;
}
