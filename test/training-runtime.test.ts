// Training as a server sees it: native and JS give the same history, the event
// loop keeps turning during fit, and a worker can run it.
import { describe, expect, it } from 'vitest';
import * as dn from '../lib/index.js';
import { Model } from '../lib/model.js';
import { js, native } from './helpers/backends.js';
import { breastCancer } from './helpers/datasets.js';
import { randomFloats } from './helpers/reference.js';

describe('training on both backends', () => {
  it('native and JS give the same history and weights within float tolerance', async () => {
    const data = breastCancer();
    const config = {
      inputs: 30,
      seed: 3,
      layers: [dn.dense(16, { useBias: false }), dn.batchNorm(), dn.relu(), dn.dropout(0.1), dn.dense(1), dn.sigmoid()],
    };
    const run = async (backend: typeof native) => {
      const model = new Model(config, { backend, alloc: (n) => new Float32Array(n) });
      model.compile({ loss: 'binaryCrossEntropy', optimizer: dn.adam({ learningRate: 0.01 }), l2: 1e-3, metrics: ['accuracy'] });
      const history = await model.fit(data.xTrain, data.yTrain, { epochs: 3, batchSize: 32, validationData: [data.xTest, data.yTest] });
      return { history, weights: model.getWeights() };
    };
    const a = await run(native);
    const b = await run(js);
    for (const key of ['loss', 'valLoss', 'accuracy', 'valAccuracy']) {
      const x = a.history.history[key] as number[];
      const y = b.history.history[key] as number[];
      x.forEach((v, i) => {
        expect(Math.abs(v - (y[i] as number)), `${key}[${i}]`).toBeLessThan(1e-4 * Math.abs(v) + 1e-5);
      });
    }
    a.weights.forEach((w, i) => {
      const other = b.weights[i] as Float32Array;
      w.forEach((v, j) => {
        expect(Math.abs(v - (other[j] as number))).toBeLessThan(1e-3 * Math.abs(v) + 1e-4);
      });
    });
  });
});

describe('a server stays responsive', () => {
  it('a 10 ms timer keeps firing during fit (bounded lag; the benchmark measures p99)', async () => {
    const rows = 4096;
    const x = dn.matrix(rows, 784, randomFloats(rows * 784, 1));
    const y = Int32Array.from({ length: rows }, (_, i) => i % 10);
    const model = dn.sequential({
      inputs: 784,
      seed: 1,
      layers: [dn.dense(256), dn.relu(), dn.dense(128), dn.relu(), dn.dense(10), dn.softmax()],
    });
    model.compile({ loss: 'crossEntropy', optimizer: dn.adam() });
    let last = performance.now();
    let worst = 0;
    let ticks = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last - 10);
      last = now;
      ticks++;
    }, 10);
    const started = performance.now();
    await model.fit(x, y, { epochs: 2, batchSize: 128 });
    clearInterval(timer);
    const elapsed = performance.now() - started;
    // Generous: shared CI machines stall; one training step is a few milliseconds.
    expect(worst).toBeLessThan(250);
    expect(ticks).toBeGreaterThan(elapsed / 10 / 10);
  });
});

describe('fit({ worker: true })', () => {
  const x = Array.from({ length: 512 }, (_, i) => [Math.sin(i), Math.cos(i * 0.7), (i % 7) / 7]);
  const y = x.map((r) => ((r[0] as number) + (r[1] as number) > 0 ? 1 : 0));
  const make = () => dn.mlp([3, 16, 1], { seed: 9, dropout: 0.1, batchNorm: true });

  it('trains the shared arenas in a worker: same history and weights as in-process, and it can continue', async () => {
    const local = make();
    const remote = make();
    const epochs: number[] = [];
    const a = await local.fit(x, y, { epochs: 3, batchSize: 32 });
    const b = await remote.fit(x, y, { epochs: 3, batchSize: 32, worker: true, onEpochEnd: (epoch) => void epochs.push(epoch) });
    expect(b.history.loss).toEqual(a.history.loss);
    expect(epochs).toEqual([0, 1, 2]);
    expect(remote.getWeights()).toEqual(local.getWeights());
    // The PRNG state and Adam's step came back: a second run still matches.
    const a2 = await local.fit(x, y, { epochs: 1 });
    const b2 = await remote.fit(x, y, { epochs: 1, worker: true });
    expect(b2.history.loss).toEqual(a2.history.loss);
  });

  it('keeps the main thread free, stops on abort, and reports errors from the worker', async () => {
    const model = make();
    const controller = new AbortController();
    let ticks = 0;
    const timer = setInterval(() => void ticks++, 1);
    const history = await model.fit(x, y, {
      epochs: 1000,
      batchSize: 8,
      worker: true,
      signal: controller.signal,
      onEpochEnd: (epoch) => {
        if (epoch === 2) controller.abort();
      },
    });
    clearInterval(timer);
    expect(history.stopReason).toBe('aborted');
    expect(history.epochs.length).toBeLessThan(20);
    expect(ticks).toBeGreaterThan(5);
    expect(model.getWeights().every((w) => w.every(Number.isFinite))).toBe(true);
    await expect(model.fit(x, y.slice(1), { worker: true })).rejects.toThrow('y: expected 512 labels (one per row of x), received 511');
    // A custom metric is a function: it cannot cross to the worker.
    const custom = dn.mlp([3, 4, 1], { seed: 2 });
    custom.compile({
      loss: 'binaryCrossEntropy',
      metrics: [
        function meanOutput(_t: dn.Matrix, p: dn.Matrix) {
          return p.data[0] as number;
        },
      ],
    });
    await expect(custom.fit(x, y, { worker: true })).rejects.toThrow("the custom metric 'meanOutput' cannot run in the worker");
  });

  it('a callback that throws stops the worker and rejects fit, as in-process', async () => {
    const fail = () => {
      throw new Error('callback failed');
    };
    await expect(make().fit(x, y, { epochs: 50, worker: true, onEpochEnd: fail })).rejects.toThrow('callback failed');
    await expect(make().fit(x, y, { epochs: 50, onEpochEnd: fail })).rejects.toThrow('callback failed');
  });

  it('runs earlyStopping inside the worker', async () => {
    const model = make();
    const history = await model.fit(x, y, {
      epochs: 500,
      worker: true,
      callbacks: [dn.earlyStopping({ monitor: 'loss', patience: 0, minDelta: 1 })],
    });
    expect(history.stopReason).toBe('earlyStopping');
    expect(history.epochs).toHaveLength(2);
  });
});
