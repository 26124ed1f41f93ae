// fit({ classWeight, sampleWeight }): one weight per training row, the product of the row's
// sample weight and its class's weight, as Keras multiplies them.
import { invalidArgument, invalidRange, invalidType, oneOf, typedArrayName } from './errors.js';
import type { ClassWeight } from './fit-types.js';
import type { LossName, Targets } from './losses.js';
import { argmaxRow } from './targets.js';

// Weights are float32 in the kernels: 1e39 would be Infinity there, so it is refused here, by name.
const WEIGHT = 'a finite number >= 0 (at most 3.4e38, float32)';
const isWeight = (w: unknown): w is number => typeof w === 'number' && w >= 0 && Number.isFinite(Math.fround(w));

/** Checks a per-row weight array: `rows` finite numbers >= 0, as float32. */
export function rowWeights(fn: string, name: string, value: unknown, rows: number): Float32Array {
  const isArray = Array.isArray(value) || (typedArrayName(value) !== undefined && typedArrayName(value) !== 'BigInt64Array');
  if (!isArray) throw invalidType(fn, name, 'an array of numbers, one per row', value);
  const given = value as ArrayLike<unknown>;
  if (given.length !== rows) throw invalidArgument(RangeError, fn, name, `${rows} weights (one per row)`, `${given.length}`);
  const out = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    const w = given[i];
    if (!isWeight(w)) throw invalidRange(fn, `${name}[${i}]`, WEIGHT, w);
    out[i] = w;
  }
  return out;
}

/** The class of every row, for a classifier (k classes): labels, the argmax of one-hot rows, or a sigmoid's 0/1. */
function rowClasses(targets: Targets, rows: number, loss: LossName, width: number): { classes: Int32Array; k: number } {
  const classes = new Int32Array(rows);
  if (targets.kind === 'labels') {
    classes.set(targets.data.subarray(0, rows));
    return { classes, k: width };
  }
  if (loss === 'crossEntropy') {
    for (let i = 0; i < rows; i++) classes[i] = argmaxRow(targets.data, i, width);
    return { classes, k: width };
  }
  for (let i = 0; i < rows; i++) classes[i] = (targets.data[i] as number) >= 0.5 ? 1 : 0;
  return { classes, k: 2 };
}

/**
 * The weight of each row's class. Keys of an object are class indices ('0', '1', …) or the
 * model's class names (preprocessing.classes); a class left out weighs 1. 'balanced' is
 * sklearn's n / (k · n_c) over the k classes present.
 */
export function classRowWeights(
  classWeight: ClassWeight,
  targets: Targets,
  rows: number,
  loss: LossName,
  width: number,
  classNames: readonly string[] | null,
): Float32Array {
  const fn = 'fit';
  if (loss !== 'binaryCrossEntropy' && loss !== 'crossEntropy')
    throw invalidArgument(
      TypeError,
      fn,
      'classWeight',
      'a classifier (binaryCrossEntropy or crossEntropy)',
      `a model compiled with ${loss}`,
    );
  if (loss === 'binaryCrossEntropy' && width !== 1)
    throw invalidArgument(RangeError, fn, 'classWeight', 'one class per row (a single sigmoid output)', `${width} sigmoid outputs`);
  const { classes, k } = rowClasses(targets, rows, loss, width);
  const perClass = new Float64Array(k).fill(1);
  if (classWeight === 'balanced') {
    const counts = new Float64Array(k);
    for (const c of classes) counts[c] = (counts[c] as number) + 1;
    const present = counts.filter((n) => n > 0).length;
    for (let c = 0; c < k; c++) if ((counts[c] as number) > 0) perClass[c] = rows / (present * (counts[c] as number));
  } else if (Array.isArray(classWeight)) {
    if (classWeight.length !== k)
      throw invalidArgument(RangeError, fn, 'classWeight', `${k} weights (one per class)`, `${classWeight.length}`);
    classWeight.forEach((w, c) => {
      perClass[c] = checkWeight(w, `classWeight[${c}]`);
    });
  } else if (classWeight !== null && typeof classWeight === 'object') {
    const names = classNames ?? [];
    const keys = [...Array.from({ length: k }, (_, c) => String(c)), ...names];
    for (const [key, w] of Object.entries(classWeight)) {
      const byName = names.indexOf(key);
      const index = byName >= 0 ? byName : /^\d+$/.test(key) && Number(key) < k ? Number(key) : -1;
      if (index < 0) throw oneOf(fn, 'classWeight key', keys, key);
      perClass[index] = checkWeight(w, `classWeight['${key}']`);
    }
  } else {
    throw invalidType(fn, 'classWeight', "{ [class]: weight }, an array of weights or 'balanced'", classWeight);
  }
  return Float32Array.from(classes, (c) => perClass[c] as number);
}

function checkWeight(w: unknown, name: string): number {
  if (!isWeight(w)) throw invalidRange('fit', name, WEIGHT, w);
  return w;
}
