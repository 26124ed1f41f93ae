// From a DATA argument to training-ready splits: the built-in breast-cancer
// CSV, any CSV, IDX files, or the Debian Fashion-MNIST package; labels mapped
// to classes; rows shuffled by the seed into train/validation/test; and the
// standardisation fitted on the training split only.
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadIdxImages, loadIdxLabels } from '../io/idx.js';
import { applyStandardization, fitStandardization } from '../preprocess.js';
import { Random } from '../random.js';
import type { Matrix } from '../tensor.js';
import { readCsv } from './csv.js';
import { DataError, UsageError } from './errors.js';

export type OutputKind = 'sigmoid' | 'softmax' | 'linear';

/** Labels as the model takes them: class indices, or values for regression. */
export type Encoded = { kind: 'classes'; y: Int32Array } | { kind: 'values'; y: Float32Array };

export interface Split {
  x: Matrix;
  y: Encoded;
}

export interface PreparedData {
  name: string;
  features: string[];
  target: string;
  output: OutputKind;
  /** Class names by index (classification only). */
  classes: string[] | null;
  train: Split;
  validation: Split | null;
  test: Split | null;
  mean: Float32Array;
  std: Float32Array;
}

export const BUILTIN = fileURLToPath(new URL('../../data/breast_cancer.csv', import.meta.url));
export const FASHION_MNIST_DIR = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
// A numeric label column with at most this many distinct integers is taken as classes.
const MAX_INFERRED_CLASSES = 20;

/** Raw rows before splitting: features, labels, and where they came from. */
export interface RawData {
  name: string;
  features: string[];
  target: string;
  x: Matrix;
  labels: string[] | Int32Array;
  /** For errors about a row (CSV line numbers). */
  lines: Uint32Array | null;
  classes: string[] | null;
  /** A separate official test set (Fashion-MNIST's t10k), used instead of a random test split. */
  test: { x: Matrix; labels: Int32Array } | null;
}

export function isIdx(file: string): boolean {
  return /(\.idx|-ubyte)(\.gz)?$|\.idx\d-ubyte/.test(basename(file));
}

function idxLabelsFor(images: string): string {
  const guess = images.replace('images-idx3', 'labels-idx1');
  if (guess === images || !existsSync(guess)) {
    throw new UsageError(`cannot find the labels for ${images}: pass --labels FILE (an IDX labels file)`);
  }
  return guess;
}

function fashionFile(name: string): string {
  const file = join(FASHION_MNIST_DIR, name);
  if (!existsSync(file)) {
    throw new DataError(
      `Fashion-MNIST not found in ${FASHION_MNIST_DIR}: install it with \`apt-get install dataset-fashion-mnist\` (or set FASHION_MNIST_DIR)`,
    );
  }
  return file;
}

async function readIdxPair(images: string, labels: string): Promise<{ x: Matrix; labels: Int32Array }> {
  try {
    const [x, y] = await Promise.all([loadIdxImages(images), loadIdxLabels(labels)]);
    if (x.rows !== y.length) throw new DataError(`${images} has ${x.rows} images but ${labels} has ${y.length} labels`);
    return { x, labels: y };
  } catch (error) {
    if (error instanceof DataError) throw error;
    const e = error as NodeJS.ErrnoException;
    throw new DataError(e.code === 'ENOENT' ? `${e.path ?? images}: no such file` : e.message);
  }
}

const pixelNames = (n: number) => Array.from({ length: n }, (_, i) => `pixel${i}`);

/** Reads DATA (undefined: the built-in dataset) as raw features and labels. */
export async function readData(data: string | undefined, options: { target?: string; labels?: string }): Promise<RawData> {
  if (data === 'fashion-mnist') {
    const train = await readIdxPair(fashionFile('train-images-idx3-ubyte.gz'), fashionFile('train-labels-idx1-ubyte.gz'));
    const test = await readIdxPair(fashionFile('t10k-images-idx3-ubyte.gz'), fashionFile('t10k-labels-idx1-ubyte.gz'));
    return {
      name: 'fashion-mnist',
      features: pixelNames(train.x.cols),
      target: 'label',
      x: train.x,
      labels: train.labels,
      lines: null,
      classes: FASHION_CLASSES,
      test,
    };
  }
  const file = data ?? BUILTIN;
  if (isIdx(file)) {
    const pair = await readIdxPair(file, options.labels ?? idxLabelsFor(file));
    let max = 0;
    for (const v of pair.labels) max = Math.max(max, v);
    const classes = Array.from({ length: max + 1 }, (_, i) => String(i));
    return {
      name: basename(file),
      features: pixelNames(pair.x.cols),
      target: 'label',
      x: pair.x,
      labels: pair.labels,
      lines: null,
      classes,
      test: null,
    };
  }
  if (existsSync(file) && statSync(file).isDirectory()) throw new DataError(`${file}: is a directory, expected a CSV or IDX file`);
  const table = await readCsv(file, { ...(options.target !== undefined ? { target: options.target } : {}), requireTarget: true });
  return {
    name: data === undefined ? 'breast-cancer (built-in)' : basename(file),
    features: table.features,
    target: table.target as string,
    x: table.x,
    labels: table.labels as string[],
    lines: table.lines,
    classes: null,
    test: null,
  };
}

const isNumeral = (s: string) => s.trim() !== '' && Number.isFinite(Number(s));

/** Picks the output from the labels (unless given) and encodes them: string or few-integer labels are classes. */
export function encodeLabels(raw: RawData, output: OutputKind | undefined): { output: OutputKind; classes: string[] | null; y: Encoded } {
  if (raw.labels instanceof Int32Array) {
    const classes = raw.classes as string[];
    const kind = output ?? (classes.length === 2 ? 'sigmoid' : 'softmax');
    if (kind === 'linear') return { output: kind, classes: null, y: { kind: 'values', y: Float32Array.from(raw.labels) } };
    if (kind === 'sigmoid' && classes.length !== 2)
      throw new UsageError(`--output sigmoid needs 2 classes, the labels have ${classes.length}`);
    return { output: kind, classes, y: { kind: 'classes', y: raw.labels } };
  }
  const labels = raw.labels;
  const numeric = labels.every(isNumeral);
  const distinct = [...new Set(labels)];
  const fewIntegers = numeric && distinct.length <= MAX_INFERRED_CLASSES && distinct.every((s) => Number.isInteger(Number(s)));
  const kind = output ?? (!numeric || fewIntegers ? (distinct.length === 2 ? 'sigmoid' : 'softmax') : 'linear');
  if (kind === 'linear') {
    const bad = labels.findIndex((s) => !isNumeral(s));
    if (bad >= 0)
      throw new DataError(`${raw.name}: line ${raw.lines?.[bad] ?? bad}: the label '${labels[bad]}' is not a number (--output linear)`);
    return { output: kind, classes: null, y: { kind: 'values', y: Float32Array.from(labels, Number) } };
  }
  if (distinct.length < 2)
    throw new DataError(`${raw.name}: the label column '${raw.target}' has one value only (${distinct[0]}): nothing to classify`);
  if (kind === 'sigmoid' && distinct.length !== 2) {
    throw new UsageError(`--output sigmoid needs 2 classes, the label column '${raw.target}' has ${distinct.length}`);
  }
  const classes = numeric ? distinct.sort((a, b) => Number(a) - Number(b)) : distinct.sort();
  return { output: kind, classes, y: { kind: 'classes', y: indexLabels(labels, classes, raw.name, raw.lines) } };
}

/** Maps label cells to the indices of a saved model's classes; an unknown label names its line. */
export function indexLabels(labels: string[], classes: string[], name: string, lines: Uint32Array | null): Int32Array {
  const index = new Map(classes.map((c, i) => [c, i]));
  // A model trained on 0/1 labels read as "0"/"1" also accepts "0.0"/"1.0".
  const numericIndex = new Map(classes.filter(isNumeral).map((c) => [Number(c), index.get(c) as number]));
  return Int32Array.from(labels, (label, i) => {
    const k = index.get(label) ?? (isNumeral(label) ? numericIndex.get(Number(label)) : undefined);
    if (k === undefined)
      throw new DataError(`${name}: line ${lines?.[i] ?? i + 1}: unknown label '${label}' (the model knows ${classes.join(', ')})`);
    return k;
  });
}

function gather(x: Matrix, y: Encoded, rows: Uint32Array): Split {
  const cols = x.cols;
  const data = new Float32Array(rows.length * cols);
  rows.forEach((r, i) => {
    data.set(x.data.subarray(r * cols, (r + 1) * cols), i * cols);
  });
  const picked: Encoded =
    y.kind === 'classes'
      ? { kind: 'classes', y: Int32Array.from(rows, (r) => y.y[r] as number) }
      : { kind: 'values', y: Float32Array.from(rows, (r) => y.y[r] as number) };
  return { x: { rows: rows.length, cols, data }, y: picked };
}

function fraction(name: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0 && value < 1))
    throw new UsageError(`--${name} must be a fraction in [0, 1), received ${value}`);
  return value;
}

/** Shuffles by `seed`, holds out test then validation rows, and standardises all splits with the training statistics. */
export function prepare(
  raw: RawData,
  options: { output?: OutputKind; validation: number; test: number; seed: number; standardize?: boolean },
): PreparedData {
  const { output, classes, y } = encodeLabels(raw, options.output);
  const n = raw.x.rows;
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  new Random(options.seed).shuffle(order);
  const testCount = raw.test !== null ? 0 : Math.round(n * fraction('test', options.test));
  const validationCount = Math.round(n * fraction('validation', options.validation));
  const trainCount = n - testCount - validationCount;
  if (trainCount < 1)
    throw new UsageError(`--validation ${options.validation} and --test ${options.test} leave no training rows out of ${n}`);
  const train = gather(raw.x, y, order.subarray(0, trainCount));
  const validation = validationCount > 0 ? gather(raw.x, y, order.subarray(trainCount, trainCount + validationCount)) : null;
  let test = testCount > 0 ? gather(raw.x, y, order.subarray(trainCount + validationCount)) : null;
  if (raw.test !== null) {
    const testLabels: Encoded =
      output === 'linear' ? { kind: 'values', y: Float32Array.from(raw.test.labels) } : { kind: 'classes', y: raw.test.labels };
    test = { x: { ...raw.test.x, data: raw.test.x.data.slice() }, y: testLabels };
  }
  const { mean, std } = options.standardize === false ? identity(raw.x.cols) : fitStandardization(train.x);
  for (const split of [train, validation, test]) if (split !== null) applyStandardization(split.x, { mean, std });
  return { name: raw.name, features: raw.features, target: raw.target, output, classes, train, validation, test, mean, std };
}

function identity(cols: number): { mean: Float32Array; std: Float32Array } {
  return { mean: new Float32Array(cols), std: new Float32Array(cols).fill(1) };
}

/** The data flags train and compare share. */
export interface DataFlags {
  target?: string;
  labels?: string;
  output?: OutputKind;
  validation: number;
  test: number;
  seed: number;
}

/** readData then prepare, from the command-line flags. */
export async function loadPrepared(data: string | undefined, flags: DataFlags): Promise<PreparedData> {
  const raw = await readData(data, {
    ...(flags.target !== undefined ? { target: flags.target } : {}),
    ...(flags.labels !== undefined ? { labels: flags.labels } : {}),
  });
  return prepare(raw, {
    ...(flags.output !== undefined ? { output: flags.output } : {}),
    validation: flags.validation,
    test: flags.test,
    seed: flags.seed,
  });
}
