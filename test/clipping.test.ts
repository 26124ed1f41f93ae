// Gradient clipping (clipNorm: the global norm over the trainable parameters; clipValue: each
// element), on the active backend (npm test runs this file on native and on DENSENODE_BACKEND=js):
// against a float64 reference of each optimizer's clipped update, against TensorFlow.js, and bit
// for bit where clipping must change nothing.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../lib/backend/backend.js';
import { activeSelection } from '../lib/backend/select.js';
import { adam, adamw, breastCancer, kernels, mlp, momentum, type OptimizerSpec, rmsprop, sgd } from '../lib/index.js';
import { Optimizer } from '../lib/optimizers/optimizer.js';
import { expectClose } from './helpers/compare.js';
import { randomFloats } from './helpers/reference.js';

const backend: Backend = activeSelection().backend;
const FACTORIES = { sgd, momentum, rmsprop, adam, adamw } as const;
type Segments = readonly (readonly [number, number])[] | null;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const n = 1031;
const p0 = randomFloats(n, 1);
// Three steps of gradients whose global norm (about 18, 36, 54) is well above the clipNorm used.
const grads = [1, 2, 3].map((t) => randomFloats(n, 10 + t).map((v) => v * t));

/** `steps` updates through Optimizer.apply on the active backend: the parameters and the slots. */
function train(spec: OptimizerSpec, gradients: Float32Array[], segments: Segments = null): Float32Array[] {
  const optimizer = new Optimizer(spec, n, (length) => new Float32Array(length));
  optimizer.segments = segments;
  const params = p0.slice();
  for (const g of gradients) optimizer.apply(backend, params, g);
  return [params, ...optimizer.slots];
}

/** The same updates in float64: clip (value, then the global norm over `segments`), then update. */
function reference(spec: OptimizerSpec, gradients: Float32Array[], segments: Segments = null): { params: Float64Array; scales: number[] } {
  const ranges = segments ?? [[0, n] as const];
  const p = Float64Array.from(p0);
  const [m, v] = [new Float64Array(n), new Float64Array(n)];
  const { beta1: b1, beta2: b2, epsilon: eps, weightDecay: wd, clipNorm, clipValue } = spec;
  const lr = spec.learningRate as number;
  const scales: number[] = [];
  gradients.forEach((raw, t) => {
    const g = Float64Array.from(raw, (x) => (clipValue === undefined ? x : Math.min(clipValue, Math.max(-clipValue, x))));
    let squares = 0;
    for (const [s, e] of ranges) for (let i = s; i < e; i++) squares += (g[i] as number) ** 2;
    const scale = clipNorm !== undefined && Math.sqrt(squares) > clipNorm ? clipNorm / Math.sqrt(squares) : 1;
    scales.push(scale);
    for (const [s, e] of ranges) {
      for (let i = s; i < e; i++) {
        const gi = (g[i] as number) * scale;
        const pi = p[i] as number;
        let step = gi;
        if (spec.name === 'momentum') step = m[i] = b1 * (m[i] as number) + (1 - b1) * gi;
        if (spec.name === 'rmsprop') {
          m[i] = b2 * (m[i] as number) + (1 - b2) * gi * gi;
          step = gi / (Math.sqrt(m[i] as number) + eps);
        }
        if (spec.name === 'adam' || spec.name === 'adamw') {
          m[i] = b1 * (m[i] as number) + (1 - b1) * gi;
          v[i] = b2 * (v[i] as number) + (1 - b2) * gi * gi;
          step = (m[i] as number) / (1 - b1 ** (t + 1)) / (Math.sqrt((v[i] as number) / (1 - b2 ** (t + 1))) + eps);
        }
        p[i] = pi - lr * (step + wd * pi);
      }
    }
  });
  return { params: p, scales };
}

const bits = (arrays: Float32Array[]) => arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex'));

// FNV-1a over the bytes, to hold today's updates to the bits they had before clipping existed.
function fnv(arrays: Float32Array[]): string {
  let h = 0x811c9dc5;
  for (const a of arrays) for (const b of new Uint8Array(a.buffer, a.byteOffset, a.byteLength)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

describe('clipping changes nothing where it must not', () => {
  // Recorded with the kernels as they were before the clipping arguments (commit ed7a9ed), on
  // both backends (native: the same on every ISA and thread count).
  const GOLDEN = {
    native: { sgd: '76abc0f4', momentum: '5f5a3159', rmsprop: 'f79a4756', adam: '2d3d64b1' },
    js: { sgd: '2e49b76f', momentum: 'bf62005b', rmsprop: '2a411211', adam: '5a5e99a8' },
  };
  // Three steps of each update on fixed inputs (every seventh gradient 0), the clipping pair
  // left out or passed as its defaults (1, 0).
  function updates(clip: [] | [number, number]): Record<string, string> {
    const g3 = [1, 2, 3].map((s) => randomFloats(n, 40 + s).map((v, i) => (i % 7 === 0 ? 0 : v * s * 3)));
    const start = randomFloats(n, 39);
    const [p, q, r, a] = [start.slice(), start.slice(), start.slice(), start.slice()];
    const [vel, sq, m, v] = [new Float32Array(n), new Float32Array(n), new Float32Array(n), new Float32Array(n)];
    g3.forEach((g, t) => {
      backend.sgdUpdate(n, p, g, 0.05, 0.01, 0, ...clip);
      backend.momentumUpdate(n, q, g, vel, 0.05, 0.9, 0.01, 0, ...clip);
      backend.rmspropUpdate(n, r, g, sq, 0.01, 0.9, 1e-7, 0.01, 0, ...clip);
      backend.adamUpdate(n, a, g, m, v, 0.01, 0.9, 0.999, 1e-7, t + 1, 0.01, 0, ...clip);
    });
    return { sgd: fnv([p]), momentum: fnv([q, vel]), rmsprop: fnv([r, sq]), adam: fnv([a, m, v]) };
  }

  it('the updates without clipping arguments, or with their defaults, are bit for bit those before clipping', () => {
    expect(updates([])).toEqual(GOLDEN[backend.name]);
    expect(updates([1, 0])).toEqual(GOLDEN[backend.name]);
  });

  it('a clipNorm above the global norm and a clipValue above every |g| change nothing, bit for bit', () => {
    for (const [name, factory] of Object.entries(FACTORIES)) {
      const plain = bits(train(factory({ learningRate: 0.01 }), grads));
      expect(bits(train(factory({ learningRate: 0.01, clipNorm: 1e4 }), grads)), `${name} clipNorm`).toEqual(plain);
      expect(bits(train(factory({ learningRate: 0.01, clipValue: 1e4 }), grads)), `${name} clipValue`).toEqual(plain);
      expect(bits(train(factory({ learningRate: 0.01, clipNorm: 1e4, clipValue: 1e4 }), grads)), `${name} both`).toEqual(plain);
    }
  });

  it('the options are absent from the spec unless given', () => {
    for (const factory of Object.values(FACTORIES)) {
      const spec = factory();
      expect('clipNorm' in spec || 'clipValue' in spec).toBe(false);
      expect(factory({ clipNorm: 2, clipValue: 0.5 })).toMatchObject({ clipNorm: 2, clipValue: 0.5 });
    }
  });
});

describe('clipped updates against float64', () => {
  const cases: [string, { clipNorm?: number; clipValue?: number }][] = [
    ['clipNorm', { clipNorm: 5 }],
    ['clipValue', { clipValue: 0.5 }],
    ['clipValue then clipNorm', { clipValue: 0.5, clipNorm: 5 }],
  ];
  for (const [name, factory] of Object.entries(FACTORIES)) {
    for (const [label, clip] of cases) {
      it(`${name} with ${label}`, () => {
        const spec = factory({ learningRate: 0.01, ...clip });
        const want = reference(spec, grads);
        if (clip.clipNorm !== undefined) expect(Math.max(...want.scales)).toBeLessThan(1); // the norm clip acts every step
        expectClose(train(spec, grads)[0] as Float32Array, want.params, 1e-5, 1e-6, `${name} ${label}`);
      });
    }
  }

  it('with both, the norm is that of the value-clipped gradients (the legacy Keras order)', () => {
    const both = reference(adam({ clipValue: 0.5, clipNorm: 5 }), grads);
    const normFirst = reference(adam({ clipNorm: 5 }), grads);
    expect(both.scales[0]).toBeGreaterThan(normFirst.scales[0] as number);
    const clamped = grads[0]?.map((g) => Math.min(0.5, Math.max(-0.5, g))) as Float32Array;
    expect(backend.sumOfSquares(n, grads[0] as Float32Array, 0.5)).toBeCloseTo(
      clamped.reduce((s, g) => s + g * g, 0),
      9,
    );
  });

  it('only the trainable segments enter the norm, and the frozen ones stay bit for bit', () => {
    const segments = [
      [0, 100],
      [300, 700],
    ] as const;
    // Huge gradients in the frozen ranges: counted, they would shrink the trainable ones 1000-fold.
    const frozenLoud = grads.map((g) => g.map((v, i) => (i < 100 || (i >= 300 && i < 700) ? v : v * 1e4)));
    for (const [name, factory] of Object.entries(FACTORIES)) {
      const spec = factory({ learningRate: 0.01, clipNorm: 2, clipValue: 3 });
      const [params, ...slots] = train(spec, frozenLoud, segments);
      expectClose(params as Float32Array, reference(spec, frozenLoud, segments).params, 1e-5, 1e-6, `${name} segments`);
      const frozen = (a: Float32Array) => [a.subarray(100, 300), a.subarray(700)];
      expect(bits(frozen(params as Float32Array)), name).toEqual(bits(frozen(p0)));
      for (const slot of slots) expect(slot.subarray(700).every((x) => x === 0)).toBe(true);
    }
  });
});

describe('clipping never makes a NaN', () => {
  it('finite gradients whose norm overflows float32 are scaled, not turned into 0 or NaN', () => {
    const huge = Float32Array.from({ length: n }, (_, i) => (i % 2 ? 3e38 : -2e38));
    expect(Number.isFinite(backend.sumOfSquares(n, huge))).toBe(true);
    for (const [name, factory] of Object.entries(FACTORIES)) {
      const spec = factory({ learningRate: 0.01, clipNorm: 1 });
      const [params] = train(spec, [huge, huge]);
      expect(params?.every(Number.isFinite), name).toBe(true);
      expectClose(params as Float32Array, reference(spec, [huge, huge]).params, 1e-5, 1e-6, `${name} huge`);
    }
    // A scale below FLT_MIN (clipNorm 1e-3 over a norm near 8e39: about 1e-43, 7 bits as a float)
    // still gives the product to float precision: sgd with lr 1 from 0 writes −g·scale.
    const scale = 1e-3 / Math.sqrt(backend.sumOfSquares(n, huge));
    const moved = new Float32Array(n);
    backend.sgdUpdate(n, moved, huge, 1, 0, 0, scale, 0);
    expectClose(
      moved,
      Float64Array.from(huge, (g) => -g * scale),
      3e-7,
      0,
      'sgd at a subnormal scale',
    );
  });

  it('a non-finite norm (a NaN gradient, which fit() stops on first) scales nothing', () => {
    const g = (grads[0] as Float32Array).slice();
    g[5] = Number.NaN;
    const [clipped] = train(sgd({ learningRate: 0.01, clipNorm: 1 }), [g]);
    const [plain] = train(sgd({ learningRate: 0.01 }), [g]);
    expect(Number.isNaN(clipped?.[5])).toBe(true);
    expect(bits([clipped as Float32Array])).toEqual(bits([plain as Float32Array]));
  });
});

describe('against TensorFlow.js', () => {
  // tf.train optimizers do not clip; the clipping is written here with tf ops as
  // tf.clipByGlobalNorm defines it (t·clipNorm / max(‖all‖, clipNorm), ‖all‖ over every tensor),
  // after tf.clipByValue, and the clipped gradients go to tf.train's update. Two variables share
  // our arena ([0, 600) and [600, n)), so the norm is global across them, as in Keras' global_clipnorm.
  function tfjsParameters(optimizer: tf.Optimizer, clipNorm: number, clipValue: number): Float32Array {
    const parts = [p0.subarray(0, 600), p0.subarray(600)];
    const variables = parts.map((part, j) => tf.variable(tf.tensor1d(part), true, `clip${j}_${Math.random()}`));
    for (const g of grads) {
      tf.tidy(() => {
        const clamped = [g.subarray(0, 600), g.subarray(600)].map((part) => tf.clipByValue(tf.tensor1d(part), -clipValue, clipValue));
        const norm = tf.sqrt(tf.addN(clamped.map((t) => tf.sum(tf.square(t)))));
        const factor = tf.div(clipNorm, tf.maximum(norm, clipNorm));
        optimizer.applyGradients(variables.map((v, j) => ({ name: v.name, tensor: tf.mul(clamped[j] as tf.Tensor, factor) })));
      });
    }
    const out = Float32Array.from([...variables.flatMap((v) => Array.from(v.dataSync()))]);
    for (const v of variables) v.dispose();
    return out;
  }

  it('Adam with clipValue and clipNorm matches tf.train.adam on tf-clipped gradients', () => {
    const [params] = train(adam({ learningRate: 0.01, clipNorm: 5, clipValue: 0.5 }), grads);
    expectClose(params as Float32Array, tfjsParameters(tf.train.adam(0.01, 0.9, 0.999, 1e-7), 5, 0.5), 1e-5, 1e-6, 'adam');
  });

  it('SGD with clipNorm matches tf.train.sgd on tf-clipped gradients', () => {
    const [params] = train(sgd({ learningRate: 0.05, clipNorm: 5 }), grads);
    expectClose(params as Float32Array, tfjsParameters(tf.train.sgd(0.05), 5, 1e30), 1e-5, 1e-6, 'sgd');
  });
});

describe('the options and the kernel arguments are checked', () => {
  it('a bad clipNorm or clipValue is an error naming it, on every optimizer', () => {
    for (const [name, factory] of Object.entries(FACTORIES)) {
      for (const key of ['clipNorm', 'clipValue'] as const) {
        for (const bad of [-1, 0, Number.NaN, Number.POSITIVE_INFINITY]) {
          expect(() => factory({ [key]: bad })).toThrow(
            new RangeError(`${name}: expected a finite number > 0 for ${key}, received ${bad}`),
          );
        }
        expect(() => factory({ [key]: '1' as unknown as number })).toThrow(
          new TypeError(`${name}: expected a finite number > 0 for ${key}, received a string`),
        );
      }
    }
    expect(() => adam({ clipnorm: 1 } as never)).toThrow("adam: unknown option 'clipnorm' in options (did you mean 'clipNorm'?)");
    expect(() => sgd({ global_clipnorm: 1 } as never)).toThrow("(did you mean 'clipNorm'?)");
  });

  it('the kernels check gradScale, clipValue and their count', () => {
    const [p, g, v] = [new Float32Array(4), new Float32Array(4), new Float32Array(4)];
    expect(() => kernels.sgdUpdate(4, p, g, 0.1, 0, 0, 1.5, 0)).toThrow(
      new RangeError('sgdUpdate: expected a number in [0, 1] for gradScale, received 1.5'),
    );
    expect(() => kernels.momentumUpdate(4, p, g, v, 0.1, 0.9, 0, 0, 1, -1)).toThrow(
      new RangeError('momentumUpdate: expected a number in [0, Infinity) for clipValue, received -1'),
    );
    expect(() => (kernels.sgdUpdate as (...a: unknown[]) => void)(4, p, g, 0.1, 0, 0, 1)).toThrow(
      new TypeError('sgdUpdate: expected 6 or 8 arguments, received 7'),
    );
    expect(() => kernels.sumOfSquares(4, g, Number.NaN)).toThrow(
      new RangeError('sumOfSquares: expected a number in [0, Infinity) for clipValue, received NaN'),
    );
  });

  it('sumOfSquares is the float64 sum of squares, with the clamp', () => {
    const x = randomFloats(70_001, 5).map((v, i) => v * 10 ** ((i % 7) - 3));
    for (const clip of [0, 0.25]) {
      let want = 0;
      for (const v of x) want += (clip > 0 ? Math.min(clip, Math.max(-clip, v)) : v) ** 2;
      expect(Math.abs(kernels.sumOfSquares(x.length, x, clip) - want)).toBeLessThanOrEqual(1e-12 * want);
    }
    expect(kernels.sumOfSquares(0, x)).toBe(0);
  });
});

describe('through fit', () => {
  it('a model trains with clipping; a clipNorm it never reaches leaves every weight bit for bit', async () => {
    const data = breastCancer();
    const weights = async (optimizer: OptimizerSpec) => {
      const model = mlp([30, 16, 1], { optimizer, seed: 3 });
      const history = await model.fit(data.xTrain, data.yTrain, { epochs: 2, batchSize: 32 });
      return { weights: model.getWeights(), loss: history.history.loss as number[] };
    };
    const plain = await weights(adam({ learningRate: 0.01 }));
    expect(bits((await weights(adam({ learningRate: 0.01, clipNorm: 1e6 }))).weights)).toEqual(bits(plain.weights));
    const clipped = await weights(adam({ learningRate: 0.01, clipNorm: 0.1, clipValue: 0.05 }));
    expect(clipped.loss.every(Number.isFinite) && (clipped.loss[1] as number) < (clipped.loss[0] as number)).toBe(true);
    expect(bits(clipped.weights)).not.toEqual(bits(plain.weights));
  });
});
