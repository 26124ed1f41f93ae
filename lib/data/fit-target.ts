// Typing the target from a summary of its cells (none missing), gathered one
// cell at a time: classes (at most MAX_CLASSES, each kept) or values with their
// exact mean and std.
import { isNumeral, levelKey } from './cells.js';
import { DataError } from './data-error.js';
import { Moments } from './sketches.js';
import type { TargetSpec } from './spec.js';

// A numeric target with at most this many distinct integers is taken as classes.
const MAX_INFERRED_CLASSES = 20;
export const MAX_CLASSES = 1000;

const LABELS_KEPT = 2 * MAX_CLASSES;

export type Task = 'classification' | 'regression';

export class TargetSummary {
  /** Distinct labels by levelKey ('1.0' and '1' are one class), at most MAX_CLASSES + 1 kept. */
  readonly keys = new Set<string>();
  numeric = true;
  /** The first label that is no number, and its row's name. */
  firstText: { text: string; where: string } | null = null;
  readonly values = new Moments();
  /** Label texts read so far, with their value (NaN for a word). */
  private readonly labels = new Map<string, number>();

  constructor(readonly name: string) {}

  /** Reads a present label (its text, as cellText gives it); `where` names its row. */
  add(text: string, where: () => string): void {
    // A target repeats a few labels: each one's reading is remembered.
    let value = this.labels.get(text);
    if (value === undefined) {
      if (this.keys.size <= MAX_CLASSES) this.keys.add(levelKey(text));
      value = isNumeral(text) ? Number(text) : Number.NaN;
      if (this.labels.size < LABELS_KEPT) this.labels.set(text, value);
    }
    if (!Number.isNaN(value)) this.values.add(value);
    else if (this.numeric) {
      this.numeric = false;
      this.firstText = { text, where: where() };
    }
  }
}

/** Classes, or values with their mean and std, for a target summarised over its training rows. */
export function fitTargetSummary(s: TargetSummary, task: Task | undefined): TargetSpec {
  const { name, numeric } = s;
  const distinct = [...s.keys];
  const fewIntegers = numeric && distinct.length <= MAX_INFERRED_CLASSES && distinct.every((k) => Number.isInteger(Number(k)));
  const classify = task === undefined ? !numeric || fewIntegers : task === 'classification';
  if (!classify) {
    if (s.firstText !== null)
      throw new DataError(`${s.firstText.where}: the target '${name}' is '${s.firstText.text}', not a number (a regression)`);
    const std = Math.sqrt(Math.max(0, s.values.m2) / s.values.n);
    return { name, kind: 'values', mean: s.values.mean, std: std > 0 ? std : 1 };
  }
  if (distinct.length < 2) throw new DataError(`the target '${name}' has one value only ('${distinct[0]}'): nothing to classify`);
  if (distinct.length > MAX_CLASSES)
    throw new DataError(
      `the target '${name}' has more than ${MAX_CLASSES} distinct values, too many classes; for a regression it must be numeric`,
    );
  const classes = numeric ? distinct.sort((a, b) => Number(a) - Number(b)) : distinct.sort();
  return { name, kind: 'classes', classes };
}
