// The training features a Keras user reaches for: sample and class weights (against float64
// references and TF.js's class-weighted fit), validationSplit, compiled metrics in history and
// evaluate, huber and MAE, frozen layers, reduceLrOnPlateau, every callback hook (async, awaited,
// in worker mode too) and verbose; and the bad input each takes.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import * as dn from '../lib/index.js';
import { expectClose } from './helpers/compare.js';
import { randomFloats } from './helpers/reference.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** n rows of 3 features with a label from a noisy linear rule; `positive` sets the share of 1s. */
function table(n: number, seed: number, positive = 0.5): { x: dn.Matrix; y: number[] } {
  const noise = randomFloats(n * 4, seed);
  const x = dn.matrix(
    Array.from({ length: n }, (_, i) => [noise[4 * i] as number, noise[4 * i + 1] as number, noise[4 * i + 2] as number]),
  );
  const score = Array.from(
    { length: n },
    (_, i) => (noise[4 * i] as number) + 0.5 * (noise[4 * i + 1] as number) + 0.7 * (noise[4 * i + 3] as number),
  );
  const cut = [...score].sort((a, b) => b - a)[Math.max(0, Math.floor(n * positive) - 1)] as number;
  return { x, y: score.map((s) => (s >= cut ? 1 : 0)) };
}

const logistic = (seed = 1) => dn.sequential({ inputs: 3, seed, layers: [dn.dense(1), dn.sigmoid()] });

describe('sample and class weights', () => {
  it('the weighted loss is Σ wᵢℓᵢ / n, and a weight of 0 is a dropped row (float64 reference)', () => {
    const { x, y } = table(40, 3);
    const model = logistic().compile({ loss: 'binaryCrossEntropy' });
    const w = Array.from({ length: 40 }, (_, i) => (i % 5 === 0 ? 0 : (i % 3) + 0.5));
    const p = model.predict(x).data;
    let sum = 0;
    for (let i = 0; i < 40; i++) {
      const q = p[i] as number;
      sum += (w[i] as number) * -((y[i] as number) * Math.log(q) + (1 - (y[i] as number)) * Math.log(1 - q));
    }
    const got = model.evaluate(x, y, { sampleWeight: w });
    expect(got.dataLoss).toBeCloseTo(sum / 40, 5);
    // Weight 0 on a row: the sum is that of the other rows (still over n = 40).
    const keep = w.map((v) => (v > 0 ? 1 : 0));
    const kept = model.evaluate(x, y, { sampleWeight: keep }).dataLoss * 40;
    const rows = y.flatMap((_, i) => (keep[i] ? [i] : []));
    const sub = dn.matrix(rows.map((i) => Array.from(x.data.subarray(3 * i, 3 * i + 3))));
    expect(kept).toBeCloseTo(
      model.evaluate(
        sub,
        rows.map((i) => y[i] as number),
      ).dataLoss * rows.length,
      4,
    );
  });

  it('classWeight trains as TF.js fit({ classWeight }) does (SGD, full batches)', async () => {
    const { x, y } = table(64, 5, 0.2);
    const ours = logistic(7).compile({ loss: 'binaryCrossEntropy', optimizer: dn.sgd({ learningRate: 0.5 }) });
    const theirs = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [3], activation: 'sigmoid' })] });
    theirs.setWeights(ours.getWeights().map((w, i) => (i === 0 ? tf.tensor2d(w, [3, 1]) : tf.tensor1d(w))));
    theirs.compile({ loss: 'binaryCrossentropy', optimizer: tf.train.sgd(0.5) });
    await ours.fit(x, y, { epochs: 3, batchSize: 64, shuffle: false, classWeight: { 0: 1, 1: 4 } });
    await theirs.fit(tf.tensor2d(x.data, [64, 3]), tf.tensor2d(y, [64, 1]), {
      epochs: 3,
      batchSize: 64,
      shuffle: false,
      classWeight: { 0: 1, 1: 4 },
      verbose: 0,
    });
    const want = theirs.getWeights().map((t) => t.dataSync() as Float32Array);
    ours.getWeights().forEach((w, i) => {
      expectClose(w, want[i] as Float32Array, 1e-4, 1e-5, `weight ${i}`);
    });
    // And it moved: unweighted training ends elsewhere.
    const plain = logistic(7).compile({ loss: 'binaryCrossEntropy', optimizer: dn.sgd({ learningRate: 0.5 }) });
    await plain.fit(x, y, { epochs: 3, batchSize: 64, shuffle: false });
    expect(Math.abs((plain.getWeights()[1] as Float32Array)[0] as number) - ((ours.getWeights()[1] as Float32Array)[0] as number)).not.toBe(
      0,
    );
  });

  it("on 5 % positives, classWeight 'balanced' raises recall, as the weighted cost predicts", async () => {
    const { x, y } = table(2000, 11, 0.05);
    const train = async (classWeight?: dn.ClassWeight) => {
      const model = dn.mlp([3, 8, 1], { seed: 2 });
      model.compile({ loss: 'binaryCrossEntropy', optimizer: dn.adam({ learningRate: 0.01 }), metrics: ['recall', 'precision'] });
      await model.fit(x, y, { epochs: 20, batchSize: 64, ...(classWeight === undefined ? {} : { classWeight }) });
      return model.evaluate(x, y);
    };
    const plain = await train();
    const balanced = await train('balanced');
    expect(balanced.recall as number).toBeGreaterThan((plain.recall as number) + 0.2);
    expect(balanced.recall as number).toBeGreaterThan(0.8);
    // The price: more false positives, so precision falls.
    expect(balanced.precision as number).toBeLessThan(plain.precision as number);
  });

  it('class names from dn.tabular work as classWeight keys', async () => {
    const records = Array.from({ length: 60 }, (_, i) => ({ a: i % 7, b: (i * 3) % 5, label: i % 4 === 0 ? 'yes' : 'no' }));
    const data = dn.tabular(records, { target: 'label' });
    const model = dn.mlp([data.x.cols, 4, 1], { seed: 1 });
    model.preprocessing = dn.tabularPreprocessing(data.spec);
    const labels = data.y as Int32Array;
    await expect(model.fit(data.x, labels, { classWeight: { yes: 3, no: 1 } })).resolves.toBeDefined();
    await expect(model.fit(data.x, labels, { classWeight: { yess: 3 } })).rejects.toThrow(
      /fit: expected '0', '1', 'no' or 'yes' for classWeight key, received 'yess' \(did you mean 'yes'\?\)/,
    );
  });

  it('refuses bad weights, naming them', async () => {
    const { x, y } = table(10, 1);
    const model = logistic();
    model.compile({ loss: 'binaryCrossEntropy' });
    await expect(model.fit(x, y, { sampleWeight: [1, 2] })).rejects.toThrow(
      'fit: expected 10 weights (one per row) for sampleWeight, received 2',
    );
    await expect(model.fit(x, y, { sampleWeight: y.map((_, i) => (i === 3 ? -1 : 1)) })).rejects.toThrow(
      'fit: expected a finite number >= 0 (at most 3.4e38, float32) for sampleWeight[3], received -1',
    );
    await expect(model.fit(x, y, { sampleWeight: y.map((_, i) => (i === 4 ? Number.NaN : 1)) })).rejects.toThrow('sampleWeight[4]');
    // Finite in float64, Infinity in the float32 kernels.
    await expect(model.fit(x, y, { sampleWeight: y.map((_, i) => (i === 5 ? 1e39 : 1)) })).rejects.toThrow(
      'for sampleWeight[5], received 1e+39',
    );
    await expect(model.fit(x, y, { sampleWeight: y.map(() => 1e30), classWeight: { 0: 1e30, 1: 1e30 } })).rejects.toThrow(
      'fit: expected a product within float32 (at most 3.4e38) for sampleWeight[0] × classWeight, received Infinity',
    );
    await expect(model.fit(x, y, null as unknown as dn.FitOptions)).rejects.toThrow('fit: expected an object for options, received null');
    expect(() => model.predict(x, null as unknown as { batchSize: number })).toThrow(
      'predict: expected an object for options, received null',
    );
    expect(() => model.predict(x, { batchsize: 2 } as unknown as { batchSize: number })).toThrow(
      /unknown option 'batchsize' .*did you mean 'batchSize'/,
    );
    await expect(model.fit(x, y, { sampleWeight: y.map(() => 0) })).rejects.toThrow('fit: expected some weight > 0 for sampleWeight');
    await expect(model.fit(x, y, { classWeight: { 2: 1 } })).rejects.toThrow("received '2'");
    await expect(model.fit(x, y, { classWeight: [1, 2, 3] })).rejects.toThrow('fit: expected 2 weights (one per class) for classWeight');
    await expect(model.fit(x, y, { classWeight: 'even' as dn.ClassWeight })).rejects.toThrow(TypeError);
    const regression = dn.mlp([3, 1], { output: 'linear' });
    await expect(regression.fit(x, y, { classWeight: 'balanced' })).rejects.toThrow('a classifier');
  });
});

describe('validationSplit', () => {
  it('holds out the last fraction of the rows, before shuffling, as Keras does', async () => {
    const { x, y } = table(50, 2);
    const model = logistic().compile({ loss: 'binaryCrossEntropy', metrics: ['accuracy'] });
    const history = await model.fit(x, y, { epochs: 1, validationSplit: 0.2 });
    const last = dn.matrix(Array.from({ length: 10 }, (_, i) => Array.from(x.data.subarray(3 * (40 + i), 3 * (41 + i)))));
    const v = model.evaluate(last, y.slice(40));
    expect(history.epochs[0]?.valLoss).toBeCloseTo(v.loss, 6);
    expect(history.epochs[0]?.valAccuracy).toBeCloseTo(v.accuracy as number, 6);
    expect(history.epochs[0]?.samplesPerSecond).toBeGreaterThan(0);
  });

  it('refuses a split outside (0, 1), one that leaves no rows, and one beside validationData', async () => {
    const { x, y } = table(4, 2);
    const model = logistic().compile({ loss: 'binaryCrossEntropy' });
    await expect(model.fit(x, y, { validationSplit: 1 })).rejects.toThrow(
      'fit: expected a number in (0, 1) for validationSplit, received 1',
    );
    await expect(model.fit(x, y, { validationSplit: 0.8 })).rejects.toThrow('a split leaving rows on both sides');
    await expect(model.fit(x, y, { validationSplit: 0.5, validationData: [x, y] })).rejects.toThrow('no validationData as well');
  });
});

describe('metrics', () => {
  it('history records each compiled metric and its val twin; evaluate returns them', async () => {
    const { x, y } = table(200, 4, 0.3);
    const model = logistic().compile({ loss: 'binaryCrossEntropy', metrics: ['accuracy', 'auc', 'precision', 'recall', 'f1'] });
    const history = await model.fit(x, y, { epochs: 2, validationData: [x, y] });
    for (const key of ['accuracy', 'auc', 'precision', 'recall', 'f1', 'valAuc', 'valF1', 'learningRate'])
      expect(history.history[key], key).toHaveLength(2);
    const e = model.evaluate(x, y);
    const p = model.predict(x).data;
    expect(e.auc).toBeCloseTo(dn.rocAuc(p, Uint8Array.from(y)), 12);
    expect(history.epochs[1]?.valAuc).toBeCloseTo(e.auc as number, 12);
  });

  it('a custom metric is averaged over batches; a regression always reports r2, mae, rmse', async () => {
    const { x } = table(30, 8);
    const target = Array.from({ length: 30 }, (_, i) => (x.data[3 * i] as number) * 2 + 1);
    const model = dn.mlp([3, 1], { output: 'linear', seed: 3 });
    const maxError = (t: dn.Matrix, p: dn.Matrix) => Math.max(...Array.from(t.data, (v, i) => Math.abs(v - (p.data[i] as number))));
    model.compile({ loss: 'meanSquaredError', metrics: ['mae', maxError] });
    const history = await model.fit(x, target, { epochs: 2, batchSize: 30 });
    expect(history.history.maxError).toHaveLength(2);
    const e = model.evaluate(x, target);
    expect(Object.keys(e)).toEqual(expect.arrayContaining(['mae', 'maxError', 'r2', 'rmse']));
    expect(() => model.compile({ loss: 'meanSquaredError', metrics: ['auc'] })).toThrow(/regression metric/);
    const softmax = dn.sequential({ inputs: 3, layers: [dn.dense(3), dn.softmax()] });
    expect(() => softmax.compile({ loss: 'crossEntropy', metrics: ['auc'] })).toThrow(/'auc' on a binary classifier/);
  });
});

describe('losses', () => {
  it('huber (with delta) and meanAbsoluteError train a regression and report in history', async () => {
    const { x } = table(100, 9);
    const target = Array.from(
      { length: 100 },
      (_, i) => (x.data[3 * i] as number) - 2 * (x.data[3 * i + 1] as number) + (i === 7 ? 40 : 0),
    );
    for (const [loss, extra] of [
      ['huber', { delta: 0.5 }],
      ['meanAbsoluteError', {}],
    ] as const) {
      const model = dn.mlp([3, 1], { output: 'linear', seed: 1 });
      model.compile({ loss, ...extra, optimizer: dn.adam({ learningRate: 0.05 }) });
      const history = await model.fit(x, target, { epochs: 30, batchSize: 20 });
      const losses = history.history.loss as number[];
      expect(losses[losses.length - 1], loss).toBeLessThan((losses[0] as number) * 0.6);
    }
    const model = dn.mlp([3, 1], { output: 'linear' });
    expect(() => model.compile({ loss: 'meanSquaredError', delta: 1 })).toThrow(
      "compile: expected nothing unless loss is 'huber' for delta",
    );
    expect(() => model.compile({ loss: 'huber', delta: 0 })).toThrow('compile: expected a number in (0, 1000000] for delta, received 0');
    expect(() => model.compile({ loss: 'hubber' as dn.LossName })).toThrow(/did you mean 'huber'/);
  });

  it('every regression loss takes multi-output targets of any sign; only a cross-entropy keeps them in [0, 1]', async () => {
    const { x } = table(60, 3);
    const y = dn.matrix(Array.from({ length: 60 }, (_, i) => [5 * (x.data[3 * i] as number) - 3, 200 * (x.data[3 * i + 1] as number)]));
    for (const loss of ['meanSquaredError', 'huber', 'meanAbsoluteError'] as const) {
      const model = dn.sequential({ inputs: 3, seed: 1, layers: [dn.dense(8), dn.relu(), dn.dense(2)] });
      model.compile({ loss, optimizer: dn.adam({ learningRate: 0.05 }) });
      const history = await model.fit(x, y, { epochs: 5, batchSize: 20 });
      expect(history.epochs.length, loss).toBe(5);
      expect(Number.isFinite(model.evaluate(x, y).loss), loss).toBe(true);
    }
    const softmax = dn.sequential({ inputs: 3, seed: 1, layers: [dn.dense(2), dn.softmax()] });
    softmax.compile({ loss: 'crossEntropy' });
    await expect(softmax.fit(x, y, { epochs: 1 })).rejects.toThrow(/targets of a cross-entropy must be in \[0, 1\]/);
  });
});

describe('frozen layers', () => {
  it('fit leaves a frozen layer bit for bit, trains the rest, and load keeps the flag', async () => {
    const { x, y } = table(64, 6);
    const model = dn.sequential({ inputs: 3, seed: 2, layers: [dn.dense(8, { trainable: false }), dn.relu(), dn.dense(1), dn.sigmoid()] });
    model.compile({ loss: 'binaryCrossEntropy', optimizer: 'adam' });
    const before = model.getWeights();
    await model.fit(x, y, { epochs: 2, batchSize: 16 });
    const after = model.getWeights();
    expect(after[0]).toEqual(before[0]);
    expect(after[1]).toEqual(before[1]);
    expect(after[2]).not.toEqual(before[2]);
    // Its optimizer slots were not spent either.
    const slots = model.compiled?.optimizer.slots ?? [];
    expect(slots.every((s) => s.subarray(0, 3 * 8 + 8).every((v) => v === 0))).toBe(true);
    model.setTrainable(0, true);
    await model.fit(x, y, { epochs: 1 });
    expect(model.getWeights()[0]).not.toEqual(before[0]);
    model.setTrainable(0, false).setTrainable(2, false);
    await expect(model.fit(x, y)).rejects.toThrow('fit: every layer is frozen');
    expect(() => model.setTrainable(1, false)).toThrow('setTrainable: expected a dense or batchNorm layer');
    expect(() => model.setTrainable(9, false)).toThrow('setTrainable: expected a layer index in [0, 4) for index, received 9');
    expect(() => dn.dense(3, { trainable: 'no' as unknown as boolean })).toThrow('dense: expected true or false for trainable');
  });
});

describe('reduceLrOnPlateau', () => {
  it("cuts the rate by factor after patience epochs without improvement (Keras's order), down to minLr", async () => {
    const cb = dn.reduceLrOnPlateau({ monitor: 'loss', factor: 0.5, patience: 2, cooldown: 1, minLr: 0.02 });
    let lr = 0.1;
    const setLearningRate = (v: number) => {
      lr = v;
    };
    const model = { getLearningRate: () => lr, setLearningRate } as unknown as dn.CallbackModel;
    const run: dn.RunInfo = { validation: false, logs: ['loss'], epochs: 10, steps: 1, accuracy: false };
    await cb.onTrainBegin?.(model, run);
    const seen: number[] = [];
    for (const [epoch, loss] of [1, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9].entries()) {
      await cb.onEpochEnd?.(epoch, { epoch, loss } as dn.EpochLogs, model);
      seen.push(lr);
    }
    // Keras's ReduceLROnPlateau, traced by hand: improves at 0 and 1; waits at 2, 3 → 0.05 at 3; epoch 4
    // is the cooldown (its counter reaches 0 before the wait counts, so it counts 1); 5 → 0.025; 6, 7 →
    // 0.0125, floored at minLr 0.02; 8, 9 would reduce below the floor: no change.
    expect(seen).toEqual([0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02, 0.02]);
    expect(() => dn.reduceLrOnPlateau({ factor: 1 })).toThrow('reduceLrOnPlateau: expected a number in (0, 1) for factor, received 1');
  });

  it('in fit, history.learningRate shows the reduction (in a worker too, identically)', async () => {
    const { x, y } = table(64, 3);
    const runFit = async (worker: boolean) => {
      const model = dn.mlp([3, 4, 1], { seed: 5, optimizer: dn.sgd({ learningRate: 0.1 }) });
      return model.fit(x, y, {
        epochs: 6,
        worker,
        callbacks: [dn.reduceLrOnPlateau({ monitor: 'loss', minDelta: 10, patience: 1, factor: 0.5 })],
      });
    };
    const here = await runFit(false);
    // Logged before the callbacks run: epoch 0 improves, each later one reduces for the next.
    const want = [0.1, 0.1, 0.05, 0.025, 0.0125, 0.00625];
    (here.history.learningRate as number[]).forEach((v, i) => {
      expect(v).toBeCloseTo(want[i] as number, 12);
    });
    const there = await runFit(true);
    expect(there.history.learningRate).toEqual(here.history.learningRate);
    expect(there.history.loss).toEqual(here.history.loss);
  });
});

describe('callback hooks', () => {
  it('every hook is called in order and awaited; a stop from onBatchEnd ends training there', async () => {
    const { x, y } = table(32, 1);
    const events: string[] = [];
    const slow = () => new Promise((r) => setTimeout(r, 2));
    const callback: dn.Callback = {
      async onTrainBegin(_m, run) {
        await slow();
        events.push(`trainBegin ${run.steps} ${run.logs.includes('valLoss')}`);
      },
      async onEpochBegin(e) {
        await slow();
        events.push(`epochBegin ${e}`);
      },
      onBatchBegin: (b) => void events.push(`batchBegin ${b}`),
      async onBatchEnd(b) {
        await slow();
        events.push(`batchEnd ${b}`);
        return events.length > 12 ? 'stop' : undefined;
      },
      onEpochEnd: (e) => void events.push(`epochEnd ${e}`),
      onTrainEnd: (_m, h) => void events.push(`trainEnd ${h.stopReason}`),
    };
    const history = await dn.mlp([3, 2, 1]).fit(x, y, { epochs: 5, batchSize: 16, callbacks: [callback] });
    expect(events.slice(0, 7)).toEqual([
      'trainBegin 2 false',
      'epochBegin 0',
      'batchBegin 0',
      'batchEnd 0',
      'batchBegin 1',
      'batchEnd 1',
      'epochEnd 0',
    ]);
    expect(history.stopReason).toBe('callback');
    expect(events[events.length - 1]).toBe('trainEnd callback');
    expect(events[events.length - 2]).toMatch(/^epochEnd/);
  });

  it('with worker: true, callbacks run on the main thread, and their stop and learning rate reach the worker', async () => {
    const { x, y } = table(64, 2);
    const runFit = async (worker: boolean) => {
      const model = dn.mlp([3, 4, 1], { seed: 9, optimizer: dn.sgd({ learningRate: 0.2 }) });
      const epochs: number[] = [];
      const history = await model.fit(x, y, {
        epochs: 10,
        worker,
        callbacks: [
          {
            onEpochEnd(epoch, _logs, m) {
              epochs.push(epoch);
              m.setLearningRate(m.getLearningRate() / 2);
              return epoch === 3 ? 'stop' : undefined;
            },
          },
        ],
      });
      return { history, epochs, weights: model.getWeights() };
    };
    const here = await runFit(false);
    const there = await runFit(true);
    expect(there.epochs).toEqual([0, 1, 2, 3]);
    expect(there.history.stopReason).toBe('callback');
    expect(there.history.history.loss).toEqual(here.history.history.loss);
    expect(there.weights).toEqual(here.weights);
  });

  it('a stop from onBatchBegin or onTrainBegin, a signal aborted before fit, setWeights in an epoch hook: the same in a worker', async () => {
    const { x, y } = table(40, 4);
    const start = dn.mlp([3, 4, 1], { seed: 2 }).getWeights();
    const reset: { weights: Float32Array[]; loss: number[] | undefined }[] = [];
    for (const worker of [false, true]) {
      const run = async (options: Partial<dn.FitOptions>) => {
        const model = dn.mlp([3, 4, 1], { seed: 2 });
        const history = await model.fit(x, y, { epochs: 3, batchSize: 10, worker, ...options });
        return { history, weights: model.getWeights() };
      };
      const trainStop = await run({ callbacks: [{ onTrainBegin: () => 'stop' }] });
      expect([trainStop.history.epochs.length, trainStop.history.stopReason], `worker ${worker}`).toEqual([0, 'callback']);
      expect(trainStop.weights).toEqual(start);
      const aborted = await run({ signal: AbortSignal.abort() });
      expect([aborted.history.epochs.length, aborted.history.stopReason], `worker ${worker}`).toEqual([0, 'aborted']);
      expect(aborted.weights).toEqual(start);
      // In-process the stop lands before the batch; a worker is not waiting for batch hooks, so later.
      const batchStop = await run({ epochs: worker ? 500 : 3, callbacks: [{ onBatchBegin: (b) => (b === 1 ? 'stop' : undefined) }] });
      expect(batchStop.history.stopReason, `worker ${worker}`).toBe('callback');
      expect(batchStop.history.epochs.length).toBeLessThan(worker ? 500 : 2);
      // The first two epochs' ends put the starting weights back: the same weights and losses either way.
      const resets = await run({ callbacks: [{ onEpochEnd: (e, _l, m) => void (e < 2 && m.setWeights(start)) }] });
      expect(resets.history.epochs.length).toBe(3);
      reset.push({ weights: resets.weights, loss: resets.history.history.loss });
    }
    expect(reset[1]).toEqual(reset[0]);
    const plain = await dn.mlp([3, 4, 1], { seed: 2 }).fit(x, y, { epochs: 3, batchSize: 10 });
    expect(reset[0]?.loss?.[1]).not.toBe(plain.history.loss?.[1]); // the reset took effect
  });

  it('with worker: true, async onTrainBegin and onTrainEnd are awaited too', async () => {
    const { x, y } = table(32, 1);
    const events: string[] = [];
    const later = (what: string) => new Promise<void>((r) => setTimeout(() => r(void events.push(what)), 20));
    await dn.mlp([3, 2, 1]).fit(x, y, {
      epochs: 1,
      worker: true,
      callbacks: [{ onTrainBegin: () => later('begin'), onEpochBegin: () => void events.push('epoch'), onTrainEnd: () => later('end') }],
    });
    expect(events).toEqual(['begin', 'epoch', 'end']);
  });

  it('verbose: 2 prints one line per epoch; 0 prints nothing', async () => {
    const { x, y } = table(16, 1);
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await dn.mlp([3, 1]).fit(x, y, { epochs: 3, verbose: 2 });
      const lines = write.mock.calls.map((c) => String(c[0])).filter((l) => l.startsWith('epoch'));
      expect(lines).toHaveLength(3);
      expect(lines[0]).toMatch(/^epoch 1\/3 {2}loss \d\.\d{4} {2}acc \d+\.\d%/);
      write.mockClear();
      await dn.mlp([3, 1]).fit(x, y, { epochs: 2 });
      expect(write).not.toHaveBeenCalled();
    } finally {
      write.mockRestore();
    }
    await expect(dn.mlp([3, 1]).fit(x, y, { verbose: 3 as 1 })).rejects.toThrow("fit: expected '0', '1' or '2' for verbose");
  });
});

describe('what belongs to the model is saved with it', () => {
  it('load and the TF.js round trip keep frozen flags, the loss with its delta and the built-in metrics', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'densenode-features-'));
    const model = dn.sequential({ inputs: 3, layers: [dn.dense(4, { trainable: false }), dn.relu(), dn.dense(1)] });
    model.compile({
      loss: 'huber',
      delta: 0.25,
      metrics: [
        'mae',
        'r2',
        function spread() {
          return 0;
        },
      ],
    });
    await model.save(join(dir, 'm'));
    const back = await dn.load(join(dir, 'm'));
    expect(back.config.layers[0]).toMatchObject({ type: 'dense', trainable: false });
    expect(back.compiled?.loss).toBe('huber');
    expect(back.compiled?.delta).toBe(0.25);
    // The custom metric is code: it is not in the file.
    expect(back.compiled?.metrics.map((m) => m.name)).toEqual(['mae', 'r2']);
    await model.exportTfjs(join(dir, 'tfjs'));
    const imported = await dn.importTfjs(join(dir, 'tfjs'));
    expect(imported.config.layers[0]).toMatchObject({ type: 'dense', trainable: false });
    expect(imported.config.layers[2]).not.toHaveProperty('trainable');
  });

  it('every optimizer loads back with its own options, clipping included', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'densenode-optimizers-'));
    const specs = [
      dn.sgd({ clipNorm: 2 }),
      dn.momentum({ clipValue: 0.5 }),
      dn.rmsprop(),
      dn.adam({ clipNorm: 1, clipValue: 3 }),
      dn.adamw(),
    ];
    for (const [i, optimizer] of specs.entries()) {
      const model = dn.mlp([3, 2, 1], { optimizer });
      await model.save(join(dir, String(i)));
      expect((await dn.load(join(dir, String(i)))).compiled?.optimizer.spec, optimizer.name).toEqual(optimizer);
    }
  });

  it('a checkpoint keeps a reduced learning rate, so a resumed run continues bit for bit', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { x, y } = table(48, 4);
    const dir = mkdtempSync(join(tmpdir(), 'densenode-resume-'));
    const make = () => dn.mlp([3, 4, 1], { seed: 3, optimizer: dn.adam({ learningRate: 0.05 }) });
    const halve = (): dn.Callback => ({
      onEpochEnd: (_e, _l, m) => {
        m.setLearningRate(m.getLearningRate() / 2);
      },
    });
    const whole = make();
    await whole.fit(x, y, { epochs: 4, callbacks: [halve()] });
    const first = make();
    await first.fit(x, y, { epochs: 2, callbacks: [halve()], checkpoint: { dir } });
    const resumed = make();
    await resumed.fit(x, y, { epochs: 4, callbacks: [halve()], resumeFrom: dir });
    expect(resumed.getWeights()).toEqual(whole.getWeights());
  });
});

describe('a custom loss', () => {
  it('written in TypeScript trains exactly as the built-in loss it restates, weights included', async () => {
    const { x } = table(40, 12);
    const target = Array.from({ length: 40 }, (_, i) => (x.data[3 * i] as number) * 3 - 1);
    const w = Array.from({ length: 40 }, (_, i) => 1 + (i % 3));
    // Mean squared error by hand: per-row (z − y)² and its gradient 2(z − y), one output.
    const squares: dn.CustomLoss = (yTrue, yPred) => ({
      losses: Array.from(yPred.data, (p, i) => (p - (yTrue.data[i] as number)) ** 2),
      gradient: Array.from(yPred.data, (p, i) => 2 * (p - (yTrue.data[i] as number))),
    });
    const run = async (loss: dn.LossName | dn.CustomLoss) => {
      const model = dn.mlp([3, 4, 1], { output: 'linear', seed: 4 });
      model.compile({ loss, optimizer: dn.adam({ learningRate: 0.01 }) });
      const history = await model.fit(x, target, { epochs: 3, batchSize: 16, sampleWeight: w });
      return { history, weights: model.getWeights() };
    };
    const mine = await run(squares);
    const builtIn = await run('meanSquaredError');
    mine.weights.forEach((v, i) => {
      expectClose(v, builtIn.weights[i] as Float32Array, 1e-4, 1e-6, `weight ${i}`);
    });
    expect(mine.history.history.loss?.[2]).toBeCloseTo(builtIn.history.history.loss?.[2] as number, 5);
  });

  it('refuses a wrong result, saving, checkpoints and the worker, by name', async () => {
    const { x, y } = table(8, 1);
    const short: dn.CustomLoss = function focal() {
      return { losses: [1], gradient: [] };
    };
    const model = dn.mlp([3, 1]).compile({ loss: short });
    await expect(model.fit(x, y)).rejects.toThrow("fit: expected 8 numbers (one per row) for the custom loss 'focal''s losses, received 1");
    await expect(model.save('/tmp/never')).rejects.toThrow("save: this model is compiled with the custom loss 'focal'");
    await expect(model.fit(x, y, { checkpoint: { dir: '/tmp/never' } })).rejects.toThrow('a custom loss, which cannot be saved');
    await expect(model.fit(x, y, { worker: true })).rejects.toThrow("the custom loss 'focal' cannot run in the worker");
  });
});
