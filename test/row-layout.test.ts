// The cache's stored rows: one-hot blocks as indices, other features as they are; expanded they
// are the encoded rows again, bit for bit.
import { describe, expect, it } from 'vitest';
import { rowLayout, storedRows } from '../lib/data/row-layout.js';
import * as dn from '../lib/index.js';
import { Random } from '../lib/random.js';

describe('row layout', () => {
  it('stores and expands every kind of column, bit for bit', () => {
    const random = new Random(3);
    const records = Array.from({ length: 300 }, (_, i) => ({
      a: random.below(9) === 0 ? '' : random.normal().toFixed(3),
      color: ['red', 'green', 'blue', ''][random.below(4)],
      day: `2021-0${1 + random.below(9)}-1${random.below(9)}`,
      b: random.uniform().toFixed(4),
      size: ['s', 'm', 'l'][random.below(3)],
      label: i % 3 === 0 ? 'x' : 'y',
    }));
    const { spec, x, y } = dn.tabular(records, { target: 'label' });
    const layout = rowLayout(spec);
    expect(layout.cols).toBe(spec.features.length);
    // a (+ missing), color as 1, day's 7, b, size as 1, the target.
    expect(layout.stride).toBe(2 + 1 + 7 + 1 + 1 + 1);
    // Runs (n > 0) and one-hot blocks (n < 0): a; color's 5; day and b as one run; size.
    expect(Array.from(layout.parts)).toEqual([0, 0, 2, 2, 2, -5, 3, 7, 8, 11, 15, -(layout.cols - 15)]);
    const stored = storedRows(layout, x.data, y as Int32Array, x.rows);
    const out = new Float32Array(x.rows * layout.cols);
    const targets = new Float32Array(x.rows);
    const all = Uint32Array.from({ length: x.rows }, (_, i) => i);
    dn.kernels.expandRows(x.rows, x.rows, layout.stride, layout.cols, stored, all, layout.parts.length / 3, layout.parts, out, targets);
    expect(out).toEqual(x.data);
    expect(Array.from(targets)).toEqual(Array.from(y as Int32Array));
  });
});
