// Which split a row belongs to, from its row number alone: a seeded hash, so a stream larger than
// memory is split without holding an order or a second copy, and every pass agrees.
import { invalidRange } from '../errors.js';

export type SplitName = 'train' | 'validation' | 'test';

/** Fractions of the rows held out; the rest train. */
export interface SplitFractions {
  validation: number;
  test: number;
  seed: number;
}

// murmur3's 32-bit finaliser over the row number mixed with the seed: every bit of the row affects
// every bit of the result, so consecutive rows land independently.
function mix(row: number, seed: number): number {
  let h = (Math.imul(row >>> 0, 0x9e3779b1) ^ Math.imul((row / 4294967296) >>> 0, 0x85ebca77) ^ seed) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Checks the fractions (each in [0, 1), together below 1) and returns the row → split rule. */
export function rowSplitter(fractions: SplitFractions, fn: string): (row: number) => SplitName {
  const { validation, test, seed } = fractions;
  for (const [name, value] of [
    ['validation', validation],
    ['test', test],
  ] as const)
    if (!(typeof value === 'number' && value >= 0 && value < 1)) throw invalidRange(fn, name, 'a fraction in [0, 1)', value);
  if (validation + test >= 1) throw invalidRange(fn, 'validation + test', 'a sum below 1 (some rows must train)', validation + test);
  if (!Number.isInteger(seed)) throw invalidRange(fn, 'seed', 'an integer', seed);
  const testBelow = test * 4294967296;
  const validationBelow = (test + validation) * 4294967296;
  const mixedSeed = mix(seed, 0x27d4eb2f);
  return (row) => {
    const h = mix(row, mixedSeed);
    return h < testBelow ? 'test' : h < validationBelow ? 'validation' : 'train';
  };
}
