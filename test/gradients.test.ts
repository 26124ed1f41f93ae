// Finite-difference gradient checks in float64 of every backward the kernels
// compute: the JS kernels run on Float64Arrays, and central differences of the
// forward must match the analytic gradient to a relative error < 1e-6.
import { describe, expect, it } from 'vitest';
import type { ActivationKind } from '../lib/backend/backend.js';
import { activationBackward, activationForward, softmaxBackward, softmaxForward } from '../lib/backend/js/activations.js';
import { batchNormBackward, batchNormForwardTrain } from '../lib/backend/js/batchnorm.js';
import { meanSquaredError, sigmoidCrossEntropy, softmaxCrossEntropy, softmaxCrossEntropyLabels } from '../lib/backend/js/losses.js';
import { randomFloats } from './helpers/reference.js';

const H = 1e-5;

function random64(length: number, seed: number, scale = 1, shift = 0): Float64Array {
  return Float64Array.from(randomFloats(length, seed), (v) => v * scale + shift);
}

/** Central differences of f with respect to every element of x (x is restored). */
function numericGradient(x: Float64Array, f: () => number, skip: (i: number) => boolean = () => false): Float64Array {
  const grad = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    if (skip(i)) continue;
    const saved = x[i] as number;
    x[i] = saved + H;
    const up = f();
    x[i] = saved - H;
    const down = f();
    x[i] = saved;
    grad[i] = (up - down) / (2 * H);
  }
  return grad;
}

/** ‖a − b‖ / max(‖a‖, ‖b‖), over the elements not skipped. */
function relativeError(a: Float64Array, b: Float64Array, skip: (i: number) => boolean = () => false): number {
  let diff = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    if (skip(i)) continue;
    diff += ((a[i] as number) - (b[i] as number)) ** 2;
    na += (a[i] as number) ** 2;
    nb += (b[i] as number) ** 2;
  }
  return Math.sqrt(diff) / Math.max(Math.sqrt(na), Math.sqrt(nb), 1e-30);
}

const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * (b[i] as number), 0);

describe('finite-difference gradient checks (float64)', () => {
  for (const relu of [false, true]) {
    it(`batch-norm backward${relu ? ' with the fused ReLU' : ''}: dx, dγ, dβ`, () => {
      const [batch, features] = [6, 5];
      const x = random64(batch * features, 1, 2, 0.5);
      const gamma = random64(features, 2, 1, 1);
      const beta = random64(features, 3);
      const w = random64(batch * features, 4); // L = Σ w ⊙ y
      const scratch = () => new Float64Array(features);
      const y = new Float64Array(batch * features);
      const forward = () => {
        batchNormForwardTrain(batch, features, x, gamma, beta, 1e-3, 0.9, scratch(), scratch(), scratch(), scratch(), y, relu);
        return dot(w, y);
      };
      forward();
      // The ReLU's kink is not differentiable: skip outputs within reach of it.
      const nearKink = (i: number) => relu && Math.abs(y[i] as number) < 1e-3;
      const savedMean = scratch();
      const savedInvStd = scratch();
      batchNormForwardTrain(batch, features, x, gamma, beta, 1e-3, 0.9, scratch(), scratch(), savedMean, savedInvStd, y, relu);
      const dx = new Float64Array(batch * features);
      const dgamma = scratch();
      const dbeta = scratch();
      batchNormBackward(batch, features, x, relu ? y.slice() : null, w, gamma, savedMean, savedInvStd, dx, dgamma, dbeta);
      const kinks = Array.from(y, (_, i) => i).filter(nearKink);
      const skipX = (i: number) => kinks.some((k) => k % features === i % features);
      expect(relativeError(dx, numericGradient(x, forward, skipX), skipX)).toBeLessThan(1e-6);
      const skipF = (j: number) => kinks.some((k) => k % features === j);
      expect(relativeError(dgamma, numericGradient(gamma, forward, skipF), skipF)).toBeLessThan(1e-6);
      expect(relativeError(dbeta, numericGradient(beta, forward, skipF), skipF)).toBeLessThan(1e-6);
    });
  }

  for (const kind of ['linear', 'relu', 'leakyRelu', 'tanh', 'sigmoid'] as ActivationKind[]) {
    it(`${kind} backward`, () => {
      const x = random64(40, 5, 3);
      const w = random64(40, 6);
      const y = new Float64Array(40);
      const forward = () => {
        activationForward(kind, 40, x, y, 0.1);
        return dot(w, y);
      };
      forward();
      const dx = new Float64Array(40);
      activationBackward(kind, 40, y.slice(), w, dx, 0.1);
      const skip = (i: number) => Math.abs(x[i] as number) < 1e-3;
      expect(relativeError(dx, numericGradient(x, forward, skip), skip)).toBeLessThan(1e-6);
    });
  }

  it('softmax backward', () => {
    const [r, c] = [4, 6];
    const x = random64(r * c, 7, 4);
    const w = random64(r * c, 8);
    const y = new Float64Array(r * c);
    const forward = () => {
      softmaxForward(r, c, x, y);
      return dot(w, y);
    };
    forward();
    const dx = new Float64Array(r * c);
    softmaxBackward(r, c, y.slice(), w, dx);
    expect(relativeError(dx, numericGradient(x, forward))).toBeLessThan(1e-6);
  });

  const [r, c] = [5, 4];
  const labels = Int32Array.from([0, 3, 1, 2, 3]);
  const soft = random64(r * c, 9, 0.5, 0.5);
  const binary = Float64Array.from(random64(r * c, 10), (v) => (v > 0 ? 1 : 0));
  const losses: [string, (z: Float64Array, dz: Float64Array | null) => number][] = [
    ['sigmoid + binary cross-entropy', (z, dz) => sigmoidCrossEntropy(r, c, z, binary, 1, null, dz)],
    ['softmax + cross-entropy, integer labels', (z, dz) => softmaxCrossEntropyLabels(r, c, z, labels, 1, null, dz)],
    ['softmax + cross-entropy, soft targets', (z, dz) => softmaxCrossEntropy(r, c, z, soft, 1, null, dz)],
    ['linear + squared error', (z, dz) => meanSquaredError(r, c, z, soft, 1, dz)],
  ];
  for (const [name, loss] of losses) {
    it(`${name}: dz from logits`, () => {
      const z = random64(r * c, 11, 3);
      const dz = new Float64Array(r * c);
      loss(z, dz);
      expect(
        relativeError(
          dz,
          numericGradient(z, () => loss(z, null)),
        ),
      ).toBeLessThan(1e-6);
    });
  }
});
