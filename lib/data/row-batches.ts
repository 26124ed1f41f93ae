// Encoded rows (features then target, `stride` floats each) arriving in chunks, regrouped into
// training batches, optionally through a seeded shuffle buffer of a bounded number of rows.
import type { SourceBatch } from '../fit-types.js';
import type { Random } from '../random.js';

export interface RowLayout {
  /** Features per row; the target follows them. */
  cols: number;
  /** Class indices (Int32Array batches) or regression values (Float32Array). */
  target: 'classes' | 'values';
}

class BatchBuilder {
  private x: Float32Array;
  private y: Float32Array;
  rows = 0;

  constructor(
    private readonly layout: RowLayout,
    private readonly size: number,
  ) {
    this.x = new Float32Array(size * layout.cols);
    this.y = new Float32Array(size);
  }

  /** Appends row `r` of `source`; true when the batch is full. */
  push(source: Float32Array, r: number): boolean {
    const { cols } = this.layout;
    const stride = cols + 1;
    this.x.set(source.subarray(r * stride, r * stride + cols), this.rows * cols);
    this.y[this.rows] = source[r * stride + cols] as number;
    return ++this.rows === this.size;
  }

  /** The batch so far; the builder starts a new one. */
  take(): SourceBatch {
    const { cols } = this.layout;
    const rows = this.rows;
    const x = { rows, cols, data: rows === this.size ? this.x : this.x.slice(0, rows * cols) };
    const y = this.layout.target === 'classes' ? Int32Array.from(this.y.subarray(0, rows)) : this.y.slice(0, rows);
    this.x = new Float32Array(this.size * cols);
    this.rows = 0;
    return { x, y };
  }
}

/** Batches of `batchSize` rows (the last may be short); with `shuffle`, through a window of `bufferRows` rows. */
export async function* rowBatches(
  chunks: AsyncIterable<Float32Array>,
  layout: RowLayout,
  batchSize: number,
  shuffle: { random: Random; bufferRows: number } | null,
): AsyncGenerator<SourceBatch> {
  const stride = layout.cols + 1;
  const batch = new BatchBuilder(layout, batchSize);
  if (shuffle === null) {
    for await (const chunk of chunks) {
      const rows = chunk.length / stride;
      for (let r = 0; r < rows; r++) if (batch.push(chunk, r)) yield batch.take();
    }
    if (batch.rows > 0) yield batch.take();
    return;
  }
  const { random, bufferRows } = shuffle;
  const buffer = new Float32Array(bufferRows * stride);
  let held = 0;
  for await (const chunk of chunks) {
    const rows = chunk.length / stride;
    for (let r = 0; r < rows; r++) {
      const row = chunk.subarray(r * stride, (r + 1) * stride);
      if (held < bufferRows) {
        buffer.set(row, held++ * stride);
        continue;
      }
      // A full window: a random held row leaves, the new one takes its place.
      const k = random.below(bufferRows);
      const full = batch.push(buffer, k);
      buffer.set(row, k * stride);
      if (full) yield batch.take();
    }
  }
  while (held > 0) {
    const k = random.below(held);
    const full = batch.push(buffer, k);
    buffer.copyWithin(k * stride, (held - 1) * stride, held * stride);
    held--;
    if (full) yield batch.take();
  }
  if (batch.rows > 0) yield batch.take();
}
