// Extreme values: logits of ±100, zero-variance features, a batch of 1 in
// training-mode batch-norm, and NaN in the input.
import { describe, expect, it } from 'vitest';
import { kernels } from '../lib/index.js';

describe('extreme values', () => {
  it('sigmoid cross-entropy is finite and exact at logits ±100', () => {
    const z = new Float32Array([100, -100, 100, -100]);
    const y = new Float32Array([1, 0, 0, 1]);
    const dz = new Float32Array(4);
    const probs = new Float32Array(4);
    const loss = kernels.sigmoidCrossEntropy(4, 1, z, y, 1, probs, dz);
    // Right answers cost ~e^-100; the two wrong ones cost 100 each.
    expect(loss).toBeCloseTo(200, 4);
    expect(Array.from(dz)).toEqual([0, 0, 1, -1].map((v, i) => (i < 2 ? expect.closeTo(0, 30) : v)));
    expect(Array.from(probs)).toEqual([1, 0, 1, 0].map((v) => expect.closeTo(v, 30)));
  });

  it('softmax cross-entropy is finite and exact at logits ±100', () => {
    const z = new Float32Array([100, -100, 0, -100, 100, 0]);
    const dz = new Float32Array(6);
    const loss = kernels.softmaxCrossEntropyLabels(2, 3, z, Int32Array.from([0, 0]), 1, null, dz);
    expect(Number.isFinite(loss)).toBe(true);
    expect(loss).toBeCloseTo(200, 4); // row 0 right (≈0), row 1 wrong by 200
    expect(dz[0]).toBeCloseTo(0, 6);
    expect(dz[3]).toBeCloseTo(-1, 6);
    expect(dz[4]).toBeCloseTo(1, 6);
    const big = new Float32Array([1e4, -1e4, 0]);
    expect(Number.isFinite(kernels.softmaxCrossEntropyLabels(1, 3, big, Int32Array.from([1]), 1, null, null))).toBe(true);
  });

  it('a zero-variance feature normalises to β through the ε path, with a finite dx = γ/√ε·(g − mean g)', () => {
    const [batch, features] = [4, 2];
    const x = new Float32Array([5, 1, 5, 2, 5, 3, 5, 4]); // feature 0 constant
    const gamma = new Float32Array([2, 2]);
    const beta = new Float32Array([0.5, 0]);
    const stats = Array.from({ length: 4 }, () => new Float32Array(features));
    const y = new Float32Array(batch * features);
    kernels.batchNormForwardTrain(batch, features, x, gamma, beta, 1e-5, 0.9, stats[0]!, stats[1]!, stats[2]!, stats[3]!, y, false);
    expect([y[0], y[2], y[4], y[6]]).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(y.every(Number.isFinite)).toBe(true);
    const dx = new Float32Array(batch * features);
    const dg = new Float32Array(features);
    const db = new Float32Array(features);
    kernels.batchNormBackward(
      batch,
      features,
      x,
      null,
      new Float32Array([1, 1, -2, 1, 3, 1, 0, 1]),
      gamma,
      stats[2]!,
      stats[3]!,
      dx,
      dg,
      db,
    );
    const centred = [0.5, -2.5, 2.5, -0.5]; // dy of feature 0 minus its mean
    centred.forEach((g, i) => {
      expect(dx[2 * i]).toBeCloseTo((2 / Math.sqrt(1e-5)) * g, 1);
    });
  });

  it('a batch of 1 in training mode is the documented ε path: y = β, dx = 0; a batch of 0 is an error', () => {
    const x = new Float32Array([3, -7]);
    const stats = Array.from({ length: 4 }, () => new Float32Array(2));
    const y = new Float32Array(2);
    const beta = new Float32Array([0.25, -1]);
    kernels.batchNormForwardTrain(1, 2, x, new Float32Array([1, 1]), beta, 1e-3, 0.9, stats[0]!, stats[1]!, stats[2]!, stats[3]!, y, false);
    expect(Array.from(y)).toEqual([0.25, -1]);
    const dx = new Float32Array(2);
    kernels.batchNormBackward(
      1,
      2,
      x,
      null,
      new Float32Array([5, 5]),
      new Float32Array([1, 1]),
      stats[2]!,
      stats[3]!,
      dx,
      new Float32Array(2),
      new Float32Array(2),
    );
    expect(Array.from(dx, Math.abs)).toEqual([0, 0]);
    expect(() =>
      kernels.batchNormForwardTrain(0, 2, x, x, x.slice(), 1e-3, 0.9, stats[0]!, stats[1]!, stats[2]!, stats[3]!, y, false),
    ).toThrow('batchNormForwardTrain: expected an integer >= 1 and <= 2147483647 for batch, received 0');
  });

  it('NaN in the input stays visible (never hidden as 0) and findNonFinite reports where', () => {
    const x = new Float32Array([1, Number.NaN, -2, 3]);
    const y = new Float32Array(4);
    kernels.activationForward('relu', 4, x, y, 0);
    expect(kernels.findNonFinite(4, y)).toBe(1);
    const loss = kernels.meanSquaredError(1, 4, x, new Float32Array(4), 1, null);
    expect(Number.isNaN(loss)).toBe(true);
    const stats = Array.from({ length: 4 }, () => new Float32Array(2));
    const bn = new Float32Array(4);
    kernels.batchNormForwardTrain(
      2,
      2,
      x,
      new Float32Array([1, 1]),
      new Float32Array(2),
      1e-3,
      0.9,
      stats[0]!,
      stats[1]!,
      stats[2]!,
      stats[3]!,
      bn,
      true,
    );
    expect(kernels.findNonFinite(4, bn)).toBeGreaterThanOrEqual(0);
    expect(kernels.findNonFinite(2, stats[0]!)).toBe(1); // the running mean of the NaN feature
  });
});
