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

  it('dropoutMask keys a hash of the unit index with two draws, and its bits look independent', () => {
    const fast = new Random(7);
    const slow = new Random(7);
    const n = 100_000;
    const mask = new Uint8Array(n);
    fast.dropoutMask(mask, n, 0.8);
    // The contract, written out with BigInt arithmetic (lowbias32 rounds keyed by two draws).
    const k0 = BigInt(slow.nextUint32());
    const k1 = BigInt(slow.nextUint32());
    const M = 0xffffffffn;
    const mix = (x: bigint) => {
      let h = x ^ (x >> 16n);
      h = (h * 0x21f0aaadn) & M;
      h ^= h >> 15n;
      h = (h * 0x735a2d97n) & M;
      return h ^ (h >> 15n);
    };
    const threshold = BigInt(Math.ceil(0.8 * 2 ** 32));
    for (let i = 0; i < 2000; i++) {
      if (mask[i] !== (mix(mix(BigInt(i) ^ k0) ^ k1) < threshold ? 1 : 0)) throw new Error(`mask differs at ${i}`);
    }
    expect(fast.getState()).toEqual(slow.getState());
    const kept = mask.reduce((a, v) => a + v, 0) / n;
    expect(kept).toBeGreaterThan(0.795);
    expect(kept).toBeLessThan(0.805);
    // Neighbouring units, units a row (256) apart and the same unit in the next mask are
    // uncorrelated: for independent Bernoulli(0.8) pairs P(both kept) = 0.64, standard error ~0.0015.
    const next = new Uint8Array(n);
    fast.dropoutMask(next, n, 0.8);
    for (const [a, b, lag] of [
      [mask, mask, 1],
      [mask, mask, 256],
      [mask, next, 0],
    ] as const) {
      let both = 0;
      for (let i = 0; i + lag < n; i++) both += (a[i] as number) & (b[i + lag] as number);
      expect(Math.abs(both / (n - lag) - 0.64)).toBeLessThan(0.008);
    }
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
