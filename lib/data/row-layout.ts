// How an encoded row is stored in the disk cache: each categorical column's one-hot block as the
// index of its one 1, every other feature as it is, then the target. Expanded again as batches are
// built. One-hot blocks are most of a wide table's features (169 features were 27 stored floats
// on the bench's table), so the cache and every epoch's reads shrink by that much.
import { columnFeatures, inputColumns, type TabularSpec } from './spec.js';

export interface RowLayout {
  /** Features per model row (one-hot blocks expanded). */
  cols: number;
  /** Floats per stored row, the target last. */
  stride: number;
  /** Class indices (Int32Array batches) or regression values (Float32Array). */
  target: 'classes' | 'values';
  /**
   * (at in the stored row, into the model row, n) triples, as the expandRows kernel reads them:
   * n > 0 is a run of n features stored as they are, n < 0 a one-hot block of width −n stored
   * as the index of its 1 (the width itself for a row with no level).
   */
  parts: Int32Array;
}

export function rowLayout(spec: TabularSpec): RowLayout {
  const parts: number[] = [];
  let into = 0;
  let at = 0;
  for (const column of inputColumns(spec)) {
    const width = columnFeatures(column).length;
    const last = parts.length - 3;
    if (column.kind === 'categorical') {
      parts.push(at, into, -width);
      at += 1;
    } else if (last >= 0 && (parts[last + 2] as number) > 0) {
      // The last part a run: it ends here in both rows (only a one-hot block moves them apart), so it grows.
      parts[last + 2] = (parts[last + 2] as number) + width;
      at += width;
    } else {
      parts.push(at, into, width);
      at += width;
    }
    into += width;
  }
  return { cols: into, stride: at + 1, target: spec.target?.kind === 'values' ? 'values' : 'classes', parts: Int32Array.from(parts) };
}

/** Rows of model features x (rows × cols) and targets y as stored rows (rows × stride). */
export function storedRows(layout: RowLayout, x: Float32Array, y: ArrayLike<number>, rows: number): Float32Array {
  const { cols, stride, parts } = layout;
  const out = new Float32Array(rows * stride);
  for (let r = 0; r < rows; r++) {
    const from = r * cols;
    const to = r * stride;
    for (let p = 0; p < parts.length; p += 3) {
      const at = to + (parts[p] as number);
      const start = from + (parts[p + 1] as number);
      const n = parts[p + 2] as number;
      if (n > 0) {
        out.set(x.subarray(start, start + n), at);
        continue;
      }
      let k = 0;
      while (k < -n && x[start + k] !== 1) k++;
      out[at] = k;
    }
    out[to + stride - 1] = y[r] as number;
  }
  return out;
}
