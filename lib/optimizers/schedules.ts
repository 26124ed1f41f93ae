// Learning-rate schedules: plain data (saved with the model) evaluated per
// optimizer step. Steps count from 0.

/** A learning rate that changes with the optimizer step. */
export type Schedule =
  | { kind: 'step'; initial: number; dropEvery: number; factor: number }
  | { kind: 'exponential'; initial: number; decaySteps: number; decayRate: number }
  | { kind: 'cosine'; initial: number; decaySteps: number; alpha: number };

/** initial·factor^⌊step/dropEvery⌋ (factor 0.5 by default). */
export function stepDecay(options: { initial: number; dropEvery: number; factor?: number }): Schedule {
  return {
    kind: 'step',
    initial: options.initial,
    dropEvery: positive('stepDecay', 'dropEvery', options.dropEvery),
    factor: options.factor ?? 0.5,
  };
}

/** initial·decayRate^(step/decaySteps), as Keras' ExponentialDecay. */
export function exponentialDecay(options: { initial: number; decaySteps: number; decayRate: number }): Schedule {
  return {
    kind: 'exponential',
    initial: options.initial,
    decaySteps: positive('exponentialDecay', 'decaySteps', options.decaySteps),
    decayRate: options.decayRate,
  };
}

/** Cosine from initial down to alpha·initial over decaySteps, then flat, as Keras' CosineDecay. */
export function cosineDecay(options: { initial: number; decaySteps: number; alpha?: number }): Schedule {
  return {
    kind: 'cosine',
    initial: options.initial,
    decaySteps: positive('cosineDecay', 'decaySteps', options.decaySteps),
    alpha: options.alpha ?? 0,
  };
}

function positive(fn: string, name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`${fn}: expected a positive number for ${name}, received ${value}`);
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
