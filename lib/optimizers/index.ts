// The optimizers a user picks in compile(): sgd, momentum, rmsprop, adam, adamw.
import { checkOptionKeys, invalidRange, invalidType, oneOf } from '../errors.js';
import type { OptimizerSpec } from './optimizer.js';
import { rate, type Schedule } from './schedules.js';

/** Options shared by every optimizer. */
export interface OptimizerOptions {
  /** A number or a schedule (stepDecay, exponentialDecay, cosineDecay). */
  learningRate?: number | Schedule;
  /** Decoupled weight decay: p −= lr·wd·p each step (0: off). */
  weightDecay?: number;
  /**
   * Clip by the global norm (> 0): every gradient is scaled by min(1, clipNorm/‖g‖₂), where ‖g‖₂
   * is the norm over ALL the model's trainable parameters at once (Keras' `global_clipnorm`,
   * `tf.clipByGlobalNorm`), not Keras' `clipnorm`, which clips each weight tensor by its own norm.
   */
  clipNorm?: number;
  /**
   * Clip by value (> 0): each gradient element is clamped to [−clipValue, clipValue] (Keras'
   * `clipvalue`). With clipNorm too, the value clip comes first and the norm is of the clamped
   * gradients (legacy Keras' order; Keras 3 refuses both).
   */
  clipValue?: number;
}

// The options each optimizer reads (a misspelt one, e.g. lr, is an error rather than ignored).
const SHARED = ['learningRate', 'weightDecay', 'clipNorm', 'clipValue'];
export const OPTIMIZER_KEYS: Record<OptimizerSpec['name'], string[]> = {
  sgd: SHARED,
  momentum: [...SHARED, 'beta1'],
  rmsprop: [...SHARED, 'beta2', 'epsilon'],
  adam: [...SHARED, 'beta1', 'beta2', 'epsilon'],
  adamw: [...SHARED, 'beta1', 'beta2', 'epsilon'],
};

function make(
  name: OptimizerSpec['name'],
  defaults: Omit<OptimizerSpec, 'name' | 'weightDecay'>,
  options: Partial<OptimizerSpec>,
): OptimizerSpec {
  checkOptionKeys(name, 'options', options, OPTIMIZER_KEYS[name]);
  const spec: OptimizerSpec = { name, ...defaults, weightDecay: 0 };
  for (const [key, value] of Object.entries(options)) if (value !== undefined) (spec as unknown as Record<string, unknown>)[key] = value;
  const lr = spec.learningRate;
  if (typeof lr === 'number') rate(name, 'learningRate', lr);
  if (typeof lr !== 'number' && (lr === null || typeof lr !== 'object' || !['step', 'exponential', 'cosine'].includes(lr.kind)))
    throw invalidType(name, 'learningRate', 'a number or a schedule (stepDecay, exponentialDecay, cosineDecay)', lr);
  for (const key of ['beta1', 'beta2'] as const) {
    if (!(spec[key] >= 0 && spec[key] < 1)) throw invalidRange(name, key, 'a number in [0, 1)', spec[key]);
  }
  if (!(spec.epsilon > 0)) throw invalidRange(name, 'epsilon', 'a number > 0', spec.epsilon);
  rate(name, 'weightDecay', spec.weightDecay);
  // Absent is off; a given one must be finite (the spec is saved as JSON, where Infinity is null).
  for (const key of ['clipNorm', 'clipValue'] as const) {
    const value = spec[key];
    if (value === undefined) continue;
    if (typeof value !== 'number') throw invalidType(name, key, 'a finite number > 0', value);
    if (!(value > 0 && Number.isFinite(value))) throw invalidRange(name, key, 'a finite number > 0', value);
  }
  return spec;
}

/** Plain gradient descent: p −= lr·g (g clipped first when clipNorm or clipValue is given). */
export function sgd(options: OptimizerOptions = {}): OptimizerSpec {
  return make('sgd', { learningRate: 0.01, beta1: 0, beta2: 0, epsilon: 1e-7 }, options);
}

/** Momentum: v = β₁v + (1 − β₁)g; p −= lr·v (g clipped first when clipNorm or clipValue is given). */
export function momentum(options: OptimizerOptions & { beta1?: number } = {}): OptimizerSpec {
  return make('momentum', { learningRate: 0.01, beta1: 0.9, beta2: 0, epsilon: 1e-7 }, options);
}

/** RMSprop: s = β₂s + (1 − β₂)g²; p −= lr·g/(√s + ε) (g clipped first when clipNorm or clipValue is given). */
export function rmsprop(options: OptimizerOptions & { beta2?: number; epsilon?: number } = {}): OptimizerSpec {
  return make('rmsprop', { learningRate: 0.001, beta1: 0, beta2: 0.9, epsilon: 1e-7 }, options);
}

/** Adam with bias correction (Keras defaults: lr 1e-3, β₁ 0.9, β₂ 0.999, ε 1e-7); clipNorm is Keras' global_clipnorm. */
export function adam(options: OptimizerOptions & { beta1?: number; beta2?: number; epsilon?: number } = {}): OptimizerSpec {
  return make('adam', { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }, options);
}

/** Adam with decoupled weight decay (default 0.004, as Keras' AdamW); clipNorm is Keras' global_clipnorm. */
export function adamw(options: OptimizerOptions & { beta1?: number; beta2?: number; epsilon?: number } = {}): OptimizerSpec {
  return make('adamw', { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }, { weightDecay: 0.004, ...options });
}

export type { OptimizerSpec } from './optimizer.js';
export type { Schedule } from './schedules.js';
export { cosineDecay, exponentialDecay, MAX_LEARNING_RATE, stepDecay } from './schedules.js';

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
