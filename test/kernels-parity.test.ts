// Every layer, loss and optimizer kernel: native and JS on the same inputs of
// awkward sizes give the same answers to float tolerance.
import { describe, expect, it } from 'vitest';
import type { Backend } from '../lib/backend/backend.js';
import { js, native } from './helpers/backends.js';
import { expectClose } from './helpers/compare.js';
import { randomFloats } from './helpers/reference.js';

// Runs `call` on both backends with fresh copies of the same inputs; compares every array and the return value.
function parity(label: string, inputs: Float32Array[], call: (b: Backend, a: Float32Array[]) => unknown, rel = 1e-5, abs = 1e-6): void {
  const forNative = inputs.map((a) => a.slice());
  const forJs = inputs.map((a) => a.slice());
  const r1 = call(native, forNative);
  const r2 = call(js, forJs);
  forNative.forEach((a, i) => {
    expectClose(a, forJs[i] as Float32Array, rel, abs, `${label} array ${i}`);
  });
  if (typeof r1 === 'number') expect(Math.abs(r1 - (r2 as number))).toBeLessThanOrEqual(1e-5 * Math.abs(r2 as number) + 1e-5);
}

const sizes: [number, number][] = [
  [1, 3],
  [7, 1],
  [33, 65],
  [129, 257],
  [600, 300],
];

describe('layer and optimizer kernels, native vs js', () => {
  for (const [r, c] of sizes) {
    const n = r * c;
    it(`batch-norm train/infer/backward (with and without ReLU) at [${r}, ${c}]`, () => {
      for (const relu of [false, true]) {
        const arrays = [
          randomFloats(n, 1).map((v) => v * 4 + 2),
          randomFloats(c, 2),
          randomFloats(c, 3),
          randomFloats(c, 4),
          randomFloats(c, 5).map((v) => v + 1.5),
          new Float32Array(c),
          new Float32Array(c),
          new Float32Array(n),
          randomFloats(n, 6),
          new Float32Array(n),
          new Float32Array(c),
          new Float32Array(c),
          new Float32Array(n),
        ];
        parity(
          'batchnorm',
          arrays,
          (b, [x, g, beta, rm, rv, sm, si, y, dy, dx, dg, db, yi]) => {
            b.batchNormForwardTrain(r, c, x!, g!, beta!, 1e-3, 0.99, rm!, rv!, sm!, si!, y!, relu);
            b.batchNormBackward(r, c, x!, relu ? y! : null, dy!, g!, sm!, si!, dx!, dg!, db!);
            b.batchNormForwardInfer(r, c, x!, g!, beta!, rm!, rv!, 1e-3, yi!, relu);
            return undefined;
          },
          1e-4,
          1e-4,
        );
      }
    });

    it(`activations, softmax and losses at [${r}, ${c}]`, () => {
      for (const kind of ['linear', 'relu', 'leakyRelu', 'tanh', 'sigmoid'] as const) {
        parity(
          kind,
          [randomFloats(n, 7).map((v) => v * 5), new Float32Array(n), randomFloats(n, 8), new Float32Array(n)],
          (b, [x, y, dy, dx]) => {
            b.activationForward(kind, n, x!, y!, 0.2);
            b.activationBackward(kind, n, y!, dy!, dx!, 0.2);
            return undefined;
          },
        );
      }
      const z = randomFloats(n, 9).map((v) => v * 30);
      parity('softmax', [z, new Float32Array(n), randomFloats(n, 10), new Float32Array(n)], (b, [x, y, dy, dx]) => {
        b.softmaxForward(r, c, x!, y!);
        b.softmaxBackward(r, c, y!, dy!, dx!);
        return undefined;
      });
      const targets = randomFloats(n, 11).map((v) => (v > 0 ? 1 : 0));
      const labels = Int32Array.from({ length: r }, (_, i) => (i * 7) % c);
      parity('bce', [z, targets, new Float32Array(n), new Float32Array(n)], (b, [zz, t, p, d]) =>
        b.sigmoidCrossEntropy(r, c, zz!, t!, 1 / n, p!, d!),
      );
      parity('ce labels', [z, new Float32Array(n), new Float32Array(n)], (b, [zz, p, d]) =>
        b.softmaxCrossEntropyLabels(r, c, zz!, labels, 1 / r, p!, d!),
      );
      parity('ce dense', [z, targets, new Float32Array(n), new Float32Array(n)], (b, [zz, t, p, d]) =>
        b.softmaxCrossEntropy(r, c, zz!, t!, 1 / r, p!, d!),
      );
      parity('mse', [z, targets, new Float32Array(n)], (b, [zz, t, d]) => b.meanSquaredError(r, c, zz!, t!, 1 / n, d!));
      // The regression losses on outputs near their targets, so that Huber's two pieces and MAE's
      // both signs (and z = y) all occur; every loss again with row weights (0 included).
      const outputs = randomFloats(n, 24).map((v) => v * 3);
      const values = randomFloats(n, 25);
      outputs[0] = values[0] as number;
      const weights = Float32Array.from({ length: r }, (_, i) => [0, 1, 2.5, 0.3][i % 4] as number);
      for (const w of [null, weights]) {
        const tag = w ? ' weighted' : '';
        parity(`huber${tag}`, [outputs, values, new Float32Array(n)], (b, [zz, t, d]) => b.huber(r, c, zz!, t!, 1.5, 1 / n, d!, w));
        parity(`mae${tag}`, [outputs, values, new Float32Array(n)], (b, [zz, t, d]) => b.meanAbsoluteError(r, c, zz!, t!, 1 / n, d!, w));
        if (!w) continue;
        parity('bce weighted', [z, targets, new Float32Array(n), new Float32Array(n)], (b, [zz, t, p, d]) =>
          b.sigmoidCrossEntropy(r, c, zz!, t!, 1 / n, p!, d!, w),
        );
        parity('ce labels weighted', [z, new Float32Array(n), new Float32Array(n)], (b, [zz, p, d]) =>
          b.softmaxCrossEntropyLabels(r, c, zz!, labels, 1 / r, p!, d!, w),
        );
        parity('ce dense weighted', [z, targets, new Float32Array(n), new Float32Array(n)], (b, [zz, t, p, d]) =>
          b.softmaxCrossEntropy(r, c, zz!, t!, 1 / r, p!, d!, w),
        );
        parity('mse weighted', [outputs, values, new Float32Array(n)], (b, [zz, t, d]) => b.meanSquaredError(r, c, zz!, t!, 1 / n, d!, w));
      }
    });

    it(`dropout, column sums, axpy and the optimizers at ${n} elements`, () => {
      const mask = Uint8Array.from({ length: n }, (_, i) => ((i * 2654435761) % 5 > 0 ? 1 : 0));
      parity('dropout', [randomFloats(n, 12), new Float32Array(n)], (b, [x, y]) => b.dropoutApply(n, x!, mask, 0.8, y!));
      // The same units are dropped on both backends: the masks and the advanced states are identical.
      const masks = [native, js].map((b) => {
        const state = new Uint32Array([n, 2, 3, 4]);
        const m = new Uint8Array(n);
        b.dropoutMask(n, 0.7, state, m);
        return { m, state };
      });
      expect(masks[0]?.m).toEqual(masks[1]?.m);
      expect(masks[0]?.state).toEqual(masks[1]?.state);
      parity('columnSums', [randomFloats(n, 13), randomFloats(c, 14)], (b, [x, out]) => b.columnSums(r, c, x!, c, 0.5, 0.25, out!));
      parity('axpy', [randomFloats(n, 15), randomFloats(n, 16)], (b, [x, y]) => b.axpy(n, -0.3, x!, y!));
      const p = randomFloats(n, 17);
      const g = randomFloats(n, 18);
      parity('sgd', [p, g], (b, [pp, gg]) => b.sgdUpdate(n, pp!, gg!, 0.1, 0.01, 0));
      parity('momentum', [p, g, randomFloats(n, 19)], (b, [pp, gg, v]) => b.momentumUpdate(n, pp!, gg!, v!, 0.1, 0.9, 0, 0));
      parity('rmsprop', [p, g, randomFloats(n, 20).map(Math.abs)], (b, [pp, gg, s]) =>
        b.rmspropUpdate(n, pp!, gg!, s!, 0.01, 0.9, 1e-7, 0, 0),
      );
      parity('adam', [p, g, randomFloats(n, 21), randomFloats(n, 22).map(Math.abs)], (b, [pp, gg, m, v]) =>
        b.adamUpdate(n, pp!, gg!, m!, v!, 0.001, 0.9, 0.999, 1e-7, 3, 0.01, 0),
      );
      // Clipped: the norm factor alone, the value clamp alone, both, and a factor below FLT_MIN.
      for (const [scale, clip] of [
        [0.37, 0],
        [1, 0.3],
        [0.37, 0.3],
        [1e-39, 0],
      ] as const) {
        const tag = ` gradScale ${scale} clipValue ${clip}`;
        parity(`sgd${tag}`, [p, g], (b, [pp, gg]) => b.sgdUpdate(n, pp!, gg!, 0.1, 0.01, 0, scale, clip));
        parity(`momentum${tag}`, [p, g, randomFloats(n, 19)], (b, [pp, gg, v]) =>
          b.momentumUpdate(n, pp!, gg!, v!, 0.1, 0.9, 0, 0, scale, clip),
        );
        parity(`rmsprop${tag}`, [p, g, randomFloats(n, 20).map(Math.abs)], (b, [pp, gg, s]) =>
          b.rmspropUpdate(n, pp!, gg!, s!, 0.01, 0.9, 1e-7, 0, 0, scale, clip),
        );
        parity(`adam${tag}`, [p, g, randomFloats(n, 21), randomFloats(n, 22).map(Math.abs)], (b, [pp, gg, m, v]) =>
          b.adamUpdate(n, pp!, gg!, m!, v!, 0.001, 0.9, 0.999, 1e-7, 3, 0.01, 0, scale, clip),
        );
      }
      // The squared norm is the same float64 on both backends, bit for bit (one order of additions).
      const wide = randomFloats(n, 26).map((v, i) => v * 10 ** ((i % 9) - 4));
      expect(native.sumOfSquares(n, wide)).toBe(js.sumOfSquares(n, wide));
      for (const clip of [0, 0.5, 1e-3]) {
        expect(native.sumOfSquares(n, wide, clip), `sumOfSquares clipValue ${clip}`).toBe(js.sumOfSquares(n, wide, clip));
      }
      const bad = randomFloats(n, 23);
      bad[n - 1] = Number.NaN;
      expect(native.findNonFinite(n, bad)).toBe(js.findNonFinite(n, bad));
    });
  }
});

describe('expandRows, native vs js, unchecked', () => {
  // Stored rows of (x0, x1, level of 4, level of 2, target) into rows of 2 + 4 + 2 features.
  const layout = Int32Array.from([0, 0, 2, 2, 2, -4, 3, 6, -2]);
  const stored = (levels: number[][]) => Float32Array.from(levels.flatMap(([a, b], i) => [i + 0.5, -i, a as number, b as number, i]));
  const run = (b: Backend, src: Float32Array, indices: number[]) => {
    const dst = new Float32Array(indices.length * 8).fill(Number.NaN);
    const targets = new Float32Array(indices.length);
    b.expandRows(indices.length, src.length / 5, 5, 8, src, Uint32Array.from(indices), 3, layout, dst, targets);
    return [dst, targets];
  };
  const error = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e;
    }
    return null;
  };

  it('gives the same rows and targets, and the same first error, on both backends', () => {
    const src = stored([
      [0, 1],
      [4, 2],
      [3, 0],
    ]);
    expect(run(native, src, [2, 0, 1, 1])).toEqual(run(js, src, [2, 0, 1, 1]));
    const bad = stored([
      [0, 1],
      [1.5, 0],
      [3, 3],
    ]);
    for (const indices of [[0, 2, 1], [1], [0, 3, 1]]) {
      const e = error(() => run(native, bad, indices));
      expect(e).toBeInstanceOf(RangeError);
      expect(e).toEqual(error(() => run(js, bad, indices)));
    }
  });
});

// A NaN that reaches a ReLU must stay NaN on every path (the GEMM's fused epilogue, batch-norm's,
// the activation), so the non-finite scans see it; the native tiles once turned it into 0.
describe('ReLU keeps NaN, native vs js', () => {
  it("gemm's ReLU epilogue leaves NaN rows NaN on every shape path, the rest as js", () => {
    for (const [m, n, k] of [
      [1, 40, 30],
      [3, 7, 5],
      [64, 96, 70],
      [130, 10, 33],
      [20, 300, 1],
    ] as const) {
      const A = randomFloats(m * k, m + n);
      A[(m >> 1) * k] = Number.NaN; // row m/2 of C is NaN before the ReLU
      const B = randomFloats(k * n, k);
      const bias = randomFloats(n, 3);
      const out = (b: Backend) => {
        const C = new Float32Array(m * n);
        b.gemm(false, false, m, n, k, 1, A, k, B, n, 0, C, n, { bias, activation: 'relu' });
        return C;
      };
      const [x, y] = [out(native), out(js)];
      for (let j = 0; j < n; j++) expect(Number.isNaN(x[(m >> 1) * n + j] as number), `${m}×${n}×${k} column ${j}`).toBe(true);
      expect(x.map((v, i) => (Number.isNaN(v) ? 1 : 0) - (Number.isNaN(y[i] as number) ? 1 : 0)).every((d) => d === 0)).toBe(true);
      expectClose(
        x.filter((v) => !Number.isNaN(v)),
        y.filter((v) => !Number.isNaN(v)),
        1e-4,
        1e-5,
      );
    }
  });
});

describe('dropoutApply, native vs js', () => {
  it('a nonzero mask byte keeps the unit (never x·255), and a dropped NaN stays NaN', () => {
    const x = Float32Array.from([2, -3, Number.NaN, 4, Number.NaN, 5, Number.POSITIVE_INFINITY, 1]);
    const mask = Uint8Array.from([0, 1, 0, 2, 1, 255, 0, 7]);
    const want = [0, -6, Number.NaN, 8, Number.NaN, 10, Number.NaN, 2];
    for (const b of [native, js]) {
      const y = new Float32Array(x.length);
      b.dropoutApply(x.length, x, mask, 0.5, y);
      expect(Array.from(y), b.name).toEqual(want);
    }
  });
});
