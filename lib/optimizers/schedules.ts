// Learning-rate schedules: plain data (saved with the model) evaluated per
// optimizer step. Steps count from 0.
import { checkOptionKeys, invalidRange } from '../errors.js';

/**
 * The largest learning rate (and weight decay) the update kernels take (lr [0..1e6] in
 * lib/backend/signatures.ts and native/binding/optimizers.cc): checked when an optimizer or
 * schedule is made, so a bad rate fails there and not inside fit.
 */
export const MAX_LEARNING_RATE = 1e6;

/** A learning rate that changes with the optimizer step. */
export type Schedule =
  | { kind: 'step'; initial: number; dropEvery: number; factor: number }
  | { kind: 'exponential'; initial: number; decaySteps: number; decayRate: number }
  | { kind: 'cosine'; initial: number; decaySteps: number; alpha: number };

/** initial·factor^⌊step/dropEvery⌋ (factor 0.5 by default). */
export function stepDecay(options: { initial: number; dropEvery: number; factor?: number }): Schedule {
  checkOptionKeys('stepDecay', 'options', options, ['initial', 'dropEvery', 'factor']);
  return {
    kind: 'step',
    initial: rate('stepDecay', 'initial', options.initial),
    dropEvery: positive('stepDecay', 'dropEvery', options.dropEvery),
    factor: fraction('stepDecay', 'factor', options.factor ?? 0.5),
  };
}

/** initial·decayRate^(step/decaySteps), as Keras' ExponentialDecay. */
export function exponentialDecay(options: { initial: number; decaySteps: number; decayRate: number }): Schedule {
  checkOptionKeys('exponentialDecay', 'options', options, ['initial', 'decaySteps', 'decayRate']);
  return {
    kind: 'exponential',
    initial: rate('exponentialDecay', 'initial', options.initial),
    decaySteps: positive('exponentialDecay', 'decaySteps', options.decaySteps),
    decayRate: fraction('exponentialDecay', 'decayRate', options.decayRate),
  };
}

/** Cosine from initial down to alpha·initial over decaySteps, then flat, as Keras' CosineDecay. */
export function cosineDecay(options: { initial: number; decaySteps: number; alpha?: number }): Schedule {
  checkOptionKeys('cosineDecay', 'options', options, ['initial', 'decaySteps', 'alpha']);
  return {
    kind: 'cosine',
    initial: rate('cosineDecay', 'initial', options.initial),
    decaySteps: positive('cosineDecay', 'decaySteps', options.decaySteps),
    alpha: floorFraction(options.alpha ?? 0),
  };
}

/** A learning rate (or weight decay) in [0, MAX_LEARNING_RATE]; a schedule never rises above its initial rate. */
export function rate(fn: string, name: string, value: unknown): number {
  if (!(typeof value === 'number' && value >= 0 && value <= MAX_LEARNING_RATE))
    throw invalidRange(fn, name, `a number in [0, ${MAX_LEARNING_RATE}] (the update kernels' bound)`, value);
  return value;
}

// A decay factor: 0 would zero the rate, above 1 it grows.
function fraction(fn: string, name: string, value: number): number {
  if (!(typeof value === 'number' && value > 0 && value <= 1)) throw invalidRange(fn, name, 'a number in (0, 1]', value);
  return value;
}

// The floor of a cosine decay, as a fraction of the initial rate.
function floorFraction(value: number): number {
  if (!(typeof value === 'number' && value >= 0 && value <= 1)) throw invalidRange('cosineDecay', 'alpha', 'a number in [0, 1]', value);
  return value;
}

function positive(fn: string, name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) throw invalidRange(fn, name, 'a positive number', value);
  return value;
}

/** The learning rate at a step (0-based). */
export function learningRateAt(rate: number | Schedule, step: number): number {
  if (typeof rate === 'number') return rate;
  switch (rate.kind) {
    case 'step':
      return rate.initial * rate.factor ** Math.floor(step / rate.dropEvery);
    case 'exponential':
      return rate.initial * rate.decayRate ** (step / rate.decaySteps);
    case 'cosine': {
      const t = Math.min(step, rate.decaySteps) / rate.decaySteps;
      return rate.initial * ((1 - rate.alpha) * 0.5 * (1 + Math.cos(Math.PI * t)) + rate.alpha);
    }
  }
}
