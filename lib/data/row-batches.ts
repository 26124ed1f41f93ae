// Stored rows (row-layout.ts: features with one-hot blocks as indices, then the target) arriving in
// chunks, regrouped into training batches by the expandRows kernel, optionally shuffled through a
// seeded pool of chunks.
import type { Backend } from '../backend/backend.js';
import { activeSelection } from '../backend/select.js';
import { returnable } from '../batch-recycling.js';
import type { SourceBatch } from '../fit-types.js';
import type { Random } from '../random.js';
import type { RowLayout } from './row-layout.js';

// Arrays kept for reuse: fit gives each back before it asks for the next batch.
const SPARE_ARRAYS = 4;

/** A batch filled by expanding picked stored rows, a run of picks from one source at a time. */
class BatchBuilder {
  private x: Float32Array;
  private readonly y: Float32Array;
  private readonly picks: Uint32Array;
  // Feature arrays fit gave back (batch-recycling.ts), reused before allocating.
  private readonly spare: Float32Array[] = [];
  private picked = 0;
  /** Rows expanded into x so far. */
  private expanded = 0;

  constructor(
    private readonly layout: RowLayout,
    private readonly size: number,
    private readonly backend: Backend,
  ) {
    this.x = new Float32Array(size * layout.cols);
    this.y = new Float32Array(size);
    this.picks = new Uint32Array(size);
  }

  get rows(): number {
    return this.expanded + this.picked;
  }

  /** Picks stored row `index` of the current source; true when the batch is full. */
  pick(index: number): boolean {
    this.picks[this.picked++] = index;
    return this.rows === this.size;
  }

  /** Expands the rows picked from `source` (of `sourceRows` stored rows), before it changes. */
  flush(source: Float32Array, sourceRows: number): void {
    if (this.picked === 0) return;
    const { cols, stride, parts } = this.layout;
    const at = this.expanded;
    this.backend.expandRows(
      this.picked,
      sourceRows,
      stride,
      cols,
      source,
      this.picks,
      parts.length / 3,
      parts,
      this.x.subarray(at * cols),
      this.y.subarray(at),
    );
    this.expanded += this.picked;
    this.picked = 0;
  }

  /** The batch so far (flushed); the builder starts a new one. */
  take(): SourceBatch {
    const { cols } = this.layout;
    const rows = this.expanded;
    const whole = rows === this.size;
    const x = { rows, cols, data: whole ? this.x : this.x.slice(0, rows * cols) };
    const y = this.layout.target === 'classes' ? Int32Array.from(this.y.subarray(0, rows)) : this.y.slice(0, rows);
    // Every batch has its own array (the consumer may keep it), one given back or a new one.
    this.x = this.spare.pop() ?? new Float32Array(this.size * cols);
    this.expanded = 0;
    if (!whole) return { x, y };
    return returnable({ x, y }, (buffer) => {
      if (buffer.byteLength === this.x.byteLength && this.spare.length < SPARE_ARRAYS) this.spare.push(new Float32Array(buffer));
    });
  }
}

/**
 * Batches of `batchSize` rows (the last may be short). With `shuffle`, chunks are copied into a
 * pool of fixed slots holding about `bufferRows` rows: each row of a batch comes from a random
 * slot, in a random order within its slot, and a slot used up takes the next chunk. Each row is
 * copied once into the pool and expanded once out of it (a sliding window of rows copied each row
 * twice, at random places: measured reading a 169-feature table's cache alone, one read in flight,
 * 237 k rows/s against the chunk pool's 296 k).
 */
export async function* rowBatches(
  chunks: AsyncIterable<Float32Array>,
  layout: RowLayout,
  batchSize: number,
  shuffle: { random: Random; bufferRows: number } | null,
  backend: Backend = activeSelection().backend,
): AsyncGenerator<SourceBatch> {
  const stride = layout.stride;
  const batch = new BatchBuilder(layout, batchSize, backend);
  if (shuffle === null) {
    for await (const chunk of chunks) {
      const rows = chunk.length / stride;
      for (let r = 0; r < rows; r++) {
        if (!batch.pick(r)) continue;
        batch.flush(chunk, rows);
        yield batch.take();
      }
      batch.flush(chunk, rows);
    }
    if (batch.rows > 0) yield batch.take();
    return;
  }
  yield* shuffledBatches(chunks[Symbol.asyncIterator](), stride, batch, shuffle.random, shuffle.bufferRows);
}

async function* shuffledBatches(
  it: AsyncIterator<Float32Array>,
  stride: number,
  batch: BatchBuilder,
  random: Random,
  bufferRows: number,
): AsyncGenerator<SourceBatch> {
  try {
    const first = await it.next();
    if (first.done === true) return;
    // Slots as big as the first chunk (a chunk the reader makes bigger is split over several).
    const slotRows = Math.max(1, first.value.length / stride);
    // Slots are drawn evenly, so a slot in use is half full on average: twice the slots hold bufferRows.
    const slots = 2 * Math.ceil(bufferRows / slotRows) + 1;
    const pool = new Float32Array(slots * slotRows * stride);
    const poolRows = slots * slotRows;
    // Per slot: its rows' pool indices in a random order, how many are taken, how many it holds.
    const order = new Uint32Array(poolRows);
    const next = new Uint32Array(slots);
    const held = new Uint32Array(slots);
    const free = Array.from({ length: slots }, (_, s) => slots - 1 - s);
    const active: number[] = [];
    let heldRows = 0;
    let pending: Float32Array | null = first.value;
    let offset = 0; // rows of `pending` already in the pool

    // Fills free slots from the chunks until bufferRows rows are held (or the chunks end).
    const refill = async (): Promise<void> => {
      while (heldRows < bufferRows && free.length > 0) {
        if (pending === null) {
          const r = await it.next();
          if (r.done === true) return;
          [pending, offset] = [r.value, 0];
        }
        const rows = Math.min(slotRows, pending.length / stride - offset);
        if (rows > 0) {
          const slot = free.pop() as number;
          const base = slot * slotRows;
          pool.set(pending.subarray(offset * stride, (offset + rows) * stride), base * stride);
          const mine = order.subarray(base, base + rows);
          for (let i = 0; i < rows; i++) mine[i] = base + i;
          random.shuffle(mine);
          [next[slot], held[slot]] = [0, rows];
          active.push(slot);
          heldRows += rows;
          offset += rows;
        }
        if (offset * stride >= pending.length) pending = null;
      }
    };

    await refill();
    while (active.length > 0) {
      const k = random.below(active.length);
      const slot = active[k] as number;
      const full = batch.pick(order[slot * slotRows + (next[slot] as number)++] as number);
      heldRows--;
      if (next[slot] === held[slot]) {
        // Used up: its picks are expanded before the slot takes another chunk.
        batch.flush(pool, poolRows);
        active[k] = active[active.length - 1] as number;
        active.pop();
        free.push(slot);
        await refill();
      }
      if (full) {
        batch.flush(pool, poolRows);
        yield batch.take();
      }
    }
    batch.flush(pool, poolRows);
    if (batch.rows > 0) yield batch.take();
  } finally {
    await it.return?.();
  }
}
