// From a DATA argument to training-ready splits: a CSV (the built-in
// breast-cancer data by default) goes through the column spec (table-data.ts);
// IDX files and the Debian Fashion-MNIST package are pixels and labels,
// shuffled by the seed into train/validation/test and standardised with the
// training split's statistics only.
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Preprocessing } from '../data/spec.js';
import { loadIdxImages, loadIdxLabels } from '../io/idx.js';
import { applyStandardization, fitStandardization } from '../preprocess.js';
import { Random } from '../random.js';
import type { Matrix } from '../tensor.js';
import { DataError, UsageError } from './errors.js';
import type { Encoded, OutputKind, PreparedData, Split } from './prepared.js';
import { type ColumnFlags, prepareCsv } from './table-data.js';

export type { Encoded, OutputKind, PreparedData, Split } from './prepared.js';

export const BUILTIN = fileURLToPath(new URL('../../data/breast_cancer.csv', import.meta.url));
export const FASHION_MNIST_DIR = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** IDX images before splitting: pixels, labels, the class names, and an official test set if there is one. */
export interface RawData {
  name: string;
  features: string[];
  target: string;
  x: Matrix;
  labels: Int32Array;
  classes: string[];
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

/** Reads IDX images (a file, its labels found by name or given) or 'fashion-mnist'. */
export async function readIdxData(data: string, options: { labels?: string }): Promise<RawData> {
  if (data === 'fashion-mnist') {
    const train = await readIdxPair(fashionFile('train-images-idx3-ubyte.gz'), fashionFile('train-labels-idx1-ubyte.gz'));
    const test = await readIdxPair(fashionFile('t10k-images-idx3-ubyte.gz'), fashionFile('t10k-labels-idx1-ubyte.gz'));
    const features = pixelNames(train.x.cols);
    return { name: 'fashion-mnist', features, target: 'label', x: train.x, labels: train.labels, classes: FASHION_CLASSES, test };
  }
  const pair = await readIdxPair(data, options.labels ?? idxLabelsFor(data));
  let max = 0;
  for (const v of pair.labels) max = Math.max(max, v);
  const classes = Array.from({ length: max + 1 }, (_, i) => String(i));
  return { name: basename(data), features: pixelNames(pair.x.cols), target: 'label', x: pair.x, labels: pair.labels, classes, test: null };
}

/** Picks the output from the classes (unless given) and encodes the labels. */
function encodeLabels(raw: RawData, output: OutputKind | undefined): { output: OutputKind; classes: string[] | null; y: Encoded } {
  const classes = raw.classes;
  const kind = output ?? (classes.length === 2 ? 'sigmoid' : 'softmax');
  if (kind === 'linear') return { output: kind, classes: null, y: { kind: 'values', y: Float32Array.from(raw.labels) } };
  if (kind === 'sigmoid' && classes.length !== 2)
    throw new UsageError(`--output sigmoid needs 2 classes, the labels have ${classes.length}`);
  return { output: kind, classes, y: { kind: 'classes', y: raw.labels } };
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
export function prepareIdx(raw: RawData, options: { output?: OutputKind; validation: number; test: number; seed: number }): PreparedData {
  const { output, classes, y } = encodeLabels(raw, options.output);
  const n = raw.x.rows;
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  new Random(options.seed).shuffle(order);
  const testCount = raw.test !== null ? 0 : Math.round(n * options.test);
  const validationCount = Math.round(n * options.validation);
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
  const { mean, std } = fitStandardization(train.x);
  for (const split of [train, validation, test]) if (split !== null) applyStandardization(split.x, { mean, std });
  const preprocessing: Preprocessing = {
    features: raw.features,
    target: raw.target,
    mean: Array.from(mean),
    std: Array.from(std),
    ...(classes !== null ? { classes } : {}),
  };
  return {
    ...{ name: raw.name, features: raw.features, target: raw.target, output, classes, train, validation, test },
    ...{ preprocessing, notices: [], droppedRows: 0, rawColumns: raw.x.cols },
  };
}

/** The data flags train and compare share. */
export interface DataFlags extends ColumnFlags {
  target?: string;
  labels?: string;
  output?: OutputKind;
  validation: number;
  test: number;
  seed: number;
}

/** Reads and prepares DATA (undefined: the built-in dataset) from the command-line flags. */
export async function loadPrepared(data: string | undefined, flags: DataFlags): Promise<PreparedData> {
  fraction('test', flags.test);
  fraction('validation', flags.validation);
  const output = flags.output !== undefined ? { output: flags.output } : {};
  if (data === 'fashion-mnist' || (data !== undefined && isIdx(data))) {
    const raw = await readIdxData(data, flags.labels !== undefined ? { labels: flags.labels } : {});
    return prepareIdx(raw, { ...output, validation: flags.validation, test: flags.test, seed: flags.seed });
  }
  const file = data ?? BUILTIN;
  if (existsSync(file) && statSync(file).isDirectory()) throw new DataError(`${file}: is a directory, expected a CSV or IDX file`);
  return prepareCsv(file, data === undefined ? 'breast-cancer (built-in)' : basename(file), flags);
}
