// Records at the model's edge: raw records in (a request body, CSV rows) through
// the model's saved preprocessing, outputs back as class names or values in the
// target's own units. The Model calls these; they never see the Model itself.
import { invalidType } from '../errors.js';
import { predictedClass } from '../targets.js';
import type { Matrix } from '../tensor.js';
import { cellOf, cellText, naLookup, numberOf, outsideFloat32 } from './cells.js';
import { DataError } from './data-error.js';
import { DEFAULT_NA, type Preprocessing, type TableRecord } from './spec.js';
import { checkRecords, encodeTable } from './tabular.js';

/** Whether x is records (objects keyed by column name) rather than rows of numbers or a Matrix. */
export function isRecords(x: unknown): x is readonly TableRecord[] {
  if (!Array.isArray(x) || x.length === 0) return false;
  const first: unknown = x[0];
  return typeof first === 'object' && first !== null && !Array.isArray(first) && !ArrayBuffer.isView(first);
}

/** The model's input (and labels, when the records carry the target) for records, by the saved preprocessing. */
export function recordsInput(
  pre: Preprocessing | null,
  records: readonly TableRecord[],
  inputs: number,
  fn: string,
  where: (row: number) => string = (i) => `${fn}: records[${i}]`,
): { x: Matrix; y: Int32Array | Float32Array | null; rows: Uint32Array } {
  checkRecords(records, fn);
  if (pre?.tabular !== undefined) {
    const encoded = encodeTable(pre.tabular, records, where);
    return { x: encoded.x, y: encoded.y, rows: encoded.rows };
  }
  const features = pre?.features;
  if (features === undefined)
    throw new TypeError(
      `${fn}: records need model.preprocessing with a column spec or feature names; give a Matrix or rows of numbers instead`,
    );
  // The numeric-only form: each feature a number, then its standardisation.
  const na = naLookup(DEFAULT_NA);
  const data = new Float32Array(records.length * inputs);
  records.forEach((record, i) => {
    features.forEach((name, j) => {
      const cell = cellOf(record, name);
      const text = cellText(cell, na);
      if (text === null) throw new DataError(`${where(i)}: no value for '${name}' (this model was saved without imputation)`);
      const v = typeof cell === 'number' ? cell : numberOf(text, false);
      if (!Number.isFinite(v) || outsideFloat32(v))
        throw new DataError(`${where(i)}, column '${name}': expected a number, found '${text}'`);
      data[i * inputs + j] = pre?.mean !== undefined && pre.std !== undefined ? (v - (pre.mean[j] as number)) / (pre.std[j] as number) : v;
    });
  });
  return { x: { rows: records.length, cols: inputs, data }, y: null, rows: Uint32Array.from(records.keys()) };
}

/** A regression model's outputs in the target's units (its spec standardised the target for training), in place. */
export function inTargetUnits(pre: Preprocessing | null, out: Matrix): Matrix {
  const target = pre?.tabular?.target;
  if (target?.kind === 'values') for (let i = 0; i < out.data.length; i++) out.data[i] = (out.data[i] as number) * target.std + target.mean;
  return out;
}

/** An evaluation's mae and rmse in the target's units (its spec standardised the target; r2 does not depend on units), in place. */
export function errorsInTargetUnits<E extends { mae?: number; rmse?: number }>(pre: Preprocessing | null, evaluation: E): E {
  const target = pre?.tabular?.target;
  if (target?.kind === 'values' && evaluation.mae !== undefined && evaluation.rmse !== undefined) {
    evaluation.mae *= target.std;
    evaluation.rmse *= target.std;
  }
  return evaluation;
}

/** Class names by output index: the saved ones, else '0', '1', …. */
export function classNames(pre: Preprocessing | null, outputWidth: number): string[] {
  return pre?.classes ?? Array.from({ length: outputWidth === 1 ? 2 : outputWidth }, (_, i) => String(i));
}

/** The predicted class name of each row of outputs (p ≥ 0.5 picks the second of two classes). */
export function predictedNames(pre: Preprocessing | null, out: Matrix): string[] {
  const names = classNames(pre, out.cols);
  return Array.from({ length: out.rows }, (_, i) => names[predictedClass(out.data, i, out.cols)] as string);
}

/** Each row's probabilities per class: [1 − p, p] for one sigmoid output. */
export function classProbabilities(out: Matrix, row: number): number[] {
  if (out.cols === 1) return [1 - (out.data[row] as number), out.data[row] as number];
  return Array.from(out.data.subarray(row * out.cols, (row + 1) * out.cols));
}

/** Regression figures over all outputs: R² (1 − SSE/SST), mean absolute and root-mean-square error. */
export function regressionMetrics(predicted: Float32Array, actual: ArrayLike<number>): { r2: number; mae: number; rmse: number } {
  if (predicted.length !== actual.length) throw invalidType('regressionMetrics', 'actual', `${predicted.length} values`, actual);
  let mean = 0;
  for (let i = 0; i < actual.length; i++) mean += actual[i] as number;
  mean /= Math.max(1, actual.length);
  let sse = 0;
  let sst = 0;
  let absolute = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = (predicted[i] as number) - (actual[i] as number);
    sse += e * e;
    absolute += Math.abs(e);
    sst += ((actual[i] as number) - mean) ** 2;
  }
  const n = Math.max(1, actual.length);
  return { r2: sst > 0 ? 1 - sse / sst : sse === 0 ? 1 : 0, mae: absolute / n, rmse: Math.sqrt(sse / n) };
}
