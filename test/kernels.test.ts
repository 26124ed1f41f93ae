// Layer, loss and optimizer kernels on the active backend against float64
// references written straight from the formulas.
import { describe, expect, it } from 'vitest';
import { backendInfo, kernels } from '../lib/index.js';
import { Random } from '../lib/random.js';
import { expectClose } from './helpers/compare.js';
import { randomFloats } from './helpers/reference.js';
import { activation, activationDerivative, adamSteps, bnBackward, bnTrain, rows, softmaxRow } from './helpers/reference-kernels.js';

const shapes: [number, number][] = [
  [1, 1],
  [2, 7],
  [5, 33],
  [128, 257],
  [33, 1],
];

describe('batch-norm', () => {
  for (const [batch, features] of shapes) {
    it(`training forward, running statistics and backward match float64 at [${batch}, ${features}]`, () => {
      const x = randomFloats(batch * features, batch + features).map((v, i) => v * 3 + (i % features));
      const gamma = randomFloats(features, 2).map((v) => v + 1.5);
      const beta = randomFloats(features, 3);
      const runningMean = randomFloats(features, 4);
      const runningVar = randomFloats(features, 5).map((v) => v + 2);
      const before = { mean: runningMean.slice(), variance: runningVar.slice() };
      const savedMean = new Float32Array(features);
      const savedInvStd = new Float32Array(features);
      for (const relu of [false, true]) {
        const y = new Float32Array(batch * features);
        runningMean.set(before.mean);
        runningVar.set(before.variance);
        kernels.batchNormForwardTrain(batch, features, x, gamma, beta, 1e-3, 0.9, runningMean, runningVar, savedMean, savedInvStd, y, relu);
        const ref = bnTrain(batch, features, x, gamma, beta, 1e-3, relu);
        expectClose(y, ref.y, 1e-4, 1e-4, 'y');
        expectClose(savedMean, ref.mean, 1e-5, 1e-5, 'savedMean');
        expectClose(
          savedInvStd,
          Array.from(ref.variance, (v) => 1 / Math.sqrt(v + 1e-3)),
          1e-4,
          0,
          'savedInvStd',
        );
        expectClose(
          runningMean,
          Array.from(before.mean, (m, j) => 0.9 * m + 0.1 * (ref.mean[j] as number)),
          1e-5,
          1e-6,
          'runningMean',
        );
        expectClose(
          runningVar,
          Array.from(before.variance, (v, j) => 0.9 * v + 0.1 * (ref.variance[j] as number)),
          1e-5,
          1e-5,
          'runningVar',
        );
        const dy = randomFloats(batch * features, 9);
        const dx = new Float32Array(batch * features);
        const dgamma = new Float32Array(features);
        const dbeta = new Float32Array(features);
        kernels.batchNormBackward(batch, features, x, relu ? y : null, dy, gamma, savedMean, savedInvStd, dx, dgamma, dbeta);
        const back = bnBackward(batch, features, x, relu ? y : null, dy, gamma, 1e-3);
        expectClose(dbeta, back.dbeta, 1e-5, 1e-5, 'dbeta');
        expectClose(dgamma, back.dgamma, 1e-4, 1e-4, 'dgamma');
        expectClose(dx, back.dx, 1e-3, 2e-4, 'dx');
      }
    });
  }

  it('fused dropout (mask after the ReLU, dy scaled by 1/keep) equals batch-norm + ReLU then dropoutApply', () => {
    const [batch, features, keep] = [37, 70, 0.7];
    const count = batch * features;
    const x = randomFloats(count, 11).map((v, i) => v * 2 + (i % 3));
    const gamma = randomFloats(features, 12).map((v) => v + 1.2);
    const beta = randomFloats(features, 13);
    const dy = randomFloats(count, 14);
    const mask = new Uint8Array(count);
    kernels.dropoutMask(count, keep, new Uint32Array([3, 1, 4, 1]), mask);
    const stats = () => Array.from({ length: 4 }, () => new Float32Array(features));
    // Unfused: batch-norm + ReLU, then dropout; backward: dropout, then batch-norm with the ReLU mask.
    const [rm1, rv1, sm1, si1] = stats();
    const relu = new Float32Array(count);
    kernels.batchNormForwardTrain(batch, features, x, gamma, beta, 1e-3, 0.9, rm1, rv1, sm1, si1, relu, true);
    const dropped = new Float32Array(count);
    kernels.dropoutApply(count, relu, mask, keep, dropped);
    const dA = new Float32Array(count);
    kernels.dropoutApply(count, dy, mask, keep, dA);
    const [dx1, dg1, db1] = [new Float32Array(count), new Float32Array(features), new Float32Array(features)];
    kernels.batchNormBackward(batch, features, x, relu, dA, gamma, sm1, si1, dx1, dg1, db1);
    // Fused: one forward writing the dropped output, one backward masking by it.
    const [rm2, rv2, sm2, si2] = stats();
    const y = new Float32Array(count);
    kernels.batchNormForwardTrain(batch, features, x, gamma, beta, 1e-3, 0.9, rm2, rv2, sm2, si2, y, true, mask, keep);
    const [dx2, dg2, db2] = [new Float32Array(count), new Float32Array(features), new Float32Array(features)];
    kernels.batchNormBackward(batch, features, x, y, dy, gamma, sm2, si2, dx2, dg2, db2, 1 / keep);
    expectClose(y, dropped, 1e-6, 1e-7, 'fused forward');
    expectClose(dx2, dx1, 1e-5, 1e-6, 'fused dx');
    expectClose(dg2, dg1, 1e-5, 1e-6, 'fused dgamma');
    expectClose(db2, db1, 1e-5, 1e-6, 'fused dbeta');
    expect(y.some((v, i) => mask[i] === 0 && v !== 0)).toBe(false);
    if (backendInfo().name === 'native') {
      // The same operations in the same order: the same bits.
      expect(y).toEqual(dropped);
      expect(dx2).toEqual(dx1);
    }
    // The mask must cover the batch, keep must be in (0, 1], and both come together.
    expect(() =>
      kernels.batchNormForwardTrain(batch, features, x, gamma, beta, 1e-3, 0.9, rm2, rv2, sm2, si2, y, true, mask.subarray(1), keep),
    ).toThrow(`batchNormForwardTrain: expected a Uint8Array of at least ${count} elements for mask, received length ${count - 1}`);
    expect(() => kernels.batchNormForwardTrain(batch, features, x, gamma, beta, 1e-3, 0.9, rm2, rv2, sm2, si2, y, true, mask, 0)).toThrow(
      'batchNormForwardTrain: expected a number in (0, 1] for keep, received 0',
    );
    const partial = [batch, features, x, gamma, beta, 1e-3, 0.9, rm2, rv2, sm2, si2, y, true, mask] as unknown[];
    expect(() => (kernels.batchNormForwardTrain as (...a: unknown[]) => void)(...partial)).toThrow(
      'batchNormForwardTrain: expected 13 or 15 arguments, received 14',
    );
  });

  it('inference forward uses the running statistics, in place too', () => {
    const [batch, features] = [9, 13];
    const x = randomFloats(batch * features, 1);
    const gamma = randomFloats(features, 2);
    const beta = randomFloats(features, 3);
    const mean = randomFloats(features, 4);
    const variance = randomFloats(features, 5).map((v) => v + 1.5);
    const y = x.slice();
    kernels.batchNormForwardInfer(batch, features, y, gamma, beta, mean, variance, 1e-5, y, true);
    const want = Array.from(x, (v, i) => {
      const j = i % features;
      return Math.max(
        0,
        ((gamma[j] as number) * (v - (mean[j] as number))) / Math.sqrt((variance[j] as number) + 1e-5) + (beta[j] as number),
      );
    });
    expectClose(y, want, 1e-5, 1e-6, 'y');
  });

  it('backward accepts dx = dy (in place)', () => {
    const [batch, features] = [6, 5];
    const x = randomFloats(batch * features, 1);
    const gamma = randomFloats(features, 2);
    const stats = { mean: new Float32Array(features), invStd: new Float32Array(features) };
    const y = new Float32Array(batch * features);
    const running = [new Float32Array(features), new Float32Array(features)] as const;
    kernels.batchNormForwardTrain(batch, features, x, gamma, gamma.slice(), 1e-5, 0.99, ...running, stats.mean, stats.invStd, y, false);
    const dy = randomFloats(batch * features, 3);
    const apart = new Float32Array(batch * features);
    const grads = [new Float32Array(features), new Float32Array(features)] as const;
    kernels.batchNormBackward(batch, features, x, null, dy, gamma, stats.mean, stats.invStd, apart, ...grads);
    kernels.batchNormBackward(batch, features, x, null, dy, gamma, stats.mean, stats.invStd, dy, ...grads);
    expectClose(dy, apart, 1e-6, 1e-7, 'dx in place');
  });
});

describe('activations and softmax', () => {
  for (const kind of ['linear', 'relu', 'leakyRelu', 'tanh', 'sigmoid'] as const) {
    it(`${kind} forward and backward match float64 (count 1, 31, 70000)`, () => {
      for (const count of [1, 31, 70_000]) {
        const x = randomFloats(count, count).map((v) => v * 6);
        const y = new Float32Array(count);
        kernels.activationForward(kind, count, x, y, 0.1);
        expectClose(
          y,
          Array.from(x, (v) => activation(kind, v, 0.1)),
          2e-6,
          2e-7,
          `${kind} y`,
        );
        const dy = randomFloats(count, 7);
        const dx = new Float32Array(count);
        kernels.activationBackward(kind, count, y, dy, dx, 0.1);
        expectClose(
          dx,
          Array.from(x, (v, i) => (dy[i] as number) * activationDerivative(kind, v, 0.1)),
          1e-5,
          1e-6,
          `${kind} dx`,
        );
        kernels.activationForward(kind, count, x, x, 0.1); // in place
        expectClose(x, y, 0, 0, `${kind} in place`);
      }
    });
  }

  it('softmax forward and backward match float64, rows sum to 1', () => {
    for (const [r, c] of [
      [1, 1],
      [3, 10],
      [64, 257],
    ] as const) {
      const x = randomFloats(r * c, c).map((v) => v * 20);
      const y = new Float32Array(r * c);
      kernels.softmaxForward(r, c, x, y);
      const want = rows(x, r, c).flatMap(softmaxRow);
      expectClose(y, want, 1e-5, 1e-7, 'softmax');
      const dy = randomFloats(r * c, 3);
      const dx = new Float32Array(r * c);
      kernels.softmaxBackward(r, c, y, dy, dx);
      const wantDx = rows(want, r, c).flatMap((row, i) => {
        const d = Array.from({ length: c }, (_, j) => dy[i * c + j] as number);
        const dot = row.reduce((a, p, j) => a + p * (d[j] as number), 0);
        return row.map((p, j) => p * ((d[j] as number) - dot));
      });
      expectClose(dx, wantDx, 1e-4, 1e-6, 'softmax dx');
    }
  });
});

describe('losses from logits', () => {
  const [r, c] = [17, 5];
  const z = randomFloats(r * c, 11).map((v) => v * 8);

  it('sigmoid + binary cross-entropy: loss, probabilities, dz = scale·(A − Y)', () => {
    const y = randomFloats(r * c, 12).map((v) => (v > 0 ? 1 : 0));
    const probs = new Float32Array(r * c);
    const dz = new Float32Array(r * c);
    const loss = kernels.sigmoidCrossEntropy(r, c, z, y, 0.5, probs, dz);
    const p = Array.from(z, (v) => 1 / (1 + Math.exp(-v)));
    const want = p.reduce((a, pi, i) => a - ((y[i] as number) * Math.log(pi) + (1 - (y[i] as number)) * Math.log(1 - pi)), 0);
    expect(loss).toBeCloseTo(want, 3);
    expectClose(probs, p, 1e-6, 1e-7, 'probs');
    expectClose(
      dz,
      p.map((pi, i) => 0.5 * (pi - (y[i] as number))),
      1e-5,
      1e-7,
      'dz',
    );
  });

  it('softmax + cross-entropy with integer labels and with one-hot rows agree with float64 and each other', () => {
    const labels = Int32Array.from({ length: r }, (_, i) => (i * 3) % c);
    const onehot = new Float32Array(r * c);
    labels.forEach((l, i) => {
      onehot[i * c + l] = 1;
    });
    const dz1 = new Float32Array(r * c);
    const dz2 = new Float32Array(r * c);
    const probs = new Float32Array(r * c);
    const l1 = kernels.softmaxCrossEntropyLabels(r, c, z, labels, 1 / r, probs, dz1);
    const l2 = kernels.softmaxCrossEntropy(r, c, z, onehot, 1 / r, null, dz2);
    const p = rows(z, r, c).map(softmaxRow);
    const want = p.reduce((a, row, i) => a - Math.log(row[labels[i] as number] as number), 0);
    expect(l1).toBeCloseTo(want, 3);
    expect(l2).toBeCloseTo(want, 3);
    expectClose(probs, p.flat(), 1e-5, 1e-7, 'probs');
    const wantDz = p.flatMap((row, i) => row.map((pi, j) => (pi - (j === labels[i] ? 1 : 0)) / r));
    expectClose(dz1, wantDz, 1e-5, 1e-7, 'dz labels');
    expectClose(dz2, wantDz, 1e-5, 1e-7, 'dz one-hot');
  });

  it('soft targets: dz = scale·(softmax·Σy − y)', () => {
    const y = randomFloats(r * c, 5).map((v) => Math.abs(v));
    const dz = new Float32Array(r * c);
    const loss = kernels.softmaxCrossEntropy(r, c, z, y, 1, null, dz);
    const p = rows(z, r, c).map(softmaxRow);
    const t = rows(y, r, c);
    const want = p.reduce((a, row, i) => a - row.reduce((b, pi, j) => b + (t[i]?.[j] as number) * Math.log(pi), 0), 0);
    expect(loss).toBeCloseTo(want, 3);
    const wantDz = p.flatMap((row, i) => {
      const mass = (t[i] as number[]).reduce((a, b) => a + b, 0);
      return row.map((pi, j) => pi * mass - (t[i]?.[j] as number));
    });
    expectClose(dz, wantDz, 1e-5, 1e-6, 'dz');
  });

  it('mean squared error: Σ(z − y)² and dz = scale·2·(z − y), also in place', () => {
    const y = randomFloats(r * c, 6);
    const dz = z.slice();
    const loss = kernels.meanSquaredError(r, c, dz, y, 0.25, dz);
    expect(loss).toBeCloseTo(
      Array.from(z).reduce((a, v, i) => a + (v - (y[i] as number)) ** 2, 0),
      2,
    );
    expectClose(
      dz,
      Array.from(z, (v, i) => 0.5 * (v - (y[i] as number))),
      1e-6,
      1e-7,
      'dz',
    );
  });
});

describe('dropout, column sums, row gathers, axpy, non-finite scan', () => {
  it('dropout masks keep each unit with probability keep, drawing from the model PRNG', () => {
    for (const keep of [0.2, 0.5, 0.8]) {
      const state = new Uint32Array([11, 22, 33, 44]);
      const mask = new Uint8Array(200_000);
      kernels.dropoutMask(mask.length, keep, state, mask);
      const kept = mask.reduce((a, b) => a + b, 0) / mask.length;
      // 200 000 Bernoulli draws: the standard error is below 0.0012.
      expect(Math.abs(kept - keep)).toBeLessThan(0.005);
      expect(mask.every((m) => m === 0 || m === 1)).toBe(true);
      // The same draws as the model's generator from the same state.
      const random = new Random(0);
      random.setState([11, 22, 33, 44]);
      const expected = new Uint8Array(mask.length);
      random.dropoutMask(expected, expected.length, keep);
      expect(mask).toEqual(expected);
      expect(Array.from(state)).toEqual(random.getState());
    }
    expect(() => kernels.dropoutMask(4, 0.5, new Uint32Array(4), new Uint8Array(4))).toThrow(
      'dropoutMask: expected four 32-bit words, not all 0 for state, received all 0',
    );
  });

  it('dropout scales kept units by 1/keep and zeroes the rest', () => {
    const x = randomFloats(1000, 1);
    const mask = Uint8Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? 0 : 1));
    const y = new Float32Array(1000);
    kernels.dropoutApply(1000, x, mask, 0.8, y);
    expectClose(
      y,
      Array.from(x, (v, i) => (mask[i] ? v / 0.8 : 0)),
      1e-6,
      0,
      'y',
    );
  });

  it('column sums honour ld, alpha and beta (beta = 0 overwrites NaN)', () => {
    const [r, c, ld] = [70, 9, 12];
    const x = randomFloats(r * ld, 2);
    const out = new Float32Array(c).fill(Number.NaN);
    kernels.columnSums(r, c, x, ld, 2, 0, out);
    const want = Array.from(
      { length: c },
      (_, j) => 2 * Array.from({ length: r }, (_, i) => x[i * ld + j] as number).reduce((a, b) => a + b, 0),
    );
    expectClose(out, want, 1e-5, 1e-5, 'sums');
    kernels.columnSums(r, c, x, ld, 1, 0.5, out);
    expectClose(
      out,
      want.map((w) => w / 2 + w / 2),
      1e-5,
      1e-5,
      'sums with beta',
    );
  });

  it('axpy adds a·x', () => {
    const x = randomFloats(100_001, 3);
    const y = randomFloats(100_001, 4);
    const want = Array.from(y, (v, i) => v + 0.01 * (x[i] as number));
    kernels.axpy(100_001, 0.01, x, y);
    expectClose(y, want, 1e-6, 1e-7, 'axpy');
  });

  it('gatherRows copies the indexed rows in order and refuses an index past the last row', () => {
    for (const [count, cols, rows] of [
      [1, 1, 1],
      [7, 33, 10],
      [128, 784, 1000], // above the parallel threshold
      [5, 0, 3],
      [0, 4, 0],
    ] as const) {
      const src = randomFloats(rows * cols, count + cols);
      const r = new Random(count);
      const indices = Uint32Array.from({ length: count }, () => r.below(rows));
      const dst = new Float32Array(count * cols + 1).fill(-7);
      kernels.gatherRows(count, cols, rows, src, indices, dst);
      for (let i = 0; i < count; i++) {
        const at = indices[i] as number;
        expect(dst.subarray(i * cols, (i + 1) * cols)).toEqual(src.subarray(at * cols, (at + 1) * cols));
      }
      expect(dst[count * cols]).toBe(-7); // nothing past count rows
    }
    const src = new Float32Array(12);
    expect(() => kernels.gatherRows(3, 4, 3, src, Uint32Array.from([0, 2, 3]), new Float32Array(12))).toThrow(
      new RangeError('gatherRows: expected indices below 3 (the rows of src) for indices, received 3 at position 2'),
    );
    expect(() => kernels.gatherRows(3, 4, 4, src, Uint32Array.from([0, 1, 2]), new Float32Array(12))).toThrow(
      new RangeError('gatherRows: expected a Float32Array of at least 16 elements for src, received length 12'),
    );
  });

  it('expandRows writes runs, one-hot blocks and targets of the indexed stored rows, over every dst cell', () => {
    for (const [count, rows, parts] of [
      [1, 1, 1],
      [9, 4, 6],
      [700, 50, 12], // above the parallel threshold
      [3, 2, 0],
      [0, 0, 3],
    ] as const) {
      const r = new Random(count + parts);
      const layout: number[] = [];
      let [at, into] = [0, 0];
      for (let p = 0; p < parts; p++) {
        const width = 1 + r.below(12);
        const onehot = p % 3 !== 0;
        layout.push(at, into, onehot ? -width : width);
        at += onehot ? 1 : width;
        into += width;
      }
      const [stride, cols] = [at + 1, into + 2];
      const src = randomFloats(rows * stride, rows);
      for (let row = 0; row < rows; row++)
        for (let p = 0; p < parts; p++) {
          const n = layout[3 * p + 2] as number;
          if (n < 0) src[row * stride + (layout[3 * p] as number)] = r.below(1 - n); // -n is no level
        }
      const indices = Uint32Array.from({ length: count }, () => r.below(rows));
      const dst = new Float32Array(count * cols + 1).fill(Number.NaN);
      dst[count * cols] = -7;
      const targets = new Float32Array(count).fill(Number.NaN);
      kernels.expandRows(count, rows, stride, cols, src, indices, parts, Int32Array.from(layout), dst, targets);
      for (let i = 0; i < count; i++) {
        const s = (indices[i] as number) * stride;
        const want = new Float32Array(cols);
        for (let p = 0; p < parts; p++) {
          const [from, to, n] = layout.slice(3 * p, 3 * p + 3) as [number, number, number];
          if (n > 0) want.set(src.subarray(s + from, s + from + n), to);
          else if ((src[s + from] as number) < -n) want[to + (src[s + from] as number)] = 1;
        }
        expect(dst.subarray(i * cols, (i + 1) * cols)).toEqual(want);
        expect(targets[i]).toBe(src[s + stride - 1]);
      }
      expect(dst[count * cols]).toBe(-7); // nothing past count rows
    }
  });

  it('expandRows with no feature columns writes only the targets, even into a detached (empty) dst', () => {
    const src = Float32Array.from([0.5, 1, 0.25, 0]);
    const dst = new Float32Array(0);
    structuredClone(dst.buffer, { transfer: [dst.buffer] });
    const targets = new Float32Array(3);
    kernels.expandRows(3, 2, 2, 0, src, Uint32Array.from([1, 0, 1]), 0, new Int32Array(0), dst, targets);
    expect(Array.from(targets)).toEqual([0, 1, 0]);
  });

  it('expandRows refuses a layout outside the rows, an index past the last row and a cell that is no level', () => {
    // Two stored rows of (x, level of 3, target) into rows of 4 features.
    const src = Float32Array.from([0.5, 2, 1, -1, 3, 0]);
    const layout = Int32Array.from([0, 0, 1, 1, 1, -3]);
    const run = (indices: number[], l = layout, s = src) =>
      kernels.expandRows(
        indices.length,
        2,
        3,
        4,
        s,
        Uint32Array.from(indices),
        2,
        l,
        new Float32Array(4 * indices.length),
        new Float32Array(indices.length),
      );
    run([1, 0]);
    expect(() => run([0, 2])).toThrow(
      new RangeError('expandRows: expected indices below 2 (the rows of src) for indices, received 2 at position 1'),
    );
    expect(() => run([0], Int32Array.from([0, 0, 1, 2, 1, -3]))).toThrow(
      new RangeError(
        'expandRows: expected (from, into, n) triples with n != 0 inside a stored row of 2 features and a row of 4 for layout, received (2, 1, -3) at part 1',
      ),
    );
    expect(() => run([0], Int32Array.from([0, 0, 1, 1, 2, -3]))).toThrow(/received \(1, 2, -3\) at part 1/);
    expect(() => run([0], Int32Array.from([0, 0, 0, 1, 1, -3]))).toThrow(/received \(0, 0, 0\) at part 0/);
    for (const bad of [2.5, -1, 4, Number.NaN]) {
      const s = Float32Array.from([0.5, 2, 1, 0.25, bad, 0]);
      expect(() => run([0, 1], layout, s)).toThrow(
        new RangeError(`expandRows: expected level indices (integers in [0, 3]) for src, received ${bad} in row 1 (part 1)`),
      );
    }
  });

  it('findNonFinite reports the first NaN or Infinity, or -1', () => {
    const x = new Float32Array(200_000);
    expect(kernels.findNonFinite(x.length, x)).toBe(-1);
    x[150_000] = Number.POSITIVE_INFINITY;
    x[170_000] = Number.NaN;
    expect(kernels.findNonFinite(x.length, x)).toBe(150_000);
    x[3] = Number.NaN;
    expect(kernels.findNonFinite(x.length, x)).toBe(3);
    expect(kernels.findNonFinite(3, x)).toBe(-1);
  });
});

describe('optimizers over an arena', () => {
  const count = 70_001;
  const p0 = randomFloats(count, 1);
  const grads = [randomFloats(count, 2), randomFloats(count, 3), randomFloats(count, 4)];

  it('Adam (and AdamW) follow the float64 sequence over three steps', () => {
    for (const wd of [0, 0.01]) {
      const p = p0.slice();
      const m = new Float32Array(count);
      const v = new Float32Array(count);
      grads.forEach((g, t) => {
        kernels.adamUpdate(count, p, g, m, v, 0.01, 0.9, 0.999, 1e-7, t + 1, wd, 0);
      });
      expectClose(p, adamSteps(p0, grads, 0.01, 0.9, 0.999, 1e-7, wd), 1e-5, 1e-6, `adam wd=${wd}`);
    }
  });

  it('SGD, momentum and RMSprop follow their float64 sequences', () => {
    const sgd = p0.slice();
    const mom = p0.slice();
    const rms = p0.slice();
    const velocity = new Float32Array(count);
    const square = new Float32Array(count);
    for (const g of grads) {
      kernels.sgdUpdate(count, sgd, g, 0.1, 0.001, 0);
      kernels.momentumUpdate(count, mom, g, velocity, 0.1, 0.9, 0, 0);
      kernels.rmspropUpdate(count, rms, g, square, 0.01, 0.9, 1e-7, 0, 0);
    }
    const want = { sgd: Float64Array.from(p0), mom: Float64Array.from(p0), rms: Float64Array.from(p0) };
    const v = new Float64Array(count);
    const s = new Float64Array(count);
    for (const g of grads) {
      for (let i = 0; i < count; i++) {
        const gi = g[i] as number;
        want.sgd[i] = (want.sgd[i] as number) - 0.1 * (gi + 0.001 * (want.sgd[i] as number));
        v[i] = 0.9 * (v[i] as number) + 0.1 * gi;
        want.mom[i] = (want.mom[i] as number) - 0.1 * (v[i] as number);
        s[i] = 0.9 * (s[i] as number) + 0.1 * gi * gi;
        want.rms[i] = (want.rms[i] as number) - (0.01 * gi) / (Math.sqrt(s[i] as number) + 1e-7);
      }
    }
    expectClose(sgd, want.sgd, 1e-5, 1e-6, 'sgd');
    expectClose(mom, want.mom, 1e-5, 1e-6, 'momentum');
    expectClose(rms, want.rms, 1e-5, 1e-5, 'rmsprop');
  });
});
