// expandRows (see binding.d.ts for the math), and the two data errors both backends raise in it
// (the bad row index in the gathers too).
import { describe, invalidArgument } from '../../errors.js';
import type { FloatArray } from './gemm.js';

/** An index past the rows of src, as every row gather (expandRows, gatherRows, gatherRowsAhead) reports it. */
export function badRowIndex(
  kernel: 'expandRows' | 'gatherRows' | 'gatherRowsAhead',
  rows: number,
  index: number,
  position: number,
): RangeError {
  return invalidArgument(RangeError, kernel, 'indices', `indices below ${rows} (the rows of src)`, `${index} at position ${position}`);
}

/** Throws badRowIndex for the first of indices[0..count) at or past rows. */
export function checkRowIndices(kernel: 'gatherRows' | 'gatherRowsAhead', count: number, rows: number, indices: Uint32Array): void {
  for (let i = 0; i < count; i++) {
    const r = indices[i] as number;
    if (r >= rows) throw badRowIndex(kernel, rows, r, i);
  }
}

export function badLevel(width: number, level: number, row: number, part: number): RangeError {
  return invalidArgument(
    RangeError,
    'expandRows',
    'src',
    `level indices (integers in [0, ${width}])`,
    `${describe(level)} in row ${row} (part ${part})`,
  );
}

/** Whether a stored one-hot cell is a level of a block of `width`: an integer in [0, width], width meaning none. */
export const isLevel = (level: number, width: number): boolean => level >= 0 && level <= width && Number.isInteger(level);

/** Stored rows src[indices[i]] expanded into dst (count × cols, written whole) and targets. */
export function expandRows(
  count: number,
  rows: number,
  stride: number,
  cols: number,
  src: FloatArray,
  indices: Uint32Array,
  parts: number,
  layout: Int32Array,
  dst: FloatArray,
  targets: FloatArray,
): void {
  for (let i = 0; i < count; i++) {
    const r = indices[i] as number;
    if (r >= rows) throw badRowIndex('expandRows', rows, r, i);
    const from = r * stride;
    const to = i * cols;
    // cols 0: nothing to clear, and dst may be a detached (empty) array, which fill rejects.
    if (cols > 0) dst.fill(0, to, to + cols);
    for (let p = 0; p < parts; p++) {
      const at = from + (layout[3 * p] as number);
      const into = to + (layout[3 * p + 1] as number);
      const n = layout[3 * p + 2] as number;
      if (n > 0) {
        for (let j = 0; j < n; j++) dst[into + j] = src[at + j] as number;
        continue;
      }
      const level = src[at] as number;
      if (!isLevel(level, -n)) throw badLevel(-n, level, r, p);
      if (level < -n) dst[into + level] = 1;
    }
    targets[i] = src[from + stride - 1] as number;
  }
}
