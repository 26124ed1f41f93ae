// The built-in dataset: Wisconsin breast cancer (569 × 30, benign/malignant,
// CC BY 4.0, see data/README.md), split and standardised for training.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { invalidRange } from './errors.js';
import { applyStandardization, fitStandardization } from './preprocess.js';
import { Random } from './random.js';
import type { Matrix } from './tensor.js';

/** A train/test split with the standardisation fitted on the training rows. */
export interface Dataset {
  xTrain: Matrix;
  yTrain: Int32Array;
  xTest: Matrix;
  yTest: Int32Array;
  featureNames: string[];
  classNames: string[];
  /** Per-feature mean and standard deviation of the training rows (x' = (x − mean)/std). */
  mean: Float32Array;
  std: Float32Array;
}

// lib/ and dist/ both sit one level below the package root, beside data/.
const file = fileURLToPath(new URL('../data/breast_cancer.csv', import.meta.url));

/** The breast-cancer data: label 1 = malignant; shuffled by `seed`, `testFraction` held out (default 0.2, seed 7). */
export function breastCancer(options: { testFraction?: number; seed?: number } = {}): Dataset {
  const testFraction = options.testFraction ?? 0.2;
  if (!(testFraction > 0 && testFraction < 1)) throw invalidRange('breastCancer', 'testFraction', 'a number in (0, 1)', testFraction);
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split(/\r?\n/);
  const featureNames = (header as string).split(',').slice(0, -1);
  const cols = featureNames.length;
  const order = Uint32Array.from(lines, (_, i) => i);
  new Random(options.seed ?? 7).shuffle(order);
  const x = new Float32Array(lines.length * cols);
  const y = new Int32Array(lines.length);
  order.forEach((source, row) => {
    const cells = (lines[source] as string).split(',');
    for (let j = 0; j < cols; j++) x[row * cols + j] = Number(cells[j]);
    y[row] = cells[cols] === 'malignant' ? 1 : 0;
  });
  const testRows = Math.round(lines.length * testFraction);
  const trainRows = lines.length - testRows;
  const all = { rows: lines.length, cols, data: x };
  const { mean, std } = fitStandardization(all, trainRows);
  applyStandardization(all, { mean, std });
  return {
    xTrain: { rows: trainRows, cols, data: x.subarray(0, trainRows * cols) },
    yTrain: y.subarray(0, trainRows),
    xTest: { rows: testRows, cols, data: x.subarray(trainRows * cols) },
    yTest: y.subarray(trainRows),
    featureNames,
    classNames: ['benign', 'malignant'],
    mean,
    std,
  };
}
