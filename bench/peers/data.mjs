// The workloads' data, loaded once per child process: Fashion-MNIST from the Debian package
// dataset-fashion-mnist (pixels /255 as dn.loadIdxImages gives), breast cancer from dn.breastCancer().
import { existsSync } from 'node:fs';
import { breastCancer, loadIdxImages, loadIdxLabels } from '../../dist/index.js';

export const FASHION_MNIST_DIR = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';

export function fashionMnistMissing() {
  return existsSync(`${FASHION_MNIST_DIR}/train-images-idx3-ubyte.gz`)
    ? null
    : `Fashion-MNIST not found in ${FASHION_MNIST_DIR}; install it with \`apt-get install dataset-fashion-mnist\``;
}

function head(x, y, rows) {
  const n = rows === null ? x.rows : Math.min(rows, x.rows);
  return [{ rows: n, cols: x.cols, data: x.data.subarray(0, n * x.cols) }, y.subarray(0, n)];
}

/** { xTrain, yTrain, xTest, yTest }: Matrix + Int32Array; `rows` caps both splits (smoke runs). */
export async function loadData(name, rows) {
  let xTrain;
  let yTrain;
  let xTest;
  let yTest;
  if (name === 'fmnist') {
    const dir = FASHION_MNIST_DIR;
    [xTrain, yTrain, xTest, yTest] = await Promise.all([
      loadIdxImages(`${dir}/train-images-idx3-ubyte.gz`),
      loadIdxLabels(`${dir}/train-labels-idx1-ubyte.gz`),
      loadIdxImages(`${dir}/t10k-images-idx3-ubyte.gz`),
      loadIdxLabels(`${dir}/t10k-labels-idx1-ubyte.gz`),
    ]);
  } else {
    ({ xTrain, yTrain, xTest, yTest } = breastCancer());
  }
  [xTrain, yTrain] = head(xTrain, yTrain, rows);
  [xTest, yTest] = head(xTest, yTest, rows);
  return { xTrain, yTrain, xTest, yTest };
}

/** The first `rows` rows (wrapping around when the data is shorter), for timing a fixed number of batches. */
export function firstRows(x, y, rows) {
  if (rows <= x.rows) return [{ rows, cols: x.cols, data: x.data.subarray(0, rows * x.cols) }, y.subarray(0, rows)];
  const data = new Float32Array(rows * x.cols);
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const source = i % x.rows;
    data.set(x.data.subarray(source * x.cols, (source + 1) * x.cols), i * x.cols);
    labels[i] = y[source];
  }
  return [{ rows, cols: x.cols, data }, labels];
}

/** Share of rows whose predicted class (argmax, or p > 0.5 for one output) matches the label. */
export function accuracyOf(probs, outputs, labels) {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    let predicted;
    if (outputs === 1) predicted = probs[i] > 0.5 ? 1 : 0;
    else {
      predicted = 0;
      for (let j = 1; j < outputs; j++) if (probs[i * outputs + j] > probs[i * outputs + predicted]) predicted = j;
    }
    if (predicted === labels[i]) correct++;
  }
  return correct / labels.length;
}
