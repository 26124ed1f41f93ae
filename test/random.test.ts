// The seeded PRNG: deterministic, well spread, and its fast dropout-mask path
// draws exactly the sequence of nextUint32.
import { describe, expect, it } from 'vitest';
import { Random } from '../lib/random.js';

describe('Random', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = new Random(42);
    const b = new Random(42);
    const c = new Random(43);
    const draws = (r: Random) => Array.from({ length: 5 }, () => r.nextUint32());
    const first = draws(a);
    expect(draws(b)).toEqual(first);
    expect(draws(c)).not.toEqual(first);
    expect(new Set(draws(new Random(0))).size).toBe(5);
  });

  it('dropoutMask draws the same sequence as nextUint32 and keeps about `keep` of the units', () => {
    const fast = new Random(7);
    const slow = new Random(7);
    const mask = new Uint8Array(100_000);
    fast.dropoutMask(mask, mask.length, 0.8);
    const threshold = 0.8 * 2 ** 32;
    for (let i = 0; i < mask.length; i++) {
      if (mask[i] !== (slow.nextUint32() < threshold ? 1 : 0)) throw new Error(`mask differs at ${i}`);
    }
    expect(fast.getState()).toEqual(slow.getState());
    const kept = mask.reduce((n, v) => n + v, 0) / mask.length;
    expect(kept).toBeGreaterThan(0.795);
    expect(kept).toBeLessThan(0.805);
  });

  it('normal draws have mean 0 and variance 1; shuffle is a permutation; state round-trips', () => {
    const r = new Random(3);
    const n = 50_000;
    const xs = Array.from({ length: n }, () => r.normal());
    const mean = xs.reduce((a, b) => a + b, 0) / n;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
    const order = Uint32Array.from({ length: 100 }, (_, i) => i);
    r.shuffle(order);
    expect(Array.from(order).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const state = r.getState();
    const next = r.nextUint32();
    r.setState(state);
    expect(r.nextUint32()).toBe(next);
    expect(() => r.setState([0, 0, 0, 0])).toThrow('not all 0');
  });
});
