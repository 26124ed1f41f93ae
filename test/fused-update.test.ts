// The update kernels' fused L2 term and overflow check, on the active backend (npm test runs this
// file on native and on DENSENODE_BACKEND=js): the L2 term read inside the update gives the bits
// of the separate axpy pass it replaced, the returned index is the first overflowed weight, and
// fit's fused step trains exactly as the unfused step (the L2 term in the gradients) did.
import { describe, expect, it } from 'vitest';
import type { Backend } from '../lib/backend/backend.js';
import { activeSelection } from '../lib/backend/select.js';
import * as dn from '../lib/index.js';
import { l2Pieces } from '../lib/optimizers/l2-term.js';
import { randomFloats } from './helpers/reference.js';

const backend: Backend = activeSelection().backend;
// 37: vector tails; 100003: several chunks, spread over the pool on native.
const SIZES = [37, 100_003];

type Update = (l2: number, wd: number, clip: [] | [number, number], p: Float32Array, g: Float32Array, slots: Float32Array[]) => number;
const UPDATES: Record<string, { slots: number; run: Update }> = {
  sgd: { slots: 0, run: (l2, wd, clip, p, g) => backend.sgdUpdate(p.length, p, g, 0.05, wd, l2, ...clip) },
  momentum: {
    slots: 1,
    run: (l2, wd, clip, p, g, [v]) => backend.momentumUpdate(p.length, p, g, v as Float32Array, 0.05, 0.9, wd, l2, ...clip),
  },
  rmsprop: {
    slots: 1,
    run: (l2, wd, clip, p, g, [s]) => backend.rmspropUpdate(p.length, p, g, s as Float32Array, 0.01, 0.9, 1e-7, wd, l2, ...clip),
  },
  adam: {
    slots: 2,
    run: (l2, wd, clip, p, g, [m, v]) =>
      backend.adamUpdate(p.length, p, g, m as Float32Array, v as Float32Array, 0.01, 0.9, 0.999, 1e-7, 3, wd, l2, ...clip),
  },
};

/** The first element at which the arrays' bits differ (compared in order, one after another), or −1. */
function firstDifference(a: Float32Array[], b: Float32Array[]): number {
  const joined = (arrays: Float32Array[]) => Buffer.concat(arrays.map((x) => Buffer.from(x.buffer, x.byteOffset, x.byteLength)));
  const [x, y] = [joined(a), joined(b)];
  if (x.length !== y.length) return 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i >> 2;
  return -1;
}

describe('the L2 term fused into the updates', () => {
  for (const [name, { slots, run }] of Object.entries(UPDATES)) {
    it(`${name}: bit for bit axpy(l2·p) into the gradients, then the update without it`, () => {
      for (const n of SIZES) {
        for (const wd of [0, 0.01]) {
          for (const clip of [[], [0.4, 0], [0.7, 2e-3]] as ([] | [number, number])[]) {
            const p0 = randomFloats(n, 1);
            const g0 = randomFloats(n, 2).map((v) => v * 1e-2);
            const s0 = Array.from({ length: slots }, (_, k) => randomFloats(n, 3 + k).map(Math.abs));
            const l2 = 3e-3;
            const [fp, fg, fs] = [p0.slice(), g0.slice(), s0.map((s) => s.slice())];
            expect(run(l2, wd, clip, fp, fg, fs)).toBe(-1);
            const [up, ug, us] = [p0.slice(), g0.slice(), s0.map((s) => s.slice())];
            backend.axpy(n, l2, up, ug);
            expect(run(0, wd, clip, up, ug, us)).toBe(-1);
            expect(firstDifference([fp, ...fs], [up, ...us]), `n ${n} wd ${wd} clip ${clip.join(',')}`).toBe(-1);
            expect(firstDifference([fg], [g0]), 'the fused update leaves the gradients as they were').toBe(-1);
          }
        }
      }
    });
  }
});

describe('the updates report the first weight they overflow', () => {
  for (const [name, { slots, run }] of Object.entries(UPDATES)) {
    it(`${name}: −1 when every weight stays finite, else the first index that is not`, () => {
      const n = 100_003;
      const p = randomFloats(n, 4);
      const g = randomFloats(n, 5);
      const state = () => Array.from({ length: slots }, () => new Float32Array(n));
      expect(run(1e-4, 0, [], p.slice(), g, state())).toBe(-1);
      // A NaN gradient in a late chunk and an Infinity in an earlier one: the earlier index wins.
      const bad = g.slice();
      bad[90_001] = Number.NaN;
      expect(run(0, 0, [], p.slice(), bad, state())).toBe(90_001);
      bad[70_000] = Number.POSITIVE_INFINITY;
      expect(run(1e-4, 0.01, [], p.slice(), bad, state())).toBe(70_000);
      // A weight that the step itself carries past the float32 range (sgd from finite numbers).
      if (name === 'sgd') {
        const q = p.slice();
        const h = g.slice();
        q[12] = 3e38;
        h[12] = -3e38;
        expect(backend.sgdUpdate(n, q, h, 1, 0, 0)).toBe(12);
        expect(q[12]).toBe(Number.POSITIVE_INFINITY);
      }
    });
  }
});

describe('the optimizer cuts its calls where the L2 term starts and ends', () => {
  it('l2Pieces covers every trainable span once, marking the pieces inside a kernel', () => {
    const ranges = [[0, 10] as const, [14, 40] as const, [44, 46] as const];
    expect(l2Pieces([[0, 50]], ranges)).toEqual([
      [0, 10, true],
      [10, 14, false],
      [14, 40, true],
      [40, 44, false],
      [44, 46, true],
      [46, 50, false],
    ]);
    // A frozen middle layer: the spans are cut, a kernel across a span's edge is clipped to it.
    expect(
      l2Pieces(
        [
          [0, 12],
          [30, 50],
        ],
        ranges,
      ),
    ).toEqual([
      [0, 10, true],
      [10, 12, false],
      [30, 40, true],
      [40, 44, false],
      [44, 46, true],
      [46, 50, false],
    ]);
    expect(l2Pieces([[0, 50]], null)).toEqual([[0, 50, false]]);
  });

  const data = dn.breastCancer();
  const layers = [dn.dense(16), dn.batchNorm(), dn.relu(), dn.dense(8), dn.relu(), dn.dense(1), dn.sigmoid()];
  const build = (optimizer: dn.OptimizerSpec, clipNorm?: number) =>
    dn
      .sequential({ inputs: 30, seed: 5, layers })
      .compile({ loss: 'binaryCrossEntropy', l2: 0.05, optimizer: { ...optimizer, ...(clipNorm === undefined ? {} : { clipNorm }) } });

  for (const [label, optimizer, clipNorm] of [
    ['adam', dn.adam(), undefined],
    ['sgd with a frozen first layer', dn.sgd({ learningRate: 0.05 }), undefined],
    ['adam with clipNorm (the term goes into the gradients first)', dn.adam(), 0.5],
  ] as const) {
    it(`fit's fused step trains bit for bit as the unfused step: ${label}`, async () => {
      const fused = build(optimizer, clipNorm);
      const unfused = build(optimizer, clipNorm);
      if (label.includes('frozen')) for (const m of [fused, unfused]) m.setTrainable(0, false);
      await fused.fit(data.xTrain, data.yTrain, { epochs: 2, batchSize: 64, shuffle: false });
      // The same batches by hand, with the L2 term added into the gradients (lossAndGradients' default).
      const compiled = unfused.requireCompiled('test');
      const { rows, cols } = data.xTrain;
      const labels = Float32Array.from(data.yTrain as ArrayLike<number>);
      for (let epoch = 0; epoch < 2; epoch++) {
        for (let start = 0; start < rows; start += 64) {
          const batch = Math.min(64, rows - start);
          const x = data.xTrain.data.subarray(start * cols, (start + batch) * cols);
          const targets = { kind: 'matrix' as const, cols: 1, data: labels.subarray(start, start + batch) };
          unfused.lossAndGradients(new Float32Array(x), targets, batch);
          expect(compiled.optimizer.apply(unfused.backend, unfused.params, unfused.grads)).toBe(true);
          unfused.weightsChanged();
        }
      }
      expect(firstDifference([fused.params], [unfused.params])).toBe(-1);
    });
  }
});
