// CappedCounts for numbers, in an open-addressing table of typed arrays: a
// numeric column updates it on every cell, and a Map of doubles costs several
// times more per update and leaves garbage at every prune.
import { DistinctSketch, medianUpperBound } from './sketches.js';

const BITS = new Float64Array(1);
const WORDS = new Uint32Array(BITS.buffer);

function slotHash(v: number): number {
  BITS[0] = v;
  let h = Math.imul((WORDS[0] as number) ^ Math.imul(WORDS[1] as number, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 13)) >>> 0;
}

/** Occurrences per number, exact up to `cap` distinct ones; past it pruned as CappedCounts is (lossy counting). */
export class NumberCounts {
  private keys: Float64Array;
  /** 0 marks an empty slot. */
  private counts: Float64Array;
  private before: Float64Array;
  private mask = 15;
  size = 0;
  floor = 0;
  private sketch: DistinctSketch | null = null;

  constructor(readonly cap: number) {
    // Grown as keys come (at most half full): a column of few values holds a small table.
    this.keys = new Float64Array(16);
    this.counts = new Float64Array(16);
    this.before = new Float64Array(16);
  }

  get overflowed(): boolean {
    return this.sketch !== null;
  }

  add(v: number): void {
    const key = v === 0 ? 0 : v; // -0 and 0 are one key
    const { keys, counts, mask } = this;
    let i = slotHash(key) & mask;
    for (;;) {
      const n = counts[i] as number;
      if (n === 0) break;
      if (keys[i] === key) {
        counts[i] = n + 1;
        this.sketch?.add(key);
        return;
      }
      i = (i + 1) & mask;
    }
    keys[i] = key;
    counts[i] = 1;
    this.before[i] = this.floor;
    this.size++;
    if (this.size > this.cap) this.prune();
    else if (2 * this.size > counts.length) this.rebuild(counts.length * 2, 0);
    this.sketch?.add(key);
  }

  private prune(): void {
    const { keys, counts, before } = this;
    if (this.sketch === null) {
      this.sketch = new DistinctSketch();
      for (let i = 0; i < counts.length; i++) if ((counts[i] as number) > 0) this.sketch.add(keys[i] as number);
    }
    const threshold = medianUpperBound(this.size, (take) => {
      for (let i = 0; i < counts.length; i++) if ((counts[i] as number) > 0) take((counts[i] as number) + (before[i] as number));
    });
    this.rebuild(keys.length, threshold);
    this.floor = Math.max(this.floor, threshold);
  }

  /** The table with `slots` slots, holding the keys whose upper bound passes `threshold`. */
  private rebuild(slots: number, threshold: number): void {
    const { keys, counts, before } = this;
    // Rebuilt rather than deleted in place, which would break the probe chains.
    this.keys = new Float64Array(slots);
    this.counts = new Float64Array(slots);
    this.before = new Float64Array(slots);
    this.mask = slots - 1;
    this.size = 0;
    for (let i = 0; i < counts.length; i++) {
      const n = counts[i] as number;
      if (n > 0 && n + (before[i] as number) > threshold) this.put(keys[i] as number, n, before[i] as number);
    }
  }

  private put(key: number, n: number, before: number): void {
    let i = slotHash(key) & this.mask;
    while ((this.counts[i] as number) > 0) i = (i + 1) & this.mask;
    this.keys[i] = key;
    this.counts[i] = n;
    this.before[i] = before;
    this.size++;
  }

  /** How many distinct numbers were seen: exact until the cap was passed, then estimated. */
  distinct(): number {
    return this.sketch === null ? this.size : Math.max(this.size, this.sketch.estimate());
  }

  /** The numbers kept with their counts, in no particular order. */
  table(): Map<number, number> {
    const out = new Map<number, number>();
    for (let i = 0; i < this.counts.length; i++)
      if ((this.counts[i] as number) > 0) out.set(this.keys[i] as number, this.counts[i] as number);
    return out;
  }
}
