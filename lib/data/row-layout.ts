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
  /** Runs of features stored as they are: (from in the stored row, into the model row, length) triples. */
  dense: Int32Array;
  /** One-hot blocks: (at in the stored row, into the model row, width) triples. */
  onehot: Int32Array;
}

export function rowLayout(spec: TabularSpec): RowLayout {
  const dense: number[] = [];
  const onehot: number[] = [];
  let into = 0;
  let at = 0;
  for (const column of inputColumns(spec)) {
    const width = columnFeatures(column).length;
    if (column.kind === 'categorical') {
      onehot.push(at, into, width);
      at += 1;
    } else {
      const last = dense.length - 3;
      // Next to the previous run in both rows: one longer run.
      if (last >= 0 && dense[last] + dense[last + 2] === at && dense[last + 1] + dense[last + 2] === into) dense[last + 2] += width;
      else dense.push(at, into, width);
      at += width;
    }
    into += width;
  }
  return {
    cols: into,
    stride: at + 1,
    target: spec.target?.kind === 'values' ? 'values' : 'classes',
    dense: Int32Array.from(dense),
    onehot: Int32Array.from(onehot),
  };
}

/** Rows of model features x (rows × cols) and targets y as stored rows (rows × stride). */
export function storedRows(layout: RowLayout, x: Float32Array, y: ArrayLike<number>, rows: number): Float32Array {
  const { cols, stride, dense, onehot } = layout;
  const out = new Float32Array(rows * stride);
  for (let r = 0; r < rows; r++) {
    const from = r * cols;
    const to = r * stride;
    for (let d = 0; d < dense.length; d += 3)
      out.set(
        x.subarray(from + (dense[d + 1] as number), from + (dense[d + 1] as number) + (dense[d + 2] as number)),
        to + (dense[d] as number),
      );
    for (let h = 0; h < onehot.length; h += 3) {
      const start = from + (onehot[h + 1] as number);
      let k = 0;
      while (k < (onehot[h + 2] as number) && x[start + k] !== 1) k++;
      out[to + (onehot[h] as number)] = k;
    }
    out[to + stride - 1] = y[r] as number;
  }
  return out;
}

// A run shorter than this is copied by a loop: a subarray for set() costs more than the copy.
const SHORT_RUN = 48;

/** Writes stored row r of `source` as model features into out[row · cols …], which must be zero. */
export function expandRow(layout: RowLayout, source: Float32Array, r: number, out: Float32Array, row: number): void {
  const { cols, stride, dense, onehot } = layout;
  const from = r * stride;
  const to = row * cols;
  for (let d = 0; d < dense.length; d += 3) {
    const at = from + (dense[d] as number);
    const into = to + (dense[d + 1] as number);
    const n = dense[d + 2] as number;
    if (n < SHORT_RUN) for (let j = 0; j < n; j++) out[into + j] = source[at + j] as number;
    else out.set(source.subarray(at, at + n), into);
  }
  for (let h = 0; h < onehot.length; h += 3) out[to + (onehot[h + 1] as number) + (source[from + (onehot[h] as number)] as number)] = 1;
}
