// Argument checks for the public kernels, run before either backend sees the
// call. The native binding re-checks the same things (it must never crash);
// checking here too gives the JS backend, which would silently read
// `undefined` past an array's end, the same errors.
import { invalidArgument, invalidRange, invalidType } from '../errors.js';
import type { GemmEpilogue } from './backend.js';

const MAX_DIM = 2 ** 31 - 1;

function checkBool(fn: string, name: string, value: unknown): void {
  if (typeof value !== 'boolean') throw invalidType(fn, name, 'a boolean', value);
}

function checkSize(fn: string, name: string, value: unknown, min = 0): number {
  const expected = `an integer >= ${min}`;
  if (typeof value !== 'number') throw invalidType(fn, name, expected, value);
  if (!Number.isInteger(value) || value < min || value > MAX_DIM) {
    throw invalidRange(fn, name, `${expected} and <= ${MAX_DIM}`, value);
  }
  return value;
}

function checkScalar(fn: string, name: string, value: unknown): void {
  if (typeof value !== 'number') throw invalidType(fn, name, 'a finite number', value);
  if (!Number.isFinite(value)) throw invalidRange(fn, name, 'a finite number', value);
}

// Node 20 has no ArrayBuffer.prototype.detached; a detached buffer refuses new views.
function isDetached(array: Float32Array): boolean {
  if (array.buffer instanceof SharedArrayBuffer) return false;
  try {
    new Uint8Array(array.buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

function checkFloats(fn: string, name: string, value: unknown, need: number): Float32Array {
  if (!(value instanceof Float32Array)) throw invalidType(fn, name, 'a Float32Array', value);
  if (value.length < need) {
    if (isDetached(value)) throw invalidArgument(TypeError, fn, name, 'a Float32Array', 'a Float32Array on a detached ArrayBuffer');
    throw invalidArgument(RangeError, fn, name, `a Float32Array of at least ${need} elements`, `length ${value.length}`);
  }
  return value;
}

function checkLeading(fn: string, name: string, value: unknown, cols: number, colsName: string): number {
  const ld = checkSize(fn, name, value, 1);
  if (ld < cols) throw invalidRange(fn, name, `an integer >= ${colsName} (${cols})`, ld);
  return ld;
}

/** Elements spanned by a rows×cols row-major view with leading dimension ld. */
function span(rows: number, cols: number, ld: number): number {
  return rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
}

function checkDisjoint(fn: string, out: string, c: Float32Array, nc: number, other: string, x: Float32Array, nx: number): void {
  if (nc === 0 || nx === 0 || c.buffer !== x.buffer) return;
  const c0 = c.byteOffset;
  const x0 = x.byteOffset;
  if (c0 < x0 + 4 * nx && x0 < c0 + 4 * nc) throw new RangeError(`${fn}: ${out} must not overlap ${other}`);
}

/** Throws a TypeError/RangeError naming the first bad argument of a gemm call. */
export function checkGemm(
  transA: unknown,
  transB: unknown,
  m: unknown,
  n: unknown,
  k: unknown,
  alpha: unknown,
  A: unknown,
  lda: unknown,
  B: unknown,
  ldb: unknown,
  beta: unknown,
  C: unknown,
  ldc: unknown,
  epilogue: GemmEpilogue | undefined,
): void {
  const fn = 'gemm';
  checkBool(fn, 'transA', transA);
  checkBool(fn, 'transB', transB);
  const rows = checkSize(fn, 'm', m);
  const cols = checkSize(fn, 'n', n);
  const depth = checkSize(fn, 'k', k);
  checkScalar(fn, 'alpha', alpha);
  const [aRows, aCols] = transA ? [depth, rows] : [rows, depth];
  const [bRows, bCols] = transB ? [cols, depth] : [depth, cols];
  const ldA = checkLeading(fn, 'lda', lda, aCols, transA ? 'm' : 'k');
  const ldB = checkLeading(fn, 'ldb', ldb, bCols, transB ? 'k' : 'n');
  checkScalar(fn, 'beta', beta);
  const ldC = checkLeading(fn, 'ldc', ldc, cols, 'n');
  const needA = span(aRows, aCols, ldA);
  const needB = span(bRows, bCols, ldB);
  const needC = span(rows, cols, ldC);
  const a = checkFloats(fn, 'A', A, needA);
  const b = checkFloats(fn, 'B', B, needB);
  const c = checkFloats(fn, 'C', C, needC);
  if (epilogue !== undefined) {
    if (typeof epilogue !== 'object' || epilogue === null) throw invalidType(fn, 'epilogue', 'an object', epilogue);
    const { bias, activation } = epilogue;
    if (bias !== undefined && bias !== null) {
      checkDisjoint(fn, 'C', c, needC, 'bias', checkFloats(fn, 'bias', bias, cols), cols);
    }
    if (activation !== undefined && activation !== 'none' && activation !== 'relu') {
      throw invalidType(fn, 'activation', "'none' or 'relu'", activation);
    }
  }
  checkDisjoint(fn, 'C', c, needC, 'A', a, needA);
  checkDisjoint(fn, 'C', c, needC, 'B', b, needB);
}

/** Throws unless n is a thread count in [1, 256]. */
export function checkThreads(n: unknown): number {
  const count = checkSize('setThreads', 'n', n, 1);
  if (count > 256) throw invalidRange('setThreads', 'n', 'an integer in [1, 256]', count);
  return count;
}
