// K-fold splits for `compare --folds`: the labelled rows are dealt into K
// folds once (by the seed; class by class for a classification, so every fold
// tests each class in about its share), and fold f's split tests on fold f and
// trains on the rest, less a seeded validation holdout for early stopping.
import { Random } from '../random.js';
import { UsageError } from './errors.js';
import type { LabelledRows, RowSplit } from './table-data.js';

/** The fold (0..k−1) of each labelled row, by position in `classes` (or of n rows for a regression). */
export function assignFolds(n: number, k: number, classes: Int32Array | null, random: Random): Int32Array {
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  random.shuffle(order);
  // Grouping the shuffled rows by class, then dealing them round-robin, keeps each class's
  // count per fold within one of the others and the fold sizes within one of each other.
  const dealt = classes === null ? Array.from(order) : Array.from(order).sort((a, b) => (classes[a] as number) - (classes[b] as number));
  const fold = new Int32Array(n);
  dealt.forEach((row, i) => {
    fold[row] = i % k;
  });
  return fold;
}

/** Refuses a fold count the rows cannot fill: more folds than rows, or than rows of the smallest class. */
export function checkFoldCount(k: number, n: number, classes: Int32Array | null, classNames: string[] | null): void {
  if (k > n) throw new UsageError(`--folds ${k} needs at least ${k} labelled rows, the data has ${n}`);
  if (classes === null) return;
  const counts = new Map<number, number>();
  for (const c of classes) counts.set(c, (counts.get(c) ?? 0) + 1);
  const [smallest, count] = [...counts].reduce((a, b) => (b[1] < a[1] ? b : a));
  if (count < k) {
    const name = classNames?.[smallest] ?? String(smallest);
    throw new UsageError(
      `--folds ${k}: the class '${name}' has ${count} labelled row${count === 1 ? '' : 's'}, fewer than the folds (each fold tests every class); ` +
        (count >= 2 ? `use --folds ${count} or fewer, or --seeds` : 'use --seeds instead'),
    );
  }
}

/** One fold's rows (record indices, as RowSplit wants) and the file lines it tests. */
export interface FoldSplit extends RowSplit {
  fold: number;
  testLines: number[];
}

/** K splits over the labelled rows: each tests one fold and trains on the others (a `validation` fraction of them held out). */
export function foldSplits(labelled: LabelledRows, k: number, validation: number, seed: number): FoldSplit[] {
  const n = labelled.records.length;
  checkFoldCount(k, n, labelled.classes, labelled.classNames);
  const random = new Random(seed);
  const fold = assignFolds(n, k, labelled.classes, random);
  return Array.from({ length: k }, (_, f) => {
    const test: number[] = [];
    const rest: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === f ? test : rest).push(i);
    const shuffled = Uint32Array.from(rest);
    random.shuffle(shuffled);
    const validationCount = Math.round(shuffled.length * validation);
    if (validationCount >= shuffled.length)
      throw new UsageError(`--validation ${validation} leaves no training rows out of the ${shuffled.length} outside fold ${f + 1}`);
    const records = (positions: ArrayLike<number>) => Array.from(positions, (i) => labelled.records[i] as number);
    return {
      fold: f,
      // Training rows in file order: the shuffle only picks the validation holdout, fit() shuffles batches itself.
      train: records(Array.from(shuffled.subarray(validationCount)).sort((a, b) => a - b)),
      validation: records(shuffled.subarray(0, validationCount)),
      test: records(test),
      testLines: test.map((i) => labelled.lines[i] as number),
    };
  });
}
