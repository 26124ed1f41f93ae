// What a server needs from a training library: divergence that stops with an
// error and finite weights, one fit at a time per model, flat memory over many
// models, and worker_threads that train side by side or die mid-fit safely.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import * as dn from '../lib/index.js';
import { packageRoot } from './helpers/backends.js';

const data = dn.breastCancer();
const fixture = (name: string) => join(packageRoot, 'test', 'fixtures', name);

describe('numerical faults', () => {
  // Inputs scaled by 1e3 and a huge learning rate: the loss overflows within a few steps.
  const wild = () => {
    const big = { ...data.xTrain, data: data.xTrain.data.map((v) => v * 1e3) };
    const model = dn
      .sequential({ inputs: 30, seed: 2, layers: [dn.dense(8), dn.relu(), dn.dense(1), dn.linear()] })
      .compile({ loss: 'meanSquaredError', optimizer: dn.sgd({ learningRate: 10 }) });
    return { big, model };
  };

  it('divergence rejects fit with a DivergenceError and keeps the weights of the last good step', async () => {
    const { big, model } = wild();
    let last = model.params.slice();
    const error = await model
      .fit(big, data.yTrain, {
        epochs: 50,
        batchSize: 16,
        onBatchEnd: () => {
          last = model.params.slice();
        },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(dn.DivergenceError);
    const diverged = error as dn.DivergenceError;
    expect(diverged.message).toMatch(/^fit: training diverged at epoch \d+, step \d+/);
    expect(diverged.history.stopReason).toBe('diverged');
    expect(model.params.every(Number.isFinite)).toBe(true);
    // Either the update was skipped (the last good step's weights) or the weights had overflowed
    // and the epoch's starting weights came back: both finite, and the message says which.
    if (!/overflowed/.test(diverged.message)) expect(model.params).toEqual(last);
  });

  it('weights that overflow from finite gradients are restored to the epoch start', async () => {
    // Inputs near 1e17 give finite gradients near 1e33; times a learning rate of 1e4 they overflow float32.
    const huge = { ...data.xTrain, data: data.xTrain.data.map((v) => v * 1e17) };
    const model = dn
      .sequential({ inputs: 30, seed: 2, layers: [dn.dense(4), dn.relu(), dn.dense(1), dn.linear()] })
      .compile({ loss: 'meanSquaredError', optimizer: dn.sgd({ learningRate: 1e4 }) });
    const start = model.params.slice();
    const error = await model.fit(huge, data.yTrain, { epochs: 3, batchSize: 16 }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /the weights overflowed; the model keeps the weights and optimizer state from the start of epoch 0/,
    );
    expect(model.params).toEqual(start);
  });

  it("finite targets that overflow Adam's or RMSprop's second moment stop training, with the epoch's start restored", async () => {
    // Targets of 1e25 give finite gradients whose squares overflow float32: the moment would be
    // Infinity, every later step of those weights 0, and fit would resolve with nothing learnt.
    const x = dn.matrix([
      [1, 0],
      [0, 1],
      [1, 1],
      [0, 0],
    ]);
    for (const optimizer of [dn.adam(), dn.rmsprop()]) {
      const model = dn.sequential({ inputs: 2, seed: 1, layers: [dn.dense(3), dn.relu(), dn.dense(1)] });
      model.compile({ loss: 'meanSquaredError', optimizer });
      await model.fit(x, [1, -1, 1, 0], { epochs: 2, batchSize: 4 }); // an ordinary epoch first
      const { slots } = model.requireCompiled('fit').optimizer;
      const [params, moments] = [model.params.slice(), slots.map((s) => s.slice())];
      const error = await model.fit(x, [1e25, -1e25, 1e25, 0], { epochs: 3, batchSize: 4 }).catch((e: unknown) => e);
      expect(error, optimizer.name).toBeInstanceOf(dn.DivergenceError);
      expect((error as Error).message).toMatch(/in epoch 0: the optimizer's moments overflowed \(a gradient of 1e20 or more\)/);
      expect(model.params).toEqual(params);
      expect(slots.map((s) => s.slice())).toEqual(moments);
      expect(model.requireCompiled('fit').optimizer.step).toBe(2);
      // With a checkpoint after every step, the moments are scanned before each save (which would refuse them).
      const dir = mkdtempSync(join(tmpdir(), 'dn-moments-'));
      const saving = await model
        .fit(x, [1e25, -1e25, 1e25, 0], { epochs: 1, batchSize: 2, checkpoint: { dir, everySteps: 1 } })
        .catch((e: unknown) => e);
      rmSync(dir, { recursive: true, force: true });
      expect(saving, optimizer.name).toBeInstanceOf(dn.DivergenceError);
      expect(model.params).toEqual(params);
    }
  });

  it('a run in a training worker diverges the same way', async () => {
    const { big, model } = wild();
    const error = await model.fit(big, data.yTrain, { epochs: 50, batchSize: 16, worker: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(dn.DivergenceError);
    expect(model.params.every(Number.isFinite)).toBe(true);
  });

  it('NaN or Infinity in the data names the row and column, at every entry point', async () => {
    const model = dn.mlp([30, 4, 1]);
    const x = { ...data.xTest, data: data.xTest.data.slice() };
    x.data[7 * 30 + 5] = Number.NaN;
    await expect(model.fit(x, data.yTest)).rejects.toThrow('x: row 7, column 5 is NaN; every value must be finite');
    expect(() => model.predict(x)).toThrow('x: row 7, column 5 is NaN');
    x.data[7 * 30 + 5] = Number.NEGATIVE_INFINITY;
    expect(() => model.evaluate(x, data.yTest)).toThrow('x: row 7, column 5 is -Infinity');
  });
});

describe('one model, concurrent calls', () => {
  it('a second fit while one runs is rejected; so are compile, and setWeights while a worker trains', async () => {
    const model = dn.mlp([30, 8, 1]);
    const first = model.fit(data.xTrain, data.yTrain, { epochs: 3 });
    expect(model.isTraining).toBe(true);
    await expect(model.fit(data.xTrain, data.yTrain)).rejects.toThrow('fit: this model is training; wait for fit() to finish');
    expect(() => model.compile({ loss: 'binaryCrossEntropy' })).toThrow('compile: this model is training');
    // In-process, JavaScript runs between steps, so setting weights is well defined (as in Keras).
    expect(() => model.setWeights(model.getWeights())).not.toThrow();
    await first;
    const inWorker = model.fit(data.xTrain, data.yTrain, { epochs: 2, worker: true });
    expect(() => model.setWeights(model.getWeights())).toThrow('setWeights: this model is training');
    await inWorker;
    expect(model.isTraining).toBe(false);
    await expect(model.fit(data.xTrain, data.yTrain)).resolves.toBeDefined();
  });

  it('a failed fit releases the model', async () => {
    const model = dn.mlp([30, 8, 1]);
    await expect(model.fit(data.xTrain, data.yTrain, { epochs: 0 })).rejects.toThrow(RangeError);
    expect(model.isTraining).toBe(false);
  });

  it('predict and evaluate during fit are safe: they see the weights of the last completed step', async () => {
    const model = dn.mlp([30, 16, 8, 1], { batchNorm: true, dropout: 0.2, seed: 4 });
    const reference = dn.mlp([30, 16, 8, 1], { batchNorm: true, dropout: 0.2, seed: 4 });
    let checks = 0;
    await model.fit(data.xTrain, data.yTrain, {
      epochs: 2,
      onBatchEnd: () => {
        // A second model holding the same weights gives the same predictions: nothing half-updated.
        reference.setWeights(model.getWeights());
        expect(model.predict(data.xTest, { batchSize: 7 }).data).toEqual(reference.predict(data.xTest, { batchSize: 7 }).data);
        checks++;
      },
    });
    expect(checks).toBeGreaterThan(20);
    // And training went on correctly: the same run without the interleaved predictions.
    const plain = dn.mlp([30, 16, 8, 1], { batchNorm: true, dropout: 0.2, seed: 4 });
    await plain.fit(data.xTrain, data.yTrain, { epochs: 2 });
    expect(model.params).toEqual(plain.params);
  });
});

describe('memory', () => {
  it('200 build/fit/predict cycles: RSS and external memory stop growing', () => {
    const run = spawnSync(process.execPath, ['--expose-gc', fixture('memory-cycles.mjs'), '200'], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const samples = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { cycle: number; rss: number; external: number; arrayBuffers: number; heapUsed: number });
    expect(samples).toHaveLength(8);
    const at = (cycle: number) => samples.find((s) => s.cycle === cycle) as (typeof samples)[number];
    console.log(
      `memory after 50/200 cycles: rss ${at(50).rss.toFixed(1)}/${at(200).rss.toFixed(1)} MiB, external ${at(50).external.toFixed(1)}/${at(200).external.toFixed(1)} MiB`,
    );
    // Generous bounds: 150 more models must not cost more than a few of them.
    expect(at(200).rss - at(50).rss).toBeLessThan(40);
    expect(at(200).external - at(50).external).toBeLessThan(8);
    expect(at(200).heapUsed - at(50).heapUsed).toBeLessThan(8);
  }, 120_000);
});

describe('worker_threads', () => {
  function trainInWorker(seed: number, epochs: number) {
    const worker = new Worker(fixture('train-worker.mjs'), { workerData: { seed, epochs } });
    const done = new Promise<{ params: Float32Array; backend: string }>((resolve, reject) => {
      worker.on('message', (m: { type: string; params: Float32Array; backend: string }) => {
        if (m.type === 'done') resolve(m);
      });
      worker.on('error', reject);
    });
    return { worker, done };
  }

  async function inProcess(seed: number, epochs: number): Promise<Float32Array> {
    const model = dn.mlp([30, 32, 16, 1], { batchNorm: true, dropout: 0.1, optimizer: dn.adam({ learningRate: 0.01 }), seed });
    await model.fit(data.xTrain, data.yTrain, { epochs });
    return model.params;
  }

  it('two workers load the addon and train at the same time, each exactly as alone', async () => {
    const a = trainInWorker(1, 8);
    const b = trainInWorker(2, 8);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.backend).toBe(dn.backendInfo().name);
    // One thread pool per process: a worker that finds it busy computes on its own thread, and
    // the work split never changes the arithmetic, so results are bitwise those of a lone run.
    expect(ra.params).toEqual(await inProcess(1, 8));
    expect(rb.params).toEqual(await inProcess(2, 8));
  });

  it('a worker terminated mid-fit does not take the process down, and training goes on', async () => {
    const { worker, done } = trainInWorker(3, 100_000);
    done.catch(() => undefined);
    await new Promise<void>((resolve) => {
      worker.on('message', (m: { type: string }) => {
        if (m.type === 'epoch') resolve();
      });
    });
    expect(await worker.terminate()).toBe(1);
    // The pool and the addon still work, in this thread and in a new worker.
    expect(await inProcess(5, 2)).toEqual(await inProcess(5, 2));
    const again = trainInWorker(5, 2);
    expect((await again.done).params).toEqual(await inProcess(5, 2));
  });
});
