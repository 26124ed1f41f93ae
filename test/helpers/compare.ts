// Tolerant comparison of kernel output against a float64 reference.
import { expect } from 'vitest';

/** Every |got − want| ≤ abs + rel·|want|; reports the first index that is not. */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rel = 1e-5, abs = 1e-6, label = ''): void {
  expect(got.length, `${label} length`).toBeGreaterThanOrEqual(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i] as number;
    const w = want[i] as number;
    if (!(Math.abs(g - w) <= abs + rel * Math.abs(w))) {
      throw new Error(`${label}[${i}] = ${g}, expected ${w} (rel ${rel}, abs ${abs})`);
    }
  }
}

/** The largest absolute difference is at most `tolerance` (and the lengths agree). */
export function expectWithin(got: ArrayLike<number>, want: ArrayLike<number>, tolerance: number, label: string): void {
  expect(got.length, label).toBe(want.length);
  const worst = Array.from(want).reduce((m, w, i) => Math.max(m, Math.abs((got[i] as number) - w)), 0);
  expect(worst, label).toBeLessThanOrEqual(tolerance);
}
