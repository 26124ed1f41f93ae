// The loss kernels' row weights and the regression losses Huber and MAE, on both backends: float64
// references, finite differences, what a weight means (a repeated or a dropped row),
// lossAndGradient's reductions, TensorFlow.js as an oracle, and the argument errors.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../lib/backend/backend.js';
import * as jsLosses from '../lib/backend/js/losses.js';
import { checkedSignatures } from '../lib/backend/signatures.js';
import { kernels } from '../lib/index.js';
import {
  DEFAULT_HUBER_DELTA,
  HUBER_DELTA_MAX,
  LOSSES,
  type LossName,
  lossAndGradient,
  REGRESSION_LOSSES,
  type Targets,
} from '../lib/losses.js';
import { binding, js, native } from './helpers/backends.js';
import { expectClose } from './helpers/compare.js';
import { randomFloats } from './helpers/reference.js';
import { lossRows, type ReferenceLoss } from './helpers/reference-kernels.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type Kernel =
  | 'sigmoidCrossEntropy'
  | 'softmaxCrossEntropyLabels'
  | 'softmaxCrossEntropy'
  | 'meanSquaredError'
  | 'huber'
  | 'meanAbsoluteError';
type Losses = Pick<Backend, Kernel>;
type Weights = Float32Array | null | undefined; // undefined: left out of the call

interface Case {
  kernel: Kernel;
  ref: ReferenceLoss;
  targets: 'binary' | 'labels' | 'soft' | 'values';
  delta: number;
}
const cases: Case[] = [
  { kernel: 'sigmoidCrossEntropy', ref: 'bce', targets: 'binary', delta: 1 },
  { kernel: 'softmaxCrossEntropyLabels', ref: 'ce', targets: 'labels', delta: 1 },
  { kernel: 'softmaxCrossEntropy', ref: 'ce', targets: 'soft', delta: 1 },
  { kernel: 'meanSquaredError', ref: 'mse', targets: 'values', delta: 1 },
  { kernel: 'huber', ref: 'huber', targets: 'values', delta: 0.7 },
  { kernel: 'meanAbsoluteError', ref: 'mae', targets: 'values', delta: 1 },
];
const backends: [string, Losses][] = [
  ['native', native],
  ['js', js],
];

interface Batch {
  rows: number;
  cols: number;
  z: Float32Array;
  /** Dense targets (one-hot rows for the labels). */
  y: Float32Array;
  labels: Int32Array;
}

function batchFor(c: Case, rows: number, cols: number, seed: number): Batch {
  const n = rows * cols;
  const z = randomFloats(n, seed).map((v) => v * 3);
  const labels = Int32Array.from({ length: rows }, (_, i) => (i * 7 + seed) % cols);
  let y = randomFloats(n, seed + 1);
  if (c.targets === 'binary') y = y.map((v) => (v > 0 ? 1 : 0));
  if (c.targets === 'labels') y = Float32Array.from({ length: n }, (_, i) => (labels[Math.floor(i / cols)] === i % cols ? 1 : 0));
  if (c.targets === 'soft') {
    y = y.map((v) => v + 1.5);
    for (let i = 0; i < rows; i++) {
      const row = y.subarray(i * cols, (i + 1) * cols);
      const sum = row.reduce((a, b) => a + b, 0);
      row.forEach((v, j) => {
        row[j] = v / sum;
      });
    }
  }
  return { rows, cols, z, y, labels };
}

/** One call of a case's kernel: (z, its targets, scale, dz, weights) -> the weighted sum. */
function run(b: Losses, c: Case, d: Batch, z: Float32Array, scale: number, dz: Float32Array | null, w: Weights): number {
  const tail: [] | [Float32Array | null] = w === undefined ? [] : [w];
  const { rows, cols, y } = d;
  switch (c.kernel) {
    case 'sigmoidCrossEntropy':
      return b.sigmoidCrossEntropy(rows, cols, z, y, scale, null, dz, ...tail);
    case 'softmaxCrossEntropyLabels':
      return b.softmaxCrossEntropyLabels(rows, cols, z, d.labels, scale, null, dz, ...tail);
    case 'softmaxCrossEntropy':
      return b.softmaxCrossEntropy(rows, cols, z, y, scale, null, dz, ...tail);
    case 'meanSquaredError':
      return b.meanSquaredError(rows, cols, z, y, scale, dz, ...tail);
    case 'huber':
      return b.huber(rows, cols, z, y, c.delta, scale, dz, ...tail);
    case 'meanAbsoluteError':
      return b.meanAbsoluteError(rows, cols, z, y, scale, dz, ...tail);
  }
}

const mixedWeights = (rows: number) => Float32Array.from({ length: rows }, (_, i) => [0.5, 2, 0, 1.25, 3][i % 5] as number);
const close = (got: number, want: number, rel: number, label: string) =>
  expect(Math.abs(got - want), `${label}: ${got} vs ${want}`).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(want)));

describe('every loss kernel against a float64 reference, with and without row weights', () => {
  for (const [name, b] of backends) {
    for (const c of cases) {
      it(`${c.kernel} on ${name}`, () => {
        for (const [rows, cols] of [
          [1, 1],
          [7, 3],
          [33, 5],
          [128, 1],
        ] as [number, number][]) {
          const d = batchFor(c, rows, cols, rows + cols);
          const ref = lossRows(c.ref, rows, cols, d.z, d.y, c.delta);
          for (const w of [null, mixedWeights(rows)]) {
            const scale = 0.37;
            const dz = new Float32Array(rows * cols);
            const loss = run(b, c, d, d.z, scale, dz, w);
            const weight = (i: number) => (w ? (w[i] as number) : 1);
            const want = ref.loss.reduce((a, l, i) => a + weight(i) * l, 0);
            const label = `${c.kernel} [${rows}, ${cols}]${w ? ' weighted' : ''}`;
            close(loss, want, 1e-6, label);
            const wantDz = ref.grad.map((g, i) => scale * weight(Math.floor(i / cols)) * g);
            expectClose(dz, wantDz, 1e-5, 1e-7, label);
          }
        }
      });
    }
  }
});

describe('gradients: finite differences in float64 (JS kernels), weighted', () => {
  const [rows, cols] = [5, 4];
  for (const c of cases) {
    it(`${c.kernel}`, () => {
      const d = batchFor(c, rows, cols, 11);
      const z = Float64Array.from(d.z);
      // Keep |z − y| off MAE's and Huber's kinks (0 and δ), where the derivative jumps.
      if (c.targets === 'values') {
        for (let i = 0; i < z.length; i++) {
          const gap = (z[i] as number) - (d.y[i] as number);
          if (Math.abs(gap) < 0.02 || Math.abs(Math.abs(gap) - c.delta) < 0.02) z[i] = (z[i] as number) + 0.1;
        }
      }
      const w = Float64Array.from(mixedWeights(rows));
      const as32 = (a: Float64Array) => a as unknown as Float32Array; // the JS kernels take either
      const loss = () => run(jsLosses, c, { ...d, y: as32(Float64Array.from(d.y)) }, as32(z), 1, null, as32(w));
      const dz = new Float64Array(z.length);
      run(jsLosses, c, { ...d, y: as32(Float64Array.from(d.y)) }, as32(z), 1, as32(dz), as32(w));
      const numeric = new Float64Array(z.length);
      const h = 1e-6;
      for (let i = 0; i < z.length; i++) {
        const v = z[i] as number;
        z[i] = v + h;
        const up = loss();
        z[i] = v - h;
        const down = loss();
        z[i] = v;
        numeric[i] = (up - down) / (2 * h);
      }
      const norm = (a: Float64Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0));
      const diff = norm(dz.map((v, i) => v - (numeric[i] as number)));
      expect(diff / Math.max(norm(dz), norm(numeric))).toBeLessThan(1e-7);
    });
  }
});

describe('what a row weight means', () => {
  for (const [name, b] of backends) {
    for (const c of cases) {
      it(`${c.kernel} on ${name}: null = left out = all ones, bitwise`, () => {
        const d = batchFor(c, 9, 3, 5);
        const outs = [undefined, null, new Float32Array(9).fill(1)].map((w) => {
          const dz = new Float32Array(27);
          return { loss: run(b, c, d, d.z, 0.25, dz, w), dz };
        });
        for (const o of outs.slice(1)) {
          expect(o.loss).toBe(outs[0]?.loss);
          expect(o.dz).toEqual(outs[0]?.dz);
        }
      });

      it(`${c.kernel} on ${name}: an integer weight is the row repeated, weight 0 the row dropped`, () => {
        const cols = 3;
        const d = batchFor(c, 5, cols, 8);
        const w = Float32Array.of(2, 0, 1, 3, 1);
        const copies = Array.from(w).flatMap((k, i) => Array.from({ length: k }, () => i));
        const pick = <T extends Float32Array | Int32Array>(a: T, width: number) =>
          copies.flatMap((i) => Array.from(a.subarray(i * width, (i + 1) * width)));
        const repeated: Batch = {
          rows: copies.length,
          cols,
          z: Float32Array.from(pick(d.z, cols)),
          y: Float32Array.from(pick(d.y, cols)),
          labels: Int32Array.from(pick(d.labels, 1)),
        };
        const dz = new Float32Array(5 * cols);
        const dzRepeated = new Float32Array(copies.length * cols);
        const weighted = run(b, c, d, d.z, 0.5, dz, w);
        close(weighted, run(b, c, repeated, repeated.z, 0.5, dzRepeated, null), 1e-6, 'weighted sum = repeated rows');
        // Each copy gets the row's unweighted gradient, so the row's is their sum: w times one copy's.
        const summed = new Float64Array(5 * cols);
        copies.forEach((row, k) => {
          for (let j = 0; j < cols; j++) summed[row * cols + j] = (summed[row * cols + j] as number) + (dzRepeated[k * cols + j] as number);
        });
        expectClose(dz, summed, 1e-6, 1e-7, 'weighted gradient = repeated rows');
        expect(Array.from(dz.subarray(cols, 2 * cols)).every((v) => v === 0)).toBe(true);
      });
    }
  }
});

describe('lossAndGradient', () => {
  const [batch, width] = [6, 3];
  const z = randomFloats(batch * width, 31).map((v) => v * 2);
  const values = randomFloats(batch * width, 32);
  const matrix: Targets = { kind: 'matrix', cols: width, data: values };
  const probabilities: Targets = { kind: 'matrix', cols: width, data: values.map((v) => (v + 1) / 2) };
  const targetsFor = (loss: LossName) => (REGRESSION_LOSSES.includes(loss) ? matrix : probabilities);

  it('exports the names, the regression losses and the default δ; HUBER_DELTA_MAX is the registry’s bound', () => {
    expect([...LOSSES]).toEqual(['binaryCrossEntropy', 'crossEntropy', 'meanSquaredError', 'huber', 'meanAbsoluteError']);
    expect([...REGRESSION_LOSSES]).toEqual(['meanSquaredError', 'huber', 'meanAbsoluteError']);
    expect(DEFAULT_HUBER_DELTA).toBe(1);
    const delta = checkedSignatures.huber.params.find((p) => p.name === 'delta');
    expect(delta).toMatchObject({ lo: 0, loOpen: true, hi: HUBER_DELTA_MAX, hiOpen: false });
  });

  for (const [name, b] of backends) {
    it(`on ${name}: the 9-argument call is the unweighted one; huber's δ defaults to 1`, () => {
      for (const loss of LOSSES) {
        const dz9 = new Float32Array(batch * width);
        const dz11 = new Float32Array(batch * width);
        const l9 = lossAndGradient(b as Backend, loss, batch, width, z, targetsFor(loss), 0, null, dz9);
        const l11 = lossAndGradient(b as Backend, loss, batch, width, z, targetsFor(loss), 0, null, dz11, null, { delta: 1 });
        expect(l11, loss).toBe(l9);
        expect(dz11, loss).toEqual(dz9);
      }
      const half = lossAndGradient(b as Backend, 'huber', batch, width, z, matrix, 0, null, null, null, { delta: 0.5 });
      expect(half).not.toBe(lossAndGradient(b as Backend, 'huber', batch, width, z, matrix, 0, null, null));
    });

    it(`on ${name}: Huber and MAE are a mean over outputs, then a weighted sum the caller divides by the batch`, () => {
      for (const [loss, ref, delta] of [
        ['huber', 'huber', 0.4],
        ['meanAbsoluteError', 'mae', 1],
        ['meanSquaredError', 'mse', 1],
      ] as const) {
        const { loss: rowLoss, grad } = lossRows(ref, batch, width, z, values, delta);
        const w = mixedWeights(batch);
        const dz = new Float32Array(batch * width);
        const got = lossAndGradient(b as Backend, loss, batch, width, z, matrix, 0, null, dz, w, { delta });
        close(
          got,
          rowLoss.reduce((a, l, i) => a + (w[i] as number) * (l / width), 0),
          1e-6,
          loss,
        );
        expectClose(
          dz,
          grad.map((g, i) => ((w[Math.floor(i / width)] as number) * g) / (batch * width)),
          1e-5,
          1e-8,
          loss,
        );
        // Divided by the batch, not by Σw: weights of 2 double the loss and the gradient exactly.
        const plain = new Float32Array(batch * width);
        const doubled = new Float32Array(batch * width);
        const l1 = lossAndGradient(b as Backend, loss, batch, width, z, matrix, 0, null, plain, null, { delta });
        const l2 = lossAndGradient(b as Backend, loss, batch, width, z, matrix, 0, null, doubled, new Float32Array(batch).fill(2), {
          delta,
        });
        expect(l2).toBe(2 * l1);
        expect(doubled).toEqual(plain.map((v) => 2 * v));
      }
    });

    it(`on ${name}: a short rowWeights or a δ out of range throws, whichever backend runs`, () => {
      expect(() => lossAndGradient(b as Backend, 'meanAbsoluteError', batch, width, z, matrix, 2, null, null, new Float32Array(7))).toThrow(
        new RangeError('lossAndGradient: expected a Float32Array of at least 8 elements for rowWeights, received length 7'),
      );
      for (const delta of [0, -1, Number.NaN, 2e6]) {
        expect(() => lossAndGradient(b as Backend, 'huber', batch, width, z, matrix, 0, null, null, null, { delta })).toThrow(
          new RangeError(`lossAndGradient: expected a number in (0, 1000000] for delta, received ${delta}`),
        );
      }
    });

    it(`on ${name}: rowWeights are indexed like the targets (targetOffset)`, () => {
      const all = 10;
      const ys = randomFloats(all * width, 40);
      const labels = Int32Array.from({ length: all }, (_, i) => i % width);
      const w = mixedWeights(all);
      const zs = z.subarray(0, 4 * width);
      for (const [loss, targets, sliced] of [
        ['huber', { kind: 'matrix', cols: width, data: ys }, { kind: 'matrix', cols: width, data: ys.slice(4 * width, 8 * width) }],
        ['crossEntropy', { kind: 'labels', data: labels }, { kind: 'labels', data: labels.slice(4, 8) }],
      ] as [LossName, Targets, Targets][]) {
        const whole = lossAndGradient(b as Backend, loss, 4, width, zs, targets, 4, null, null, w);
        expect(whole, loss).toBe(lossAndGradient(b as Backend, loss, 4, width, zs, sliced, 0, null, null, w.slice(4, 8)));
      }
    });
  }
});

describe('Huber and MAE against TensorFlow.js', () => {
  // tf.losses.* with their default reduction (sum over the elements, divided by their count) is our
  // value; with weights of shape [batch, 1], Reduction.SUM divided by the element count is Keras's.
  const batches: [number, number, number][] = [
    [16, 3, 1],
    [7, 1, 2],
    [32, 4, 3],
  ];
  for (const [name, b] of backends) {
    for (const [batch, width, seed] of batches) {
      it(`on ${name}, [${batch}, ${width}]: values and gradients`, () => {
        const count = batch * width;
        const z = randomFloats(count, seed).map((v) => v * 3);
        const y = randomFloats(count, seed + 100);
        const w = Float32Array.from(randomFloats(batch, seed + 200), (v) => Math.round((v + 1) * 2) / 2);
        const [zT, yT, wT] = [tf.tensor2d(z, [batch, width]), tf.tensor2d(y, [batch, width]), tf.tensor2d(w, [batch, 1])];
        const oracles: [LossName, number, (p: tf.Tensor, weights?: tf.Tensor) => tf.Scalar][] = [
          ['meanAbsoluteError', 1, (p, weights) => tf.losses.absoluteDifference(yT, p, weights, tf.Reduction.SUM).div(count) as tf.Scalar],
          ...[0.5, 1, 2].map(
            (delta) =>
              [
                'huber',
                delta,
                (p: tf.Tensor, weights?: tf.Tensor) => tf.losses.huberLoss(yT, p, weights, delta, tf.Reduction.SUM).div(count) as tf.Scalar,
              ] as [LossName, number, (p: tf.Tensor, weights?: tf.Tensor) => tf.Scalar],
          ),
        ];
        const targets: Targets = { kind: 'matrix', cols: width, data: y };
        for (const [loss, delta, oracle] of oracles) {
          for (const weights of [undefined, wT]) {
            const dz = new Float32Array(count);
            const mine = lossAndGradient(b as Backend, loss, batch, width, z, targets, 0, null, dz, weights ? w : null, { delta }) / batch;
            const label = `${loss} δ=${delta}${weights ? ' weighted' : ''}`;
            close(mine, oracle(zT, weights).dataSync()[0] as number, 1e-5, label);
            const grad = tf.grad((p: tf.Tensor) => oracle(p, weights))(zT);
            expectClose(dz, grad.dataSync(), 1e-5, 1e-7, label);
            grad.dispose();
          }
        }
        // The unweighted defaults: Huber's and MAE's default reductions, and the MAE metric's per-row means.
        const plain = (loss: LossName) => lossAndGradient(b as Backend, loss, batch, width, z, targets, 0, null, null) / batch;
        close(plain('huber'), tf.losses.huberLoss(yT, zT).dataSync()[0] as number, 1e-5, 'huber default');
        close(plain('meanAbsoluteError'), tf.losses.absoluteDifference(yT, zT).dataSync()[0] as number, 1e-5, 'mae default');
        close(plain('meanAbsoluteError'), tf.metrics.meanAbsoluteError(yT, zT).mean().dataSync()[0] as number, 1e-5, 'mae metric');
        tf.dispose([zT, yT, wT]);
      });
    }
  }
});

describe('the row weights and δ are checked like every other argument', () => {
  const f = (n: number) => new Float32Array(n);
  type Fn = (...args: unknown[]) => unknown;
  // Valid calls for 4 rows × 3 columns, rowWeights last.
  const calls: Record<Kernel, unknown[]> = {
    sigmoidCrossEntropy: [4, 3, f(12), f(12), 1, null, f(12)],
    softmaxCrossEntropyLabels: [4, 3, f(12), Int32Array.of(0, 1, 2, 0), 1, null, f(12)],
    softmaxCrossEntropy: [4, 3, f(12), f(12), 1, f(12), null],
    meanSquaredError: [4, 3, f(12), f(12), 1, f(12)],
    huber: [4, 3, f(12), f(12), 1, 1, f(12)],
    meanAbsoluteError: [4, 3, f(12), f(12), 1, null],
  };
  const targets = [
    ['the public kernels', kernels as unknown as Record<string, Fn>],
    ['the binding', binding as unknown as Record<string, Fn>],
  ] as const;
  for (const [where, target] of targets) {
    it(`${where}: a short, negative, NaN, infinite or mistyped rowWeights, or one overlapping dz`, () => {
      for (const [name, args] of Object.entries(calls)) {
        const fn = target[name] as Fn;
        const call = (w: unknown) => () => fn(...args, w);
        expect(typeof fn(...args, Float32Array.of(1, 0, 2, 0.5))).toBe('number');
        expect(call(f(3))).toThrow(
          new RangeError(`${name}: expected a Float32Array of at least 4 elements for rowWeights, received length 3`),
        );
        for (const [bad, shown] of [
          [-1, '-1'],
          [Number.NaN, 'NaN'],
          [Number.POSITIVE_INFINITY, 'Infinity'],
        ] as const) {
          expect(call(Float32Array.of(1, bad, 1, 1))).toThrow(
            new RangeError(`${name}: expected finite numbers >= 0 for rowWeights, received rowWeights[1] = ${shown}`),
          );
        }
        expect(call(new Float64Array(4))).toThrow(
          new TypeError(`${name}: expected a Float32Array or null for rowWeights, received a Float64Array`),
        );
        expect(call(undefined)).toThrow(new TypeError(`${name}: expected a Float32Array or null for rowWeights, received undefined`));
        const dz = args.indexOf(args.find((a, i) => i >= 5 && a instanceof Float32Array && a.length === 12));
        if (dz > 0) {
          const overlapping = [...args];
          const buffer = f(16);
          overlapping[dz] = buffer.subarray(0, 12);
          expect(() => fn(...overlapping, buffer.subarray(12, 16))).not.toThrow();
          expect(() => fn(...overlapping, buffer.subarray(10, 14))).toThrow(/must not overlap rowWeights/);
        }
      }
    });

    it(`${where}: huber's δ is a number in (0, 1e6]`, () => {
      const fn = target.huber as Fn;
      for (const delta of [0, -1, Number.NaN, 2e6]) {
        expect(() => fn(4, 3, f(12), f(12), delta, 1, null)).toThrow(
          new RangeError(`huber: expected a number in (0, 1000000] for delta, received ${delta}`),
        );
      }
      expect(() => fn(4, 3, f(12), f(12), '1', 1, null)).toThrow(TypeError);
      expect(typeof fn(4, 3, f(12), f(12), 1e6, 1, null)).toBe('number');
    });
  }
});
