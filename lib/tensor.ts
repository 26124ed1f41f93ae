// Matrix: the one data type of the public API. Row-major float32, one sample
// per row. Inputs are checked here once, so errors name the row and column.
import { invalidArgument, invalidRange, invalidType } from './errors.js';

/** A row-major rows×cols matrix of float32 values (one sample per row). */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

/** What the API accepts as a matrix: a Matrix (used without copying) or rows of numbers. */
export type MatrixLike = Matrix | ArrayLike<ArrayLike<number>>;

/**
 * Makes a Matrix. With a Float32Array the data is used as is (no copy); a number[][] is copied.
 * `dn.matrix(rows, cols, data?)` or `dn.matrix([[…], […]])`.
 */
export function matrix(rows: number, cols: number, data?: Float32Array): Matrix;
export function matrix(values: ArrayLike<ArrayLike<number>>): Matrix;
export function matrix(a: number | ArrayLike<ArrayLike<number>>, cols?: number, data?: Float32Array): Matrix {
  if (typeof a !== 'number') return toMatrix(a, 'values');
  const rows = a;
  for (const [name, v] of [
    ['rows', rows],
    ['cols', cols],
  ] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
      throw invalidArgument(RangeError, 'matrix', name, 'an integer >= 0', String(v));
  }
  const c = cols as number;
  const values = data ?? new Float32Array(rows * c);
  if (!(values instanceof Float32Array)) throw invalidType('matrix', 'data', 'a Float32Array', values);
  if (values.length !== rows * c) {
    throw invalidArgument(RangeError, 'matrix', 'data', `${rows * c} elements (${rows}×${c})`, `length ${values.length}`);
  }
  return { rows, cols: c, data: values };
}

function isMatrix(value: unknown): value is Matrix {
  return typeof value === 'object' && value !== null && 'data' in value && 'rows' in value && 'cols' in value;
}

/** Converts and checks an input: every value finite, every row the same width. `name` is used in errors. */
export function toMatrix(value: unknown, name: string, expectedCols?: number): Matrix {
  let m: Matrix;
  if (isMatrix(value)) {
    m = matrix(value.rows, value.cols, value.data);
  } else if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const rows = value as ArrayLike<ArrayLike<number>>;
    const cols = rows.length > 0 ? (rows[0]?.length ?? 0) : (expectedCols ?? 0);
    const data = new Float32Array(rows.length * cols);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      if (row === null || typeof row !== 'object' || typeof row.length !== 'number') {
        throw new TypeError(`${name}: row ${i} is ${row === null ? 'null' : typeof row}, expected an array of numbers`);
      }
      if (row.length !== cols) throw new RangeError(`${name}: row ${i} has ${row.length} values, expected ${cols} like row 0`);
      for (let j = 0; j < cols; j++) {
        const v = row[j];
        if (typeof v !== 'number') throw new TypeError(`${name}: row ${i}, column ${j} is ${typeof v}, expected a number`);
        data[i * cols + j] = v;
      }
    }
    m = { rows: rows.length, cols, data };
  } else {
    throw invalidType(name, name, 'a Matrix or an array of rows', value);
  }
  if (expectedCols !== undefined && m.cols !== expectedCols) {
    throw invalidRange(name, name, `${expectedCols} columns`, m.cols);
  }
  return m;
}

/** Throws naming the row and column of the first NaN or ±Infinity, using the backend's fast scan. */
export function checkFinite(m: Matrix, name: string, findNonFinite: (count: number, x: Float32Array) => number): void {
  const at = findNonFinite(m.rows * m.cols, m.data);
  if (at >= 0) {
    const row = Math.floor(at / m.cols);
    throw new RangeError(`${name}: row ${row}, column ${at - row * m.cols} is ${m.data[at]}; every value must be finite`);
  }
}
