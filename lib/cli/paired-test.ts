// Whether a run's score is distinguishable from the best run's, over the same
// folds or seeds: a two-sided paired t-test on the per-fold differences. The
// Student-t distribution comes from the regularised incomplete beta function,
// computed here so the CLI needs no statistics package.

/** Arithmetic mean; NaN for no values. */
export function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return values.length === 0 ? Number.NaN : sum / values.length;
}

/** Sample standard deviation (n − 1 in the denominator); 0 for fewer than two values. */
export function sampleStd(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  let squares = 0;
  for (const v of values) squares += (v - m) ** 2;
  return Math.sqrt(squares / (values.length - 1));
}

// Lanczos (g = 7, 9 terms): about 15 significant digits for x > 0, plenty for a p-value.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0. */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0] as number;
  for (let i = 1; i < LANCZOS.length; i++) sum += (LANCZOS[i] as number) / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

// The continued fraction of I_x(a, b), by the modified Lentz method; it converges fast for x < (a+1)/(a+b+2).
function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    for (const numerator of [
      (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m)),
      (-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1)),
    ]) {
      d = 1 + numerator * d;
      if (Math.abs(d) < tiny) d = tiny;
      c = 1 + numerator / c;
      if (Math.abs(c) < tiny) c = tiny;
      d = 1 / d;
      h *= d * c;
    }
    if (Math.abs(d * c - 1) < 1e-15) break;
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b), for a, b > 0 and x in [0, 1]. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0) || !(x >= 0 && x <= 1)) return Number.NaN;
  if (x === 0 || x === 1) return x;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  // The fraction converges on one side of the mean; the symmetry I_x(a,b) = 1 − I_{1−x}(b,a) covers the other.
  if (x < (a + 1) / (a + b + 2)) return (front * betaFraction(x, a, b)) / a;
  return 1 - (front * betaFraction(1 - x, b, a)) / b;
}

/** P(|T| ≥ |t|) for Student's t with `df` degrees of freedom: the two-sided p-value of t. */
export function studentTwoSided(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return Number.NaN;
  if (!Number.isFinite(t)) return 0;
  return Math.min(1, incompleteBeta(df / (df + t * t), df / 2, 0.5));
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function studentCdf(t: number, df: number): number {
  const tail = studentTwoSided(t, df) / 2;
  return t > 0 ? 1 - tail : tail;
}

export interface PairedTest {
  /** Mean of a − b over the pairs. */
  meanDifference: number;
  t: number;
  df: number;
  /** Two-sided p-value: how often differences this large would appear if the two runs were equally good. */
  p: number;
}

/** Paired t-test of a against b (the same folds or seeds in the same order), two-sided. */
export function pairedTTest(a: readonly number[], b: readonly number[]): PairedTest {
  if (a.length !== b.length) throw new RangeError(`pairedTTest: ${a.length} values against ${b.length}`);
  if (a.length < 2) throw new RangeError('pairedTTest: needs at least two pairs');
  const differences = a.map((v, i) => v - (b[i] as number));
  const meanDifference = mean(differences);
  const sd = sampleStd(differences);
  const df = a.length - 1;
  // Identical differences on every fold: no spread to weigh them against.
  if (sd === 0) {
    return meanDifference === 0
      ? { meanDifference, t: 0, df, p: 1 }
      : { meanDifference, t: Math.sign(meanDifference) * Infinity, df, p: 0 };
  }
  const t = meanDifference / (sd / Math.sqrt(a.length));
  return { meanDifference, t, df, p: studentTwoSided(t, df) };
}
