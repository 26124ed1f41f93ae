// The model's seeded PRNG (xoshiro128**): weight initialisation, shuffling and
// dropout masks all draw from it, so a seed fixes a whole training run. Its
// state is four 32-bit words, which checkpoints can save and restore.
import { dropoutMask, xoshiroNext } from './backend/js/elementwise.js';
import { invalidArgument } from './errors.js';

/** A seeded generator of uniform and normal floats, permutations and dropout masks. */
export class Random {
  private s: Uint32Array;

  constructor(seed: number) {
    // splitmix32 spreads any seed (0 included) over the four state words.
    this.s = new Uint32Array(4);
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  /** The next 32 random bits. */
  nextUint32(): number {
    return xoshiroNext(this.s);
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Standard normal (Box–Muller; 1 − u keeps the logarithm finite). */
  normal(): number {
    const u = 1 - this.uniform();
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A uniformly random integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Shuffles indices in place (Fisher–Yates). */
  shuffle(indices: Uint32Array | Int32Array): void {
    for (let i = indices.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const t = indices[i] as number;
      indices[i] = indices[j] as number;
      indices[j] = t;
    }
  }

  /** Fills mask[0..count) with 1 (keep, probability keep) or 0 (drop). */
  dropoutMask(mask: Uint8Array, count: number, keep: number): void {
    dropoutMask(count, keep, this.s, mask);
  }

  /** The live state words, for kernels that draw from this generator (backend.dropoutMask). */
  get words(): Uint32Array {
    return this.s;
  }

  /** The generator's state, for checkpoints. */
  getState(): number[] {
    return Array.from(this.s);
  }

  setState(state: readonly number[]): void {
    if (state.length !== 4 || state.every((w) => w === 0)) {
      const received = state.length !== 4 ? `${state.length} words` : 'all 0';
      throw invalidArgument(RangeError, 'Random.setState', 'state', 'four 32-bit words, not all 0', received);
    }
    this.s.set(state.map((w) => w >>> 0));
  }
}
