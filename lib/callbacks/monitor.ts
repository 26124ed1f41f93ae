// What the built-in callbacks watch: a log key in our camelCase or Keras's snake_case
// (val_loss → valLoss, val_auc → valAuc, acc → accuracy), and which way is better.
import { oneOf } from '../errors.js';
import type { RunInfo } from '../fit-types.js';

const ALIASES: Record<string, string> = { acc: 'accuracy', val_acc: 'valAccuracy' };

/** Our spelling of a monitor. */
export function monitorKey(given: string): string {
  const alias = ALIASES[given];
  if (alias !== undefined) return alias;
  const camel = given.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return camel;
}

// Figures that improve upwards; everything else (losses, errors) improves downwards.
const HIGHER_IS_BETTER = /accuracy|auc|precision|recall|f1|r2/i;

/** +1 when smaller is better, −1 when larger is: the sign that turns a log into something to minimise. */
export function monitorSign(key: string, mode: 'auto' | 'min' | 'max' = 'auto'): 1 | -1 {
  if (mode === 'min') return 1;
  if (mode === 'max') return -1;
  return HIGHER_IS_BETTER.test(key) ? -1 : 1;
}

/** Refuses, when fit starts, a monitor the run will never log (naming the ones it will). */
export function checkMonitor(fn: string, key: string, run: RunInfo): void {
  if (run.logs.includes(key)) return;
  if (key.startsWith('val') && !run.validation && run.logs.includes(key.charAt(3).toLowerCase() + key.slice(4)))
    throw new RangeError(
      `${fn}: monitor '${key}' needs fit({ validationData }) or validationSplit; without it, monitor '${key.charAt(3).toLowerCase() + key.slice(4)}'`,
    );
  if (/accuracy/i.test(key) && !run.logs.includes('accuracy'))
    throw new RangeError(`${fn}: monitor '${key}' needs compile({ metrics: ['accuracy'] })`);
  throw oneOf(fn, 'monitor', run.logs, key);
}

/** Tracks the best value of a monitored log and the epochs since it improved by more than minDelta. */
export class Plateau {
  best = Number.POSITIVE_INFINITY;
  wait = 0;

  constructor(
    private readonly sign: 1 | -1,
    private readonly minDelta: number,
  ) {}

  reset(): void {
    this.best = Number.POSITIVE_INFINITY;
    this.wait = 0;
  }

  /** Records `raw`; true when it is an improvement. */
  improved(raw: number): boolean {
    const value = this.sign * raw;
    if (value < this.best - this.minDelta) {
      this.best = value;
      this.wait = 0;
      return true;
    }
    this.wait++;
    return false;
  }
}
