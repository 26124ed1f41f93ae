// Bounded one-pass statistics for fitting a column spec over a stream: exact
// moments, a seeded uniform reservoir for medians, and key counts with a cap
// past which the frequent keys survive and the distinct count is estimated.
import { Random } from '../random.js';

/** Count, mean and the second and third central moments (sums, not averages), updated one value at a time. */
export class Moments {
  n = 0;
  mean = 0;
  m2 = 0;
  m3 = 0;

  add(x: number): void {
    // Welford's update with Terriberry's third-moment term: no catastrophic cancellation on large offsets.
    const n1 = this.n;
    this.n++;
    const d = x - this.mean;
    const dn = d / this.n;
    const t = d * dn * n1;
    this.m3 += t * dn * (this.n - 2) - 3 * dn * this.m2;
    this.m2 += t;
    this.mean += dn;
  }

  copy(): Moments {
    const to = new Moments();
    to.n = this.n;
    to.mean = this.mean;
    to.m2 = this.m2;
    to.m3 = this.m3;
    return to;
  }

  /** Population skewness (0 when the values do not vary). */
  skewness(): number {
    if (this.n === 0 || this.m2 <= 0) return 0;
    return this.m3 / this.n / (this.m2 / this.n) ** 1.5;
  }

  /**
   * Mean and population std of these values together with `count` more copies of `fill` (the
   * missing cells imputed): the two groups' moments combined exactly, no second pass.
   */
  withFill(count: number, fill: number): { mean: number; std: number } {
    const n = this.n + count;
    if (n === 0) return { mean: 0, std: 1 };
    const d = fill - this.mean;
    const mean = this.mean + (d * count) / n;
    const m2 = this.m2 + (d * d * this.n * count) / n;
    const std = Math.sqrt(Math.max(0, m2) / n);
    return { mean, std: std > 1e-9 * Math.max(1, Math.abs(mean)) ? std : 1 };
  }
}

/**
 * A uniform random sample of at most `capacity` items of a stream (Vitter's Algorithm L: after the
 * first `capacity`, it draws how many items to skip, so most items cost one comparison). Each item
 * is `lanes` numbers (a value, or a date read three ways). Holds every item when the stream is no
 * longer than `capacity`; seeded, so a run is repeatable.
 */
export class Reservoir {
  seen = 0;
  private size = 0;
  private data: Float64Array[];
  private random: Random;
  private w = 0;
  private next = 0;

  constructor(
    private readonly capacity: number,
    lanes: number,
    seed: number,
  ) {
    this.data = Array.from({ length: lanes }, () => new Float64Array(Math.min(capacity, 1024)));
    this.random = new Random(seed);
  }

  private u(): number {
    return 1 - this.random.uniform(); // in (0, 1]: the logarithms stay finite
  }

  private skip(): void {
    this.next += Math.floor(Math.log(this.u()) / Math.log(1 - this.w)) + 1;
  }

  /** The slot the next item goes to, or -1 when it is not kept; call once per item. */
  offer(): number {
    const i = this.seen++;
    if (i < this.capacity) {
      if (i === this.data[0]?.length) this.grow();
      this.size++;
      if (this.size === this.capacity) {
        this.w = Math.exp(Math.log(this.u()) / this.capacity);
        this.next = this.capacity - 1;
        this.skip();
      }
      return i;
    }
    if (i !== this.next) return -1;
    this.w *= Math.exp(Math.log(this.u()) / this.capacity);
    this.skip();
    return this.random.below(this.capacity);
  }

  /** Adds lane `to` (the next index) holding lane `from`'s values so far: a second reading of the same items. */
  copyLane(from: number, to: number): void {
    if (to !== this.data.length) throw new RangeError(`Reservoir.copyLane: lane ${to} is not the next lane (${this.data.length})`);
    this.data.push(Float64Array.from(this.data[from] as Float64Array));
  }

  set(lane: number, slot: number, value: number): void {
    (this.data[lane] as Float64Array)[slot] = value;
  }

  private grow(): void {
    this.data = this.data.map((lane) => {
      const bigger = new Float64Array(Math.min(this.capacity, lane.length * 2));
      bigger.set(lane);
      return bigger;
    });
  }

  /** How many items are kept. */
  get length(): number {
    return this.size;
  }

  /** The kept values of a lane, NaN left out, sorted. */
  sorted(lane: number): Float64Array {
    return (this.data[lane] as Float64Array)
      .subarray(0, this.size)
      .filter((v) => !Number.isNaN(v))
      .sort();
  }

  /** The median of a lane's kept values (NaN when none). */
  median(lane: number): number {
    return medianOfSorted(this.sorted(lane));
  }
}

export function medianOfSorted(sorted: Float64Array): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  return n % 2 === 1 ? (sorted[(n - 1) / 2] as number) : ((sorted[n / 2 - 1] as number) + (sorted[n / 2] as number)) / 2;
}

// 32-bit mixes of a key, two of them make 53 bits: a hash in [0, 1) for the distinct-count sketch.
const BITS = new Float64Array(1);
const WORDS = new Uint32Array(BITS.buffer);

function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function unitHash(key: string | number): number {
  let a = 0x811c9dc5;
  let b = 0x2545f491;
  if (typeof key === 'number') {
    BITS[0] = key === 0 ? 0 : key; // -0 and 0 are one key, as in a Map
    a = mix(a ^ (WORDS[0] as number)) ^ (WORDS[1] as number);
    b = mix(b ^ (WORDS[1] as number)) ^ (WORDS[0] as number);
  } else {
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
    }
  }
  return (mix(a) * 2 ** 21 + (mix(b) >>> 11)) / 2 ** 53;
}

/**
 * The k smallest distinct hashes seen (a KMV sketch): the number of distinct keys is about
 * (k − 1)/(k-th smallest hash), within about 1/√k; exact while fewer than k keys were seen.
 */
export class DistinctSketch {
  private hashes: Float64Array;
  private filled = 0;

  constructor(private readonly k = 4096) {
    this.hashes = new Float64Array(k);
  }

  add(key: string | number): void {
    const h = unitHash(key);
    const { k, hashes } = this;
    if (this.filled === k && h >= (hashes[k - 1] as number)) return;
    let lo = 0;
    let hi = this.filled;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((hashes[mid] as number) < h) lo = mid + 1;
      else hi = mid;
    }
    if (lo < this.filled && hashes[lo] === h) return;
    hashes.copyWithin(lo + 1, lo, Math.min(this.filled, k - 1));
    hashes[lo] = h;
    if (this.filled < k) this.filled++;
  }

  estimate(): number {
    return this.filled < this.k ? this.filled : Math.round((this.k - 1) / (this.hashes[this.k - 1] as number));
  }
}

// Most counts past the cap are small: their median comes from a histogram, without a sort.
const SMALL_COUNTS = 256;

/** The median of the upper bounds (count + floor at insertion) that `each` gives, `size` of them. */
export function medianUpperBound(size: number, each: (take: (upper: number) => void) => void): number {
  const histogram = new Float64Array(SMALL_COUNTS);
  const large: number[] = [];
  each((upper) => {
    if (upper < SMALL_COUNTS) histogram[upper]++;
    else large.push(upper);
  });
  const half = size >>> 1;
  let below = 0;
  for (let v = 0; v < SMALL_COUNTS; v++) {
    below += histogram[v] as number;
    if (below > half) return v;
  }
  large.sort((a, b) => a - b);
  return large[half - below] as number;
}

/** Keys a column holds at most in its table of level texts; see docs/decisions.md. */
export const COUNT_CAP = 100_000;
/**
 * Keys a column holds at most in its table of numbers (unless declared categorical): a numeric column
 * needs its distinct values only to tell a constant, a skew and an ID, and a Map of 100 000 doubles
 * costs about 1 µs an update against 0.2 µs at 10 000.
 */
export const NUMBER_CAP = 10_000;

/**
 * Occurrences per key, exact up to `cap` distinct keys. Past it (lossy counting) the table is pruned
 * to half by the upper bounds of the counts: a key dropped had at most `floor` occurrences, so every
 * key seen more than `floor` times is kept; a kept key's count is exact since it was last inserted
 * and at most its `floor` at insertion low. The distinct count is then estimated by a sketch.
 */
export class CappedCounts<K extends string | number> {
  private readonly counts = new Map<K, number>();
  /** The floor at a key's insertion (only for keys inserted after a prune). */
  private readonly before = new Map<K, number>();
  /** Every key not in the table was seen at most this many times. */
  floor = 0;
  private sketch: DistinctSketch | null = null;

  constructor(readonly cap = COUNT_CAP) {}

  get overflowed(): boolean {
    return this.sketch !== null;
  }

  add(key: K): void {
    const n = this.counts.get(key);
    if (n !== undefined) this.counts.set(key, n + 1);
    else {
      this.counts.set(key, 1);
      if (this.floor > 0) this.before.set(key, this.floor);
      if (this.counts.size > this.cap) this.prune();
    }
    this.sketch?.add(key);
  }

  private prune(): void {
    if (this.sketch === null) {
      this.sketch = new DistinctSketch();
      for (const key of this.counts.keys()) this.sketch.add(key);
    }
    const threshold = medianUpperBound(this.counts.size, (take) => {
      for (const [key, n] of this.counts) take(n + (this.before.get(key) ?? 0));
    });
    for (const [key, n] of this.counts)
      if (n + (this.before.get(key) ?? 0) <= threshold) {
        this.counts.delete(key);
        this.before.delete(key);
      }
    this.floor = Math.max(this.floor, threshold);
  }

  /** How many distinct keys were seen: exact until the cap was passed, then estimated. */
  distinct(): number {
    return this.sketch === null ? this.counts.size : Math.max(this.counts.size, this.sketch.estimate());
  }

  get size(): number {
    return this.counts.size;
  }

  /** The keys kept with their counts. */
  table(): Map<K, number> {
    return this.counts;
  }
}
