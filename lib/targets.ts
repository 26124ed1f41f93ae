// Labels as the user gives them (class indices, 0/1 values or a matrix) turned
// into the form the loss kernels take, checked against the model's output.
import { type LossName, REGRESSION_LOSSES, type Targets } from './losses.js';
import { checkFinite, type MatrixLike, toMatrix } from './tensor.js';

/** What fit/evaluate accept as labels. */
export type LabelsLike = ArrayLike<number> | Int32Array | MatrixLike;

function isFlat(y: unknown): y is ArrayLike<number> {
  if (y instanceof Int32Array || y instanceof Float32Array || y instanceof Float64Array || y instanceof Uint8Array) return true;
  return Array.isArray(y) && (y.length === 0 || typeof y[0] === 'number');
}

/** Checks y against `rows` samples and the output width, and converts it for `loss`. */
export function toTargets(
  y: unknown,
  rows: number,
  loss: LossName,
  outputWidth: number,
  findNonFinite: (count: number, x: Float32Array) => number,
  name = 'y',
): Targets {
  if (Array.isArray(y) && typeof y[0] === 'string') {
    throw new TypeError(
      `${name}: the labels are strings ('${String(y[0]).slice(0, 20)}'); give class indices 0..k−1, or let dn.tabular(records, { target }) map them`,
    );
  }
  if (isFlat(y)) {
    if (y.length !== rows) throw new RangeError(`${name}: expected ${rows} labels (one per row of x), received ${y.length}`);
    if (loss === 'crossEntropy') {
      const labels = new Int32Array(rows);
      for (let i = 0; i < rows; i++) {
        const v = y[i] as number;
        if (!Number.isInteger(v) || v < 0 || v >= outputWidth) {
          throw new RangeError(`${name}: row ${i} is ${v}; class labels must be integers in [0, ${outputWidth})`);
        }
        labels[i] = v;
      }
      return { kind: 'labels', data: labels };
    }
    if (outputWidth !== 1)
      throw new RangeError(`${name}: one value per row fits a model with 1 output; this one has ${outputWidth}, so give a matrix`);
    const data = Float32Array.from(y as ArrayLike<number>);
    checkFinite({ rows, cols: 1, data }, name, findNonFinite);
    if (loss === 'binaryCrossEntropy') checkProbabilities(data, 1, name);
    return { kind: 'matrix', cols: 1, data };
  }
  const m = toMatrix(y, name);
  if (m.rows !== rows) throw new RangeError(`${name}: expected ${rows} rows (one per row of x), received ${m.rows}`);
  if (m.cols !== outputWidth) throw new RangeError(`${name}: expected ${outputWidth} columns (the model's outputs), received ${m.cols}`);
  checkFinite(m, name, findNonFinite);
  if (!REGRESSION_LOSSES.includes(loss)) checkProbabilities(m.data, m.cols, name);
  return { kind: 'matrix', cols: m.cols, data: m.data };
}

function checkProbabilities(data: Float32Array, cols: number, name: string): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (v < 0 || v > 1) {
      const row = Math.floor(i / cols);
      throw new RangeError(`${name}: row ${row}, column ${i - row * cols} is ${v}; targets of a cross-entropy must be in [0, 1]`);
    }
  }
}

/** Copies the rows `order[start..start+batch)` of targets into `out` (same kind). */
export function gatherTargets(targets: Targets, order: Uint32Array, start: number, batch: number, out: Targets): void {
  if (targets.kind === 'labels') {
    const dst = out.data as Int32Array;
    for (let i = 0; i < batch; i++) dst[i] = targets.data[order[start + i] as number] as number;
    return;
  }
  const cols = targets.cols;
  const dst = out.data as Float32Array;
  for (let i = 0; i < batch; i++) {
    const from = (order[start + i] as number) * cols;
    dst.set(targets.data.subarray(from, from + cols), i * cols);
  }
}

/** Index of the largest of values[row·width .. row·width + width) (the first one on a tie). */
export function argmaxRow(values: ArrayLike<number>, row: number, width: number): number {
  const base = row * width;
  let best = 0;
  for (let j = 1; j < width; j++) if ((values[base + j] as number) > (values[base + best] as number)) best = j;
  return best;
}

/** The class a row of outputs predicts: argmax for several outputs, p ≥ 0.5 for one sigmoid output. */
export function predictedClass(probs: ArrayLike<number>, row: number, width: number): number {
  return width === 1 ? ((probs[row] as number) >= 0.5 ? 1 : 0) : argmaxRow(probs, row, width);
}

/** Correct predictions among `batch` rows of probabilities: argmax for several classes, p ≥ 0.5 per output otherwise. */
export function countCorrect(
  loss: LossName,
  probs: Float32Array,
  batch: number,
  width: number,
  targets: Targets,
  offset: number,
): { correct: number; total: number } {
  let correct = 0;
  if (targets.kind === 'labels' || (loss === 'crossEntropy' && width > 1)) {
    for (let i = 0; i < batch; i++) {
      const label = targets.kind === 'labels' ? (targets.data[offset + i] as number) : argmaxRow(targets.data, offset + i, width);
      if (argmaxRow(probs, i, width) === label) correct++;
    }
    return { correct, total: batch };
  }
  const t = targets.data;
  for (let i = 0; i < batch * width; i++) if ((probs[i] as number) >= 0.5 === (t[offset * width + i] as number) >= 0.5) correct++;
  return { correct, total: batch * width };
}
