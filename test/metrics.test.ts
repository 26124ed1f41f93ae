// lib/metrics against float64 naive references written here (AUC by counting pairs, R² in two
// passes), hand-computed sklearn answers, and the invariances the semantics promise: integer
// weights equal repeated rows, and batching does not change a figure.
import { describe, expect, it } from 'vitest';
import type { Targets } from '../lib/losses.js';
import { orderByScore } from '../lib/metrics/auc.js';
import { checkMetrics, createMetrics, type MetricSpec, rocAuc } from '../lib/metrics/index.js';
import { countCorrect } from '../lib/targets.js';
import type { Matrix } from '../lib/tensor.js';
import { randomFloats, sizePicker } from './helpers/reference.js';

// ---- references -------------------------------------------------------------------------------

/** AUC by the definition: every positive/negative pair, ½ for a tie, weighted by w_i·w_j. */
function pairAuc(scores: ArrayLike<number>, positive: ArrayLike<number>, weights?: ArrayLike<number>): number {
  let pairs = 0;
  let positives = 0;
  let negatives = 0;
  for (let i = 0; i < scores.length; i++) {
    const wi = weights?.[i] ?? 1;
    if (positive[i] === 1) positives += wi;
    else negatives += wi;
    if (positive[i] !== 1) continue;
    for (let j = 0; j < scores.length; j++) {
      if (positive[j] === 1) continue;
      const wj = weights?.[j] ?? 1;
      const si = scores[i] as number;
      const sj = scores[j] as number;
      pairs += wi * wj * (si > sj ? 1 : si === sj ? 0.5 : 0);
    }
  }
  return positives > 0 && negatives > 0 ? pairs / (positives * negatives) : Number.NaN;
}

/** mae, rmse and uniform-average R² in two passes over rows × width values, in float64. */
function referenceRegression(y: ArrayLike<number>, p: ArrayLike<number>, width: number, weights?: ArrayLike<number>) {
  const rows = y.length / width;
  let weight = 0;
  let absolute = 0;
  let squared = 0;
  for (let i = 0; i < rows; i++) {
    const w = weights?.[i] ?? 1;
    weight += w;
    for (let j = 0; j < width; j++) {
      const e = (p[i * width + j] as number) - (y[i * width + j] as number);
      absolute += w * Math.abs(e);
      squared += w * e * e;
    }
  }
  let r2 = 0;
  for (let j = 0; j < width; j++) {
    let mean = 0;
    for (let i = 0; i < rows; i++) mean += (weights?.[i] ?? 1) * (y[i * width + j] as number);
    mean /= weight;
    let sse = 0;
    let sst = 0;
    for (let i = 0; i < rows; i++) {
      const w = weights?.[i] ?? 1;
      sse += w * ((p[i * width + j] as number) - (y[i * width + j] as number)) ** 2;
      sst += w * ((y[i * width + j] as number) - mean) ** 2;
    }
    r2 += sst > 0 ? 1 - sse / sst : sse === 0 ? 1 : 0;
  }
  return { mae: absolute / (weight * width), rmse: Math.sqrt(squared / (weight * width)), r2: r2 / width };
}

/** Macro precision/recall/f1 from counts over lists of (true, predicted) class pairs, sklearn's way. */
function referenceMacro(actual: number[], predicted: number[], classes: number[]) {
  const sums = { precision: 0, recall: 0, f1: 0 };
  for (const k of classes) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    actual.forEach((a, i) => {
      const p = predicted[i];
      if (a === k && p === k) tp++;
      else if (p === k) fp++;
      else if (a === k) fn++;
    });
    sums.precision += tp + fp > 0 ? tp / (tp + fp) : 0;
    sums.recall += tp + fn > 0 ? tp / (tp + fn) : 0;
    sums.f1 += tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : 0;
  }
  return { precision: sums.precision / classes.length, recall: sums.recall / classes.length, f1: sums.f1 / classes.length };
}

// ---- data -------------------------------------------------------------------------------------

type Kind = 'softmaxLabels' | 'softmaxOneHot' | 'sigmoid1' | 'sigmoid3' | 'regression2';
interface Case {
  loss: string;
  width: number;
  probs: Float32Array;
  targets: Targets;
  metrics: MetricSpec[];
}

const quantise = (v: number, steps: number) => Math.round(v * steps) / steps; // many ties, some at exactly 0.5

function makeCase(kind: Kind, rows: number, seed: number): Case {
  const u = Array.from(randomFloats(rows * 4, seed), (v) => (v + 1) / 2);
  const classification: MetricSpec[] = ['accuracy', 'auc', 'precision', 'recall', 'f1'];
  if (kind === 'softmaxLabels' || kind === 'softmaxOneHot') {
    const width = 3;
    const probs = new Float32Array(rows * width);
    const labels = new Int32Array(rows);
    for (let i = 0; i < rows; i++) {
      const raw = [0, 1, 2].map((j) => quantise(u[i * 4 + j] as number, 4) + 0.01);
      const sum = raw.reduce((a, b) => a + b);
      raw.forEach((v, j) => {
        probs[i * width + j] = v / sum;
      });
      labels[i] = Math.floor((u[i * 4 + 3] as number) * 2.999);
    }
    if (kind === 'softmaxLabels')
      return { loss: 'crossEntropy', width, probs, targets: { kind: 'labels', data: labels }, metrics: classification };
    const oneHot = new Float32Array(rows * width);
    labels.forEach((c, i) => {
      oneHot[i * width + c] = 1;
    });
    return { loss: 'crossEntropy', width, probs, targets: { kind: 'matrix', cols: width, data: oneHot }, metrics: classification };
  }
  if (kind === 'sigmoid1' || kind === 'sigmoid3') {
    const width = kind === 'sigmoid1' ? 1 : 3;
    const probs = Float32Array.from({ length: rows * width }, (_, i) => quantise(u[i] as number, 8));
    // Targets that agree with the scores more often than not, so the AUCs are not all ½.
    const y = Float32Array.from(probs, (p, i) => ((p + (u[(i + rows) % u.length] as number)) / 2 >= 0.5 ? 1 : 0));
    return { loss: 'binaryCrossEntropy', width, probs, targets: { kind: 'matrix', cols: width, data: y }, metrics: classification };
  }
  const width = 2;
  const y = Float32Array.from({ length: rows * width }, (_, i) => 3 * (u[i] as number) - 1);
  const probs = Float32Array.from(y, (v, i) => v + 0.5 * ((u[(i + rows) % u.length] as number) - 0.5));
  return { loss: 'meanSquaredError', width, probs, targets: { kind: 'matrix', cols: width, data: y }, metrics: ['mae', 'rmse', 'r2'] };
}

const rowsOf = (t: Targets, width: number) => (t.kind === 'labels' ? t.data.length : t.data.length / width);

/** The case's rows, each repeated weights[i] times. */
function repeatRows(c: Case, weights: ArrayLike<number>): Case {
  const keep: number[] = [];
  for (let i = 0; i < weights.length; i++) for (let r = 0; r < (weights[i] as number); r++) keep.push(i);
  const probs = Float32Array.from(keep.flatMap((i) => Array.from(c.probs.subarray(i * c.width, (i + 1) * c.width))));
  const t = c.targets;
  const targets: Targets =
    t.kind === 'labels'
      ? { kind: 'labels', data: Int32Array.from(keep, (i) => t.data[i] as number) }
      : {
          kind: 'matrix',
          cols: t.cols,
          data: Float32Array.from(keep.flatMap((i) => Array.from(t.data.subarray(i * t.cols, (i + 1) * t.cols)))),
        };
  return { ...c, probs, targets };
}

/** Feeds the case in batches of the given sizes (offsets into the whole targets) and returns the figures. */
function run(c: Case, weights: Float32Array | null, sizes?: number[]): Record<string, number> {
  const set = createMetrics(c.metrics, { loss: c.loss, outputWidth: c.width });
  const rows = rowsOf(c.targets, c.width);
  let offset = 0;
  for (let k = 0; offset < rows; k++) {
    const batch = Math.min(sizes?.[k % sizes.length] ?? rows, rows - offset);
    set.update(c.probs.subarray(offset * c.width), batch, c.targets, offset, weights);
    offset += batch;
  }
  return set.result();
}

function expectClose(actual: Record<string, number>, expected: Record<string, number>, tolerance: number): void {
  expect(Object.keys(actual)).toEqual(Object.keys(expected));
  for (const [name, value] of Object.entries(expected)) {
    const got = actual[name] as number;
    if (Number.isNaN(value)) expect(got, name).toBeNaN();
    else expect(Math.abs(got - value), `${name}: ${got} vs ${value}`).toBeLessThanOrEqual(tolerance);
  }
}

const kinds: Kind[] = ['softmaxLabels', 'softmaxOneHot', 'sigmoid1', 'sigmoid3', 'regression2'];

// ---- AUC --------------------------------------------------------------------------------------

describe('rocAuc', () => {
  const auc = (s: number[], y: number[], w?: number[]) => rocAuc(Float32Array.from(s), Uint8Array.from(y), w ? Float32Array.from(w) : null);

  it('gives the hand-computed sklearn answers, ties counting ½', () => {
    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75); // sklearn's roc_auc_score docstring example
    expect(auc([0.1, 0.5, 0.5, 0.9], [0, 0, 1, 1])).toBe(0.875); // (1 + ½ + 2) / 4
    expect(auc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    expect(auc([0.9, 0.8, 0.1], [0, 0, 1])).toBe(0);
    expect(auc([0.2, 0.1, 0.9], [0, 1, 1], [2, 1, 3])).toBe(0.75); // (1·2·0 + 3·2·1) / (4·2)
    expect(auc([-0, 0], [0, 1])).toBe(0.5); // −0 and +0 are one score
    expect(auc([-Infinity, -1e30, -1, -1e-40, 0, 1e-40, 3, Infinity], [0, 0, 1, 0, 1, 0, 1, 1])).toBe(
      pairAuc([-Infinity, -1e30, -1, -1e-40, 0, 1e-40, 3, Infinity], [0, 0, 1, 0, 1, 0, 1, 1]),
    );
  });

  it('is NaN without positives, without negatives, with no weight on one side, or with a NaN score', () => {
    expect(auc([0.1, 0.2], [1, 1])).toBeNaN();
    expect(auc([0.1, 0.2], [0, 0])).toBeNaN();
    expect(auc([], [])).toBeNaN();
    expect(auc([0.1, 0.2, 0.3], [0, 1, 1], [1, 0, 0])).toBeNaN();
    expect(auc([0.1, Number.NaN, 0.3], [0, 1, 1])).toBeNaN();
  });

  it('matches the O(n²) pair count with ties, negative scores and weights (some 0)', () => {
    for (const n of [1, 2, 7, 33, 257, 1000]) {
      const u = randomFloats(3 * n, n);
      const scores = Float32Array.from({ length: n }, (_, i) => quantise(u[i] as number, 16) * 10);
      const positive = Uint8Array.from({ length: n }, (_, i) => ((u[n + i] as number) + (scores[i] as number) / 20 > 0 ? 1 : 0));
      const weights = Float32Array.from({ length: n }, (_, i) => Math.floor(((u[2 * n + i] as number) + 1) * 2) * 0.75);
      for (const w of [null, weights]) {
        const expected = pairAuc(scores, positive, w ?? undefined);
        const got = rocAuc(scores, positive, w);
        if (Number.isNaN(expected)) expect(got).toBeNaN();
        else expect(Math.abs(got - expected), `n=${n}`).toBeLessThan(1e-12);
      }
    }
  });

  it('orders float32 scores of every sign and size, stably', () => {
    const special = [Infinity, -Infinity, 0, -0, 1e-45, -1e-45, 3.4e38, -3.4e38, 0.5, -0.5];
    const scores = Float32Array.from([...special, ...Array.from(randomFloats(5000, 3), (v) => v * 1e3), ...special]);
    const order = orderByScore(scores);
    expect(Array.from(order).sort((a, b) => a - b)).toEqual(Array.from(scores, (_, i) => i));
    for (let k = 1; k < order.length; k++) {
      const before = scores[order[k - 1] as number] as number;
      const after = scores[order[k] as number] as number;
      expect(before <= after, `${before} before ${after}`).toBe(true);
      if (Object.is(before, after)) expect(order[k - 1] as number).toBeLessThan(order[k] as number);
    }
  });

  it('ranks 10⁶ rows exactly (checked by counting per score level)', () => {
    const n = 1_000_000;
    const levels = 1000;
    const scores = new Float32Array(n);
    const positive = new Uint8Array(n);
    const weights = new Float32Array(n);
    let state = 12345;
    const next = () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state;
    };
    const positiveAt = new Float64Array(levels);
    const negativeAt = new Float64Array(levels);
    for (let i = 0; i < n; i++) {
      const level = next() % levels;
      scores[i] = Math.fround(level / (levels - 1));
      positive[i] = next() % levels < level ? 1 : 0;
      weights[i] = 1 + (next() % 4);
      (positive[i] === 1 ? positiveAt : negativeAt)[level] += weights[i] as number;
    }
    let pairs = 0;
    let below = 0;
    let positives = 0;
    for (let l = 0; l < levels; l++) {
      pairs += (positiveAt[l] as number) * (below + (negativeAt[l] as number) / 2);
      below += negativeAt[l] as number;
      positives += positiveAt[l] as number;
    }
    const got = rocAuc(scores, positive, weights);
    expect(got).toBeGreaterThan(0.7);
    expect(Math.abs(got - pairs / (positives * below))).toBeLessThan(1e-12);
    // The same through the accumulator, fed in batches of 4096 rows.
    const set = createMetrics(['auc'], { loss: 'binaryCrossEntropy', outputWidth: 1 });
    const targets: Targets = { kind: 'matrix', cols: 1, data: Float32Array.from(positive) };
    for (let start = 0; start < n; start += 4096) set.update(scores.subarray(start), Math.min(4096, n - start), targets, start, weights);
    expect(set.result().auc).toBe(got);
  });
});

// ---- each metric against its reference --------------------------------------------------------

describe('classification metrics', () => {
  it('accuracy is countCorrect when unweighted, for every kind of classifier', () => {
    const cases: Case[] = [
      makeCase('softmaxLabels', 101, 1),
      makeCase('softmaxOneHot', 101, 2),
      makeCase('sigmoid1', 101, 3),
      makeCase('sigmoid3', 101, 4),
    ];
    // A one-output softmax: countCorrect takes labels by argmax and one column by threshold.
    cases.push({
      loss: 'crossEntropy',
      width: 1,
      probs: new Float32Array(5).fill(1),
      targets: { kind: 'labels', data: new Int32Array(5) },
      metrics: ['accuracy'],
    });
    cases.push({
      loss: 'crossEntropy',
      width: 1,
      probs: Float32Array.of(1, 0.2, 0.7),
      targets: { kind: 'matrix', cols: 1, data: Float32Array.of(1, 1, 0) },
      metrics: ['accuracy'],
    });
    for (const c of cases) {
      const rows = rowsOf(c.targets, c.width);
      const { correct, total } = countCorrect(c.loss as 'crossEntropy', c.probs, rows, c.width, c.targets, 0);
      expect(createMetricsResult(c, ['accuracy']).accuracy).toBe(correct / total);
    }
  });

  it('accuracy weighs rows, and a sigmoid row by its outputs', () => {
    const c: Case = {
      loss: 'binaryCrossEntropy',
      width: 2,
      probs: Float32Array.of(0.9, 0.1, 0.6, 0.7),
      targets: { kind: 'matrix', cols: 2, data: Float32Array.of(1, 1, 0, 1) },
      metrics: ['accuracy'],
    };
    expect(run(c, Float32Array.of(3, 1)).accuracy).toBe((3 * 1 + 1 * 1) / (4 * 2));
  });

  it('binary precision, recall and f1 (hand-computed)', () => {
    // y 1 1 0 0 1 1, predicted 1 0 1 0 1 0: TP 2, FP 1, FN 2.
    const c: Case = {
      loss: 'binaryCrossEntropy',
      width: 1,
      probs: Float32Array.of(0.9, 0.4, 0.6, 0.2, 0.5, 0.1),
      targets: { kind: 'matrix', cols: 1, data: Float32Array.of(1, 1, 0, 0, 1, 1) },
      metrics: ['precision', 'recall', 'f1', 'accuracy'],
    };
    expectClose(run(c, null), { precision: 2 / 3, recall: 1 / 2, f1: 4 / 7, accuracy: 3 / 6 }, 1e-15);
    // Weight 2 on the false positive: TP 2, FP 2, FN 2.
    expectClose(run(c, Float32Array.of(1, 1, 2, 1, 1, 1)), { precision: 1 / 2, recall: 1 / 2, f1: 1 / 2, accuracy: 3 / 7 }, 1e-15);
  });

  it('precision, recall and f1 are 0 when undefined (zero_division=0)', () => {
    const c: Case = {
      loss: 'binaryCrossEntropy',
      width: 1,
      probs: Float32Array.of(0.1, 0.2),
      targets: { kind: 'matrix', cols: 1, data: Float32Array.of(1, 0) },
      metrics: ['precision', 'recall', 'f1'],
    };
    expect(run(c, null)).toEqual({ precision: 0, recall: 0, f1: 0 });
    expect(run({ ...c, targets: { kind: 'matrix', cols: 1, data: Float32Array.of(0, 0) } }, null)).toEqual({
      precision: 0,
      recall: 0,
      f1: 0,
    });
  });

  it('softmax: macro over the classes present, sklearn docstring example', () => {
    // sklearn: y_true [0,1,2,0,1,2], y_pred [0,2,1,0,0,1] → macro precision 2/9, recall 1/3, f1 0.8/3.
    const predicted = [0, 2, 1, 0, 0, 1];
    for (const width of [3, 4]) {
      // Width 4: class 3 is never seen, so (as sklearn's labels=None) it is not averaged in.
      const probs = new Float32Array(6 * width);
      predicted.forEach((p, i) => {
        probs[i * width + p] = 1;
      });
      const c: Case = {
        loss: 'crossEntropy',
        width,
        probs,
        targets: { kind: 'labels', data: Int32Array.of(0, 1, 2, 0, 1, 2) },
        metrics: ['precision', 'recall', 'f1'],
      };
      expectClose(run(c, null), { precision: 2 / 9, recall: 1 / 3, f1: 0.8 / 3 }, 1e-15);
    }
  });

  it('softmax and multi-output sigmoid match the naive macro reference', () => {
    for (const kind of ['softmaxLabels', 'softmaxOneHot'] as const) {
      const c = makeCase(kind, 200, 9);
      const actual = Array.from({ length: 200 }, (_, i) =>
        c.targets.kind === 'labels' ? (c.targets.data[i] as number) : argmax(c.targets.data, i, 3),
      );
      const predicted = Array.from({ length: 200 }, (_, i) => argmax(c.probs, i, 3));
      expectClose(createMetricsResult(c, ['precision', 'recall', 'f1']), referenceMacro(actual, predicted, [0, 1, 2]), 1e-14);
    }
    // Multi-label: each output is a binary problem (class 1 of that output); all outputs count.
    const c = makeCase('sigmoid3', 200, 10);
    const perOutput = [0, 1, 2].map((j) => {
      const actual = Array.from({ length: 200 }, (_, i) => ((c.targets.data[i * 3 + j] as number) >= 0.5 ? 1 : 0));
      const predicted = Array.from({ length: 200 }, (_, i) => ((c.probs[i * 3 + j] as number) >= 0.5 ? 1 : 0));
      return referenceMacro(actual, predicted, [1]);
    });
    const mean = (key: 'precision' | 'recall' | 'f1') => perOutput.reduce((s, r) => s + r[key], 0) / 3;
    expectClose(
      createMetricsResult(c, ['precision', 'recall', 'f1']),
      { precision: mean('precision'), recall: mean('recall'), f1: mean('f1') },
      1e-14,
    );
    // An output never positive in truth or prediction still counts (as 0) in the macro mean.
    const quiet: Case = {
      loss: 'binaryCrossEntropy',
      width: 2,
      probs: Float32Array.of(0.9, 0.1, 0.2, 0.1),
      targets: { kind: 'matrix', cols: 2, data: Float32Array.of(1, 0, 0, 0) },
      metrics: ['precision'],
    };
    expect(run(quiet, null).precision).toBe(0.5);
  });

  it('auc: one-vs-rest macro for softmax, macro over sigmoid outputs, NaN for a class never true', () => {
    for (const kind of ['softmaxLabels', 'softmaxOneHot', 'sigmoid3'] as const) {
      const c = makeCase(kind, 150, 11);
      const weights = Float32Array.from(randomFloats(150, 12), (v) => Math.round((v + 1) * 2));
      let sum = 0;
      for (let k = 0; k < 3; k++) {
        const scores = Array.from({ length: 150 }, (_, i) => c.probs[i * 3 + k] as number);
        const positive = Array.from({ length: 150 }, (_, i) => {
          if (kind === 'sigmoid3') return (c.targets.data[i * 3 + k] as number) >= 0.5 ? 1 : 0;
          return (c.targets.kind === 'labels' ? c.targets.data[i] : argmax(c.targets.data, i, 3)) === k ? 1 : 0;
        });
        sum += pairAuc(scores, positive, weights);
      }
      expect(Math.abs(run({ ...c, metrics: ['auc'] }, weights).auc! - sum / 3), kind).toBeLessThan(1e-12);
    }
    const c: Case = {
      loss: 'crossEntropy',
      width: 3,
      probs: Float32Array.of(0.8, 0.1, 0.1, 0.2, 0.7, 0.1),
      targets: { kind: 'labels', data: Int32Array.of(0, 1) },
      metrics: ['auc'],
    };
    expect(run(c, null).auc).toBeNaN(); // class 2 has no positives
    expect(run({ ...c, width: 2, probs: Float32Array.of(0.8, 0.2, 0.3, 0.7) }, null).auc).toBe(1);
  });
});

describe('regression metrics', () => {
  it('give the sklearn docstring answers', () => {
    const one: Case = {
      loss: 'meanSquaredError',
      width: 1,
      probs: Float32Array.of(2.5, 0, 2, 8),
      targets: { kind: 'matrix', cols: 1, data: Float32Array.of(3, -0.5, 2, 7) },
      metrics: ['mae', 'rmse', 'r2'],
    };
    expectClose(run(one, null), { mae: 0.5, rmse: Math.sqrt(0.375), r2: 0.9486081370449679 }, 1e-15);
    // Two outputs: r2_score's default uniform average 0.9368005266622779, mean_absolute_error 0.75.
    const two: Case = {
      loss: 'huber',
      width: 2,
      probs: Float32Array.of(0, 2, -1, 2, 8, -5),
      targets: { kind: 'matrix', cols: 2, data: Float32Array.of(0.5, 1, -1, 1, 7, -6) },
      metrics: ['r2', 'mae'],
    };
    expectClose(run(two, null), { r2: 0.9368005266622779, mae: 0.75 }, 1e-15);
  });

  it('r2 of a constant target is 1 for a perfect fit, else 0; NaN below two rows', () => {
    const c = (p: number[], y: number[]): Case => ({
      loss: 'meanAbsoluteError',
      width: 1,
      probs: Float32Array.from(p),
      targets: { kind: 'matrix', cols: 1, data: Float32Array.from(y) },
      metrics: ['r2'],
    });
    expect(run(c([-2, -2, -2], [-2, -2, -2]), null).r2).toBe(1);
    expect(run(c([-2, -2, -1.99], [-2, -2, -2]), null).r2).toBe(0);
    expect(run(c([1], [2]), null).r2).toBeNaN();
    expect(run(c([1, 3], [2, 4]), Float32Array.of(1, 0)).r2).toBeNaN(); // one row of weight > 0
  });

  it('r2 keeps its digits for targets far from zero, where Σy² − n·ȳ² does not', () => {
    const n = 3000;
    const y = Float32Array.from({ length: n }, (_, i) => 1e6 + (i % 3) * 0.125);
    const p = Float32Array.from(y, (v, i) => v + ((i % 5) - 2) * 0.0625);
    // Exact: every value is k/16, so n·256·SST = n·ΣY² − (ΣY)² and 256·SSE = Σ(P − Y)² in integers Y = 16y.
    let sumY = 0n;
    let sumY2 = 0n;
    let sse16 = 0n;
    for (let i = 0; i < n; i++) {
      const Y = BigInt(16 * (y[i] as number));
      const P = BigInt(16 * (p[i] as number));
      sumY += Y;
      sumY2 += Y * Y;
      sse16 += (P - Y) ** 2n;
    }
    const exact = 1 - Number(BigInt(n) * sse16) / Number(BigInt(n) * sumY2 - sumY * sumY);
    let sum = 0;
    let squares = 0;
    let sse = 0;
    for (let i = 0; i < n; i++) {
      sum += y[i] as number;
      squares += (y[i] as number) ** 2;
      sse += ((p[i] as number) - (y[i] as number)) ** 2;
    }
    const naive = 1 - sse / (squares - (sum * sum) / n);
    expect(Math.abs(naive - exact)).toBeGreaterThan(1e-6); // the test can tell a naive SST
    const got = run({ loss: 'meanSquaredError', width: 1, probs: p, targets: { kind: 'matrix', cols: 1, data: y }, metrics: ['r2'] }, null)
      .r2!;
    expect(Math.abs(got - exact)).toBeLessThan(1e-14);
  });

  it('match the two-pass reference, weighted and not', () => {
    const c = makeCase('regression2', 500, 21);
    const weights = Float32Array.from(randomFloats(500, 22), (v) => (v + 1) * 1.5);
    expectClose(run(c, null), referenceRegression(c.targets.data, c.probs, 2), 1e-12);
    expectClose(run(c, weights), referenceRegression(c.targets.data, c.probs, 2, weights), 1e-12);
  });
});

// ---- invariances ------------------------------------------------------------------------------

describe('weights and batches', () => {
  it('integer weights (0 included) equal repeating each row that many times', () => {
    for (const [n, kind] of kinds.entries()) {
      const c = makeCase(kind, 120, 30 + n);
      const weights = Float32Array.from(randomFloats(120, 40 + n), (v) => Math.floor((v + 1) * 2)); // 0..3
      expectClose(run(c, weights), run(repeatRows(c, weights), null), 1e-12);
    }
  });

  it('one batch and many uneven batches give the same figures', () => {
    const pick = sizePicker(5);
    for (const [n, kind] of kinds.entries()) {
      const c = makeCase(kind, 400, 50 + n);
      const weights = Float32Array.from(randomFloats(400, 60 + n), (v) => (v + 1) * 2);
      const sizes = Array.from({ length: 20 }, () => pick(1, 40));
      for (const w of [null, weights]) expectClose(run(c, w, sizes), run(c, w), 1e-12);
      expectClose(run(c, weights, [1]), run(c, weights), 1e-12);
    }
  });

  it('gathered batches (offset 0, weights gathered with the targets) equal offsets into the whole', () => {
    const c = makeCase('softmaxOneHot', 90, 70);
    const weights = Float32Array.from(randomFloats(90, 71), (v) => v + 1);
    const set = createMetrics(c.metrics, { loss: c.loss, outputWidth: 3 });
    for (let start = 0; start < 90; start += 32) {
      const batch = Math.min(32, 90 - start);
      const targets: Targets = { kind: 'matrix', cols: 3, data: c.targets.data.slice(start * 3, (start + batch) * 3) as Float32Array };
      set.update(c.probs.slice(start * 3, (start + batch) * 3), batch, targets, 0, weights.slice(start, start + batch));
    }
    expectClose(set.result(), run(c, weights), 1e-12);
  });

  it('reset forgets the epoch; no weight gives 0, or NaN for auc and r2', () => {
    const c = makeCase('sigmoid1', 50, 80);
    const set = createMetrics(c.metrics, { loss: c.loss, outputWidth: 1 });
    set.update(makeCase('sigmoid1', 50, 81).probs, 50, c.targets, 0, null);
    set.reset();
    set.update(c.probs, 50, c.targets, 0, null);
    expect(set.result()).toEqual(run(c, null));
    set.reset();
    set.update(c.probs, 50, c.targets, 0, new Float32Array(50));
    expect(set.result()).toEqual({ accuracy: 0, auc: Number.NaN, precision: 0, recall: 0, f1: 0 });
    const r = createMetrics(['mae', 'rmse', 'r2'], { loss: 'meanSquaredError', outputWidth: 1 });
    expect(r.result()).toEqual({ mae: 0, rmse: 0, r2: Number.NaN });
  });
});

// ---- custom metrics ---------------------------------------------------------------------------

describe('custom metrics', () => {
  const meanAbsolute = (yTrue: Matrix, yPred: Matrix) => {
    let s = 0;
    for (let i = 0; i < yTrue.data.length; i++) s += Math.abs((yTrue.data[i] as number) - (yPred.data[i] as number));
    return s / yTrue.data.length;
  };

  it('are named by the function, or metric1, metric2, … when anonymous', () => {
    const set = createMetrics([meanAbsolute, () => 1, 'mae', () => 2], { loss: 'meanSquaredError', outputWidth: 1 });
    expect(set.names).toEqual(['meanAbsolute', 'metric1', 'mae', 'metric2']);
  });

  it('average over batches weighted by batch rows (or batch weight), as MeanMetricWrapper', () => {
    const values: number[] = [];
    const c: Case = {
      loss: 'meanSquaredError',
      width: 1,
      probs: new Float32Array(4),
      targets: { kind: 'matrix', cols: 1, data: new Float32Array(4) },
      metrics: [() => values.shift() ?? Number.NaN],
    };
    values.push(1, 5);
    expect(run(c, null, [3, 1]).metric1).toBe((3 * 1 + 1 * 5) / 4);
    values.push(1, 5);
    expect(run(c, Float32Array.of(1, 1, 0, 2), [3, 1]).metric1).toBe((2 * 1 + 2 * 5) / 4);
    // A per-row mean gives the epoch's value whatever the batching, like the built-in.
    const r = { ...makeCase('regression2', 100, 90), metrics: [meanAbsolute, 'mae'] as MetricSpec[] };
    const figures = run(r, null, [7, 13, 1]);
    expect(Math.abs((figures.meanAbsolute as number) - (figures.mae as number))).toBeLessThan(1e-7);
  });

  it('see the targets as given (a column of class indices for labels) on copies', () => {
    const seen: [Matrix, Matrix][] = [];
    const set = createMetrics(
      [
        function spy(yTrue: Matrix, yPred: Matrix) {
          seen.push([yTrue, yPred]);
          yPred.data.fill(0); // must not reach the training loop's buffer
          return 0;
        },
      ],
      { loss: 'crossEntropy', outputWidth: 2 },
    );
    const probs = Float32Array.of(0.3, 0.7, 0.6, 0.4, 9, 9);
    set.update(probs.subarray(2), 2, { kind: 'labels', data: Int32Array.of(5, 1, 0) }, 1, null);
    expect(seen[0]![0]).toEqual({ rows: 2, cols: 1, data: Float32Array.of(1, 0) });
    expect(seen[0]![1].rows).toBe(2);
    expect(seen[0]![1].cols).toBe(2);
    expect(probs[2]).toBe(0.6000000238418579);
  });

  it('must return a number', () => {
    const set = createMetrics(
      [
        function bad() {
          return 'x' as unknown as number;
        },
      ],
      { loss: 'meanSquaredError', outputWidth: 1 },
    );
    expect(() => set.update(Float32Array.of(1), 1, { kind: 'matrix', cols: 1, data: Float32Array.of(1) }, 0, null)).toThrow(
      new TypeError('bad: expected a number for the value of the metric, received a string'),
    );
  });
});

// ---- validation -------------------------------------------------------------------------------

describe('checkMetrics', () => {
  const sigmoid = { loss: 'binaryCrossEntropy', outputWidth: 1 };
  const regression = { loss: 'meanSquaredError', outputWidth: 1 };
  const names = (metrics: unknown, ctx = sigmoid) => checkMetrics('compile', metrics, ctx).map((e) => e.name);

  it('resolves Keras aliases to our names', () => {
    expect(names(['acc', 'AUC', 'precision', 'recall', 'f1_score'])).toEqual(['accuracy', 'auc', 'precision', 'recall', 'f1']);
    expect(names(['mean_absolute_error', 'rootMeanSquaredError', 'r2_score'], regression)).toEqual(['mae', 'rmse', 'r2']);
    expect(names(['meanAbsoluteError', 'root_mean_squared_error'], { loss: 'huber', outputWidth: 3 })).toEqual(['mae', 'rmse']);
    expect(names([])).toEqual([]);
  });

  it('refuses a non-array and an entry of the wrong type, naming it', () => {
    expect(() => names('accuracy')).toThrow(
      new TypeError('compile: expected an array of metric names or functions for metrics, received a string'),
    );
    expect(() => names(['accuracy', 5])).toThrow(
      new TypeError('compile: expected a metric name or a function (yTrue, yPred) => number for metrics[1], received 5'),
    );
    expect(() => names([null])).toThrow(TypeError);
  });

  it('lists the names and suggests the one meant', () => {
    expect(() => names(['accuracy', 'accuracyy'])).toThrow(
      new RangeError(
        "compile: expected 'accuracy', 'auc', 'precision', 'recall', 'f1', 'mae', 'rmse' or 'r2' for metrics[1], received 'accuracyy' (did you mean 'accuracy'?)",
      ),
    );
    expect(() => names(['precison'])).toThrow(/metrics\[0\], received 'precison' \(did you mean 'precision'\?\)/);
    expect(() => names(['Accuracy'])).toThrow(/did you mean 'accuracy'/);
  });

  it('refuses metrics that mean nothing for the loss', () => {
    expect(() => names(['mae', 'auc'], regression)).toThrow(
      new RangeError(
        "compile: expected a regression metric ('mae', 'rmse' or 'r2') for the loss 'meanSquaredError' for metrics[1], received 'auc', a classification metric",
      ),
    );
    expect(() => names(['accuracy'], { loss: 'huber', outputWidth: 1 })).toThrow(/metrics\[0\].*'accuracy', a classification metric/);
    expect(() => names(['r2'])).toThrow(
      /expected a classification metric \('accuracy', 'auc', 'precision', 'recall' or 'f1'\) for the loss 'binaryCrossEntropy' for metrics\[0\], received 'r2', a regression metric/,
    );
    expect(() => names(['AUC'], { loss: 'crossEntropy', outputWidth: 1 })).toThrow(
      /'accuracy' for a softmax of one output .* for metrics\[0\], received 'AUC'/,
    );
    expect(names(['acc'], { loss: 'crossEntropy', outputWidth: 1 })).toEqual(['accuracy']);
  });

  it('refuses a metric given twice and custom names that collide', () => {
    expect(() => names(['accuracy', 'acc'])).toThrow(
      new RangeError("compile: expected each metric once for metrics[1], received 'accuracy' again (metrics[0] is the same)"),
    );
    const f = () => 0;
    expect(() => names([f, f])).toThrow(/metrics\[1\], received 'f' again/);
    for (const name of ['accuracy', 'loss', 'valLoss', 'samplesPerSecond']) {
      const named = { [name]: () => 0 }[name];
      expect(() => names([named]), name).toThrow(
        new RangeError(
          `compile: expected a function named like no built-in metric or key of the training logs for metrics[0], received one named '${name}'`,
        ),
      );
    }
    expect(
      names([
        function valid() {
          return 0;
        },
      ]),
    ).toEqual(['valid']);
  });

  it('createMetrics checks the same way, and update checks sizes', () => {
    expect(() => createMetrics(['rmse'], sigmoid)).toThrow(/createMetrics: .*metrics\[0\], received 'rmse'/);
    expect(() => createMetrics([], { loss: 'binaryCrossEntropy', outputWidth: 0 })).toThrow(RangeError);
    const set = createMetrics(['accuracy'], { loss: 'binaryCrossEntropy', outputWidth: 2 });
    const targets: Targets = { kind: 'matrix', cols: 2, data: new Float32Array(6) };
    expect(() => set.update(new Float32Array(3), 2, targets, 0, null)).toThrow(
      new RangeError('MetricSet.update: expected at least 4 values (2×2) for probs, received length 3'),
    );
    expect(() => set.update(new Float32Array(4), 2, targets, 2, null)).toThrow(
      /at least 4 rows \(offset \+ batch\) for targets, received 3/,
    );
    expect(() => set.update(new Float32Array(4), 2, targets, 0, new Float32Array(1))).toThrow(/weights/);
    expect(() => set.update(new Float32Array(4), 2, { kind: 'matrix', cols: 1, data: new Float32Array(6) }, 0, null)).toThrow(/2 columns/);
  });
});

// ---- small helpers ----------------------------------------------------------------------------

function argmax(values: ArrayLike<number>, row: number, width: number): number {
  let best = 0;
  for (let j = 1; j < width; j++) if ((values[row * width + j] as number) > (values[row * width + best] as number)) best = j;
  return best;
}

function createMetricsResult(c: Case, metrics: MetricSpec[]): Record<string, number> {
  return run({ ...c, metrics }, null);
}
