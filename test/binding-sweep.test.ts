// Every export of the native binding, every argument replaced in turn by bad
// values: each call either works or throws a TypeError/RangeError whose
// message names the function (and, for a bad argument, the argument); the
// process never crashes. The public kernels get the same sweep on the active backend.
import { describe, expect, it } from 'vitest';
import { kernels } from '../lib/index.js';
import { binding } from './helpers/backends.js';

const f = (n: number) => new Float32Array(n);
const weights = () => Float32Array.of(1, 0, 2.5, 1);
// Valid calls for a batch of 4 rows × 3 features (or 12 elements).
const valid: Record<string, { args: () => unknown[]; names: string[] }> = {
  batchNormForwardTrain: {
    args: () => [4, 3, f(12), f(3), f(3), 1e-3, 0.9, f(3), f(3), f(3), f(3), f(12), false, new Uint8Array(12).fill(1), 0.5],
    names: [
      'batch',
      'features',
      'x',
      'gamma',
      'beta',
      'epsilon',
      'momentum',
      'runningMean',
      'runningVar',
      'savedMean',
      'savedInvStd',
      'y',
      'relu',
      'mask',
      'keep',
    ],
  },
  batchNormForwardInfer: {
    args: () => [4, 3, f(12), f(3), f(3), f(3), f(3), 1e-3, f(12), true],
    names: ['batch', 'features', 'x', 'gamma', 'beta', 'runningMean', 'runningVar', 'epsilon', 'y', 'relu'],
  },
  batchNormBackward: {
    args: () => [4, 3, f(12), null, f(12), f(3), f(3), f(3), f(12), f(3), f(3), 1.25],
    names: ['batch', 'features', 'x', 'y', 'dy', 'gamma', 'savedMean', 'savedInvStd', 'dx', 'dgamma', 'dbeta', 'dyScale'],
  },
  activationForward: { args: () => ['tanh', 12, f(12), f(12), 0.1], names: ['kind', 'count', 'x', 'y', 'slope'] },
  activationBackward: { args: () => ['relu', 12, f(12), f(12), f(12), 0.1], names: ['kind', 'count', 'y', 'dy', 'dx', 'slope'] },
  softmaxForward: { args: () => [4, 3, f(12), f(12)], names: ['rows', 'cols', 'x', 'y'] },
  softmaxBackward: { args: () => [4, 3, f(12), f(12), f(12)], names: ['rows', 'cols', 'y', 'dy', 'dx'] },
  sigmoidCrossEntropy: {
    args: () => [4, 3, f(12), f(12), 1, f(12), f(12), weights()],
    names: ['rows', 'cols', 'z', 'y', 'scale', 'probs', 'dz', 'rowWeights'],
  },
  softmaxCrossEntropyLabels: {
    args: () => [4, 3, f(12), Int32Array.from([0, 1, 2, 0]), 1, null, f(12), weights()],
    names: ['rows', 'cols', 'z', 'labels', 'scale', 'probs', 'dz', 'rowWeights'],
  },
  softmaxCrossEntropy: {
    args: () => [4, 3, f(12), f(12), 1, null, null, null],
    names: ['rows', 'cols', 'z', 'y', 'scale', 'probs', 'dz', 'rowWeights'],
  },
  meanSquaredError: {
    args: () => [4, 3, f(12), f(12), 1, f(12), weights()],
    names: ['rows', 'cols', 'z', 'y', 'scale', 'dz', 'rowWeights'],
  },
  huber: {
    args: () => [4, 3, f(12), f(12), 1.5, 1, f(12), weights()],
    names: ['rows', 'cols', 'z', 'y', 'delta', 'scale', 'dz', 'rowWeights'],
  },
  meanAbsoluteError: {
    args: () => [4, 3, f(12), f(12), 1, null, weights()],
    names: ['rows', 'cols', 'z', 'y', 'scale', 'dz', 'rowWeights'],
  },
  dropoutApply: { args: () => [12, f(12), new Uint8Array(12).fill(1), 0.5, f(12)], names: ['count', 'x', 'mask', 'keep', 'y'] },
  dropoutMask: { args: () => [12, 0.5, new Uint32Array([1, 2, 3, 4]), new Uint8Array(12)], names: ['count', 'keep', 'state', 'mask'] },
  columnSums: { args: () => [4, 3, f(12), 3, 1, 0, f(3)], names: ['rows', 'cols', 'x', 'ld', 'alpha', 'beta', 'out'] },
  gatherRows: { args: () => [2, 3, 4, f(12), Uint32Array.from([3, 0]), f(6)], names: ['count', 'cols', 'rows', 'src', 'indices', 'dst'] },
  gatherRowsAhead: {
    args: () => [2, 3, 4, f(12), Uint32Array.from([3, 0]), f(6)],
    names: ['count', 'cols', 'rows', 'src', 'indices', 'dst'],
  },
  expandRows: {
    args: () => [2, 4, 3, 5, f(12).fill(1), Uint32Array.from([3, 0]), 2, Int32Array.from([0, 0, 1, 1, 1, -4]), f(10), f(2)],
    names: ['count', 'rows', 'stride', 'cols', 'src', 'indices', 'parts', 'layout', 'dst', 'targets'],
  },
  axpy: { args: () => [12, 0.5, f(12), f(12)], names: ['count', 'a', 'x', 'y'] },
  findNonFinite: { args: () => [12, f(12)], names: ['count', 'x'] },
  sumOfSquares: { args: () => [12, f(12), 0.5], names: ['count', 'x', 'clipValue'] },
  sgdUpdate: {
    args: () => [12, f(12), f(12), 0.1, 0, 0.001, 0.5, 0.25],
    names: ['count', 'params', 'grads', 'lr', 'weightDecay', 'l2', 'gradScale', 'clipValue'],
  },
  momentumUpdate: {
    args: () => [12, f(12), f(12), f(12), 0.1, 0.9, 0, 0.001, 0.5, 0.25],
    names: ['count', 'params', 'grads', 'velocity', 'lr', 'beta1', 'weightDecay', 'l2', 'gradScale', 'clipValue'],
  },
  rmspropUpdate: {
    args: () => [12, f(12), f(12), f(12), 0.1, 0.9, 1e-7, 0, 0.001, 0.5, 0.25],
    names: ['count', 'params', 'grads', 'square', 'lr', 'beta2', 'epsilon', 'weightDecay', 'l2', 'gradScale', 'clipValue'],
  },
  adamUpdate: {
    args: () => [12, f(12), f(12), f(12), f(12), 0.1, 0.9, 0.999, 1e-7, 1, 0, 0.001, 0.5, 0.25],
    names: ['count', 'params', 'grads', 'm', 'v', 'lr', 'beta1', 'beta2', 'epsilon', 'step', 'weightDecay', 'l2', 'gradScale', 'clipValue'],
  },
};

const detached = () => {
  const buffer = new ArrayBuffer(64);
  const view = new Float32Array(buffer);
  structuredClone(buffer, { transfer: [buffer] });
  return view;
};
const badValues: (() => unknown)[] = [
  () => undefined,
  () => null,
  () => 'x',
  () => -1,
  () => 2.5,
  () => Number.NaN,
  () => Number.POSITIVE_INFINITY,
  () => 2 ** 40,
  () => ({}),
  () => [1, 2, 3],
  () => new Float64Array(12),
  () => new Float32Array(2),
  () => new Int32Array(12),
  detached,
  () => new Float32Array(new SharedArrayBuffer(4 * 16)),
];

type Fn = (...args: unknown[]) => unknown;

function sweep(label: string, call: (name: string, args: unknown[]) => unknown): void {
  for (const [name, spec] of Object.entries(valid)) {
    it(`${label} ${name}: every argument, every bad value`, () => {
      expect(() => call(name, spec.args())).not.toThrow();
      let thrown = 0;
      spec.names.forEach((argName, index) => {
        for (const bad of badValues) {
          const args = spec.args();
          args[index] = bad();
          try {
            call(name, args);
          } catch (error) {
            thrown++;
            expect(error).toSatisfy((e: unknown) => e instanceof TypeError || e instanceof RangeError);
            const message = (error as Error).message;
            expect(message.startsWith(`${name}: `)).toBe(true);
            if (!message.includes('overlap') && !message.includes('arguments')) expect(message).toContain(` for ${argName}`);
          }
        }
      });
      expect(thrown).toBeGreaterThan(spec.names.length * 5);
    });
  }
}

describe('native binding export sweep', () => {
  sweep('binding', (name, args) => ((binding as unknown as Record<string, Fn>)[name] as Fn)(...args));

  it('gatherRowsSettle takes no argument', () => {
    expect(() => binding.gatherRowsSettle(...([0] as unknown as []))).toThrow(
      new TypeError('gatherRowsSettle: expected 0 arguments, received 1'),
    );
  });

  it('every export rejects a missing or an extra argument', () => {
    // Batch-norm's fused dropout arguments are optional, together; so are the losses' row weights,
    // the updates' clipping pair (together) and sumOfSquares' clipValue.
    const optional: Record<string, number> = {
      batchNormForwardTrain: 2,
      batchNormBackward: 1,
      sigmoidCrossEntropy: 1,
      softmaxCrossEntropyLabels: 1,
      softmaxCrossEntropy: 1,
      meanSquaredError: 1,
      huber: 1,
      meanAbsoluteError: 1,
      sumOfSquares: 1,
      sgdUpdate: 2,
      momentumUpdate: 2,
      rmspropUpdate: 2,
      adamUpdate: 2,
    };
    for (const [name, spec] of Object.entries(valid)) {
      const fn = (binding as unknown as Record<string, Fn>)[name] as Fn;
      const count = spec.names.length;
      const shortest = count - (optional[name] ?? 0);
      const counts = shortest === count ? `${count}` : `${shortest} or ${count}`;
      if (shortest < count) fn(...spec.args().slice(0, shortest));
      expect(() => fn(...spec.args().slice(0, shortest - 1))).toThrow(`${name}: expected ${counts} arguments, received ${shortest - 1}`);
      expect(() => fn(...spec.args(), 0)).toThrow(`${name}: expected ${counts} arguments, received ${count + 1}`);
    }
  });

  it('a label outside [0, cols) is a RangeError naming its index', () => {
    expect(() => binding.softmaxCrossEntropyLabels(2, 3, f(6), Int32Array.from([0, 3]), 1, null, null)).toThrow(
      'softmaxCrossEntropyLabels: expected class indices in [0, 3) for labels, received labels[1] = 3',
    );
    expect(() => kernels.softmaxCrossEntropyLabels(2, 3, f(6), Int32Array.from([-1, 0]), 1, null, null)).toThrow(
      'softmaxCrossEntropyLabels: expected class indices in [0, 3) for labels, received labels[0] = -1',
    );
  });

  it('in-place is allowed exactly where the contract says, partial overlap never', () => {
    const buffer = f(24);
    const x = buffer.subarray(0, 12);
    binding.activationForward('relu', 12, x, x, 0);
    expect(() => binding.activationForward('relu', 12, x, buffer.subarray(4, 16), 0)).toThrow(
      'activationForward: y must not overlap x (it may be the very same array)',
    );
    expect(() => binding.adamUpdate(12, x, x, f(12), f(12), 0.1, 0.9, 0.999, 1e-7, 1, 0, 0)).toThrow(
      'adamUpdate: params must not overlap grads',
    );
    expect(() => kernels.adamUpdate(12, x, x, f(12), f(12), 0.1, 0.9, 0.999, 1e-7, 1, 0, 0)).toThrow(
      'adamUpdate: params must not overlap grads',
    );
  });

  it('an unknown activation is a RangeError listing the kinds', () => {
    const call = binding.activationForward as unknown as Fn;
    expect(() => call('gelu', 1, f(1), f(1), 0)).toThrow(
      "activationForward: expected 'linear', 'relu', 'leakyRelu', 'tanh' or 'sigmoid' for kind, received 'gelu'",
    );
    expect(() => (kernels.activationForward as unknown as Fn)('gelu', 1, f(1), f(1), 0)).toThrow(
      "activationForward: expected 'linear', 'relu', 'leakyRelu', 'tanh' or 'sigmoid' for kind, received 'gelu'",
    );
  });
});

describe('public kernels export sweep (active backend)', () => {
  sweep('kernels', (name, args) => ((kernels as unknown as Record<string, Fn>)[name] as Fn)(...args));
});
