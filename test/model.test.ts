// The model a user builds: gradient checks of whole networks, learning real
// and toy data, reproducibility, inference mode, weights in Keras order, and
// the defined behaviour of fit on bad input.
import { describe, expect, it } from 'vitest';
import * as dn from '../lib/index.js';
import { breastCancer, spiral, xor } from './helpers/datasets.js';
import { randomFloats } from './helpers/reference.js';

const smallX = (rows: number, cols: number, seed: number) =>
  Array.from({ length: rows }, (_, i) => Array.from(randomFloats(cols, seed + i), (v) => v * 2));

describe('gradCheck of whole networks (float64, fixed dropout masks)', () => {
  const hidden = (): dn.LayerSpec[] => [dn.dense(5), dn.batchNorm(), dn.relu(), dn.dropout(0.3), dn.dense(4), dn.tanh(), dn.dropout(0.2)];
  const cases: [string, dn.LayerSpec[], dn.LossName, number, (i: number) => number | number[]][] = [
    ['sigmoid + binary cross-entropy', [dn.dense(1), dn.sigmoid()], 'binaryCrossEntropy', 1, (i) => i % 2],
    ['softmax + cross-entropy (labels)', [dn.dense(3), dn.softmax()], 'crossEntropy', 3, (i) => i % 3],
    [
      'softmax + cross-entropy (one-hot)',
      [dn.dense(3), dn.softmax()],
      'crossEntropy',
      3,
      (i) => [0, 1, 2].map((c) => (c === i % 3 ? 1 : 0)),
    ],
    ['linear + mean squared error', [dn.dense(2), dn.linear()], 'meanSquaredError', 2, (i) => [i * 0.1, -i * 0.2]],
    [
      'leaky ReLU, sigmoid outputs + squared error',
      [dn.dense(2), dn.leakyRelu(0.1), dn.dense(2), dn.sigmoid()],
      'meanSquaredError',
      2,
      (i) => [0.2, (i % 3) / 3],
    ],
  ];
  for (const [name, head, loss, , label] of cases) {
    it(`${name}: relative error < 1e-6 with batch-norm, dropout and L2`, () => {
      const model = dn.sequential({ inputs: 3, seed: 7, layers: [...hidden(), ...head] });
      model.compile({ loss, l2: 0.05, optimizer: dn.adam() });
      // Non-zero biases and γ ≠ 1: no ReLU input sits exactly on its kink, and every parameter matters.
      const noise = randomFloats(model.params.length, 99);
      model.params.forEach((v, i) => {
        model.params[i] = v + 0.1 * (noise[i] as number);
      });
      const x = smallX(8, 3, 1);
      const ys = x.map((_, i) => label(i));
      const y = typeof ys[0] === 'number' ? (ys as number[]) : (ys as number[][]);
      const result = dn.gradCheck(model, x, y);
      expect(result.parameters).toBe(model.params.length);
      expect(result.relativeError).toBeLessThan(1e-6);
    });
  }

  it('detects a wrong gradient (the check can fail)', () => {
    const model = dn.mlp([3, 4, 1], { l2: 0.1, seed: 3 });
    const x = smallX(6, 3, 2);
    const y = [0, 1, 0, 1, 1, 0];
    const honest = dn.gradCheck(model, x, y).relativeError;
    model.compile({ loss: 'binaryCrossEntropy', l2: 0.1 });
    // A model whose L2 differs from its twin's would fail; emulate by checking a different λ's cost.
    const skewed = dn.gradCheck(model, x, y, { epsilon: 1e-1 }).relativeError;
    expect(honest).toBeLessThan(1e-6);
    expect(skewed).toBeGreaterThan(honest);
  });
});

describe('learning', () => {
  it('reaches >= 95% test accuracy on the breast-cancer data with a fixed seed', async () => {
    const data = breastCancer();
    const net = dn.mlp([30, 16, 8, 1], { batchNorm: true, dropout: 0.1, l2: 1e-3, optimizer: dn.adam({ learningRate: 0.01 }), seed: 1 });
    const history = await net.fit(data.xTrain, data.yTrain, { epochs: 30, batchSize: 32, validationData: [data.xTest, data.yTest] });
    expect(history.stopReason).toBe('completed');
    expect(history.epochs).toHaveLength(30);
    expect(history.history.loss?.[29]).toBeLessThan(history.history.loss?.[0] as number);
    const result = net.evaluate(data.xTest, data.yTest);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(result.loss).toBeCloseTo(result.dataLoss + result.l2Loss, 12);
  });

  it('fits XOR to 100% train accuracy', async () => {
    const net = dn.mlp([2, 8, 1], { optimizer: dn.adam({ learningRate: 0.05 }), seed: 3 });
    await net.fit(xor.x, xor.y, { epochs: 300, batchSize: 4 });
    expect(net.evaluate(xor.x, xor.y).accuracy).toBe(1);
  });

  it('fits a two-class spiral to 100% train accuracy', async () => {
    const { x, y } = spiral(100);
    const net = dn.mlp([2, 64, 64, 1], { optimizer: dn.adam({ learningRate: 0.01 }), seed: 5 });
    await net.fit(x, y, { epochs: 300, batchSize: 50 });
    expect(net.evaluate(x, y).accuracy).toBe(1);
  });

  it('learns a linear regression with momentum, RMSprop, SGD and a cosine schedule', async () => {
    const x = smallX(64, 2, 9);
    const y = x.map(([a, b]) => [2 * (a as number) - (b as number) + 0.5]);
    for (const optimizer of [
      dn.sgd({ learningRate: 0.1 }),
      dn.momentum({ learningRate: 0.2 }),
      dn.rmsprop({ learningRate: 0.01 }),
      dn.adamw({ learningRate: dn.cosineDecay({ initial: 0.05, decaySteps: 400 }), weightDecay: 1e-4 }),
    ]) {
      const model = dn
        .sequential({ inputs: 2, seed: 1, layers: [dn.dense(1), dn.linear()] })
        .compile({ loss: 'meanSquaredError', optimizer });
      const history = await model.fit(x, y, { epochs: 100, batchSize: 16 });
      expect(model.evaluate(x, y).loss, optimizer.name).toBeLessThan(1e-3);
      expect(history.history.loss?.[99]).toBeLessThan(history.history.loss?.[0] as number);
    }
  });
});

describe('reproducibility and inference mode', () => {
  const data = breastCancer();
  const train = async (threads: number) => {
    dn.setThreads(threads);
    const net = dn.mlp([30, 32, 16, 1], { batchNorm: true, dropout: 0.2, l2: 1e-3, seed: 11 });
    const history = await net.fit(data.xTrain, data.yTrain, { epochs: 3, batchSize: 64 });
    return { weights: net.getWeights(), history };
  };

  it('same seed and data: identical weights, bit for bit, with 1 and 2 threads', async () => {
    const one = await train(1);
    const two = await train(2);
    one.weights.forEach((w, i) => {
      expect(Buffer.from((two.weights[i] as Float32Array).buffer).equals(Buffer.from(w.buffer))).toBe(true);
    });
    expect(two.history.history.loss).toEqual(one.history.history.loss);
  });

  it('predict is deterministic (no dropout) and uses the running statistics', async () => {
    const net = dn.mlp([30, 8, 1], { batchNorm: true, dropout: 0.5, seed: 2 });
    await net.fit(data.xTrain, data.yTrain, { epochs: 2 });
    const a = net.predict(data.xTest);
    const b = net.predict(data.xTest);
    expect(a.rows).toBe(data.xTest.length);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    // One row at a time gives the same outputs: nothing depends on the batch in inference.
    const single = net.predict([data.xTest[0] as number[]]);
    expect(single.data[0]).toBeCloseTo(a.data[0] as number, 6);
  });
});

describe('weights, summary and inputs', () => {
  it('getWeights/setWeights follow Keras order and shapes, and round-trip', () => {
    const model = dn.sequential({
      inputs: 4,
      seed: 1,
      layers: [dn.dense(3), dn.batchNorm(), dn.relu(), dn.dense(2, { useBias: false }), dn.softmax()],
    });
    const weights = model.getWeights();
    expect(weights.map((w) => w.length)).toEqual([12, 3, 3, 3, 3, 3, 6]);
    expect(Array.from(weights[2] as Float32Array)).toEqual([1, 1, 1]); // gamma
    expect(Array.from(weights[5] as Float32Array)).toEqual([1, 1, 1]); // moving variance
    const changed = weights.map((w) => w.map((v, i) => v + i));
    model.setWeights(changed);
    expect(model.getWeights()).toEqual(changed);
    expect(() => model.setWeights(weights.slice(1))).toThrow('setWeights: expected 7 arrays for weights, received 6');
    expect(() => model.setWeights([new Float32Array(11), ...weights.slice(1)])).toThrow(
      'array 0 (kernel [4, 3]) needs 12 values, received 11',
    );
    expect(() => model.setWeights([new Float32Array(12).fill(Number.NaN), ...weights.slice(1)])).toThrow('value 0 is NaN');
  });

  it('summary lists layers, output shapes and parameter counts', () => {
    const text = dn.mlp([30, 16, 1], { batchNorm: true }).summary();
    expect(text).toContain('dense');
    expect(text).toContain('[batch, 16]');
    expect(text).toContain('trainable: 529, non-trainable: 32');
  });

  it('He initialisation before ReLU, Glorot before sigmoid', () => {
    const model = dn.sequential({ inputs: 1000, seed: 3, layers: [dn.dense(200), dn.relu(), dn.dense(200), dn.sigmoid()] });
    const [k1, , k2] = model.getWeights() as Float32Array[];
    const std = (w: Float32Array) => Math.sqrt(w.reduce((a, v) => a + v * v, 0) / w.length);
    expect(std(k1 as Float32Array)).toBeCloseTo(Math.sqrt(2 / 1000), 3);
    expect(std(k2 as Float32Array)).toBeCloseTo(Math.sqrt(2 / 400), 3);
  });

  it('accepts a Matrix without copying it', async () => {
    const data = new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]);
    const x = dn.matrix(4, 2, data);
    expect(x.data).toBe(data);
    const net = dn.mlp([2, 4, 1], { seed: 1 });
    await net.fit(x, Int32Array.from([0, 1, 1, 0]), { epochs: 2, batchSize: 2 });
    expect(net.predict(x).rows).toBe(4);
  });
});

describe('fit on bad input: a clear error or defined behaviour, weights stay usable', () => {
  const x = smallX(10, 3, 4);
  const y = x.map((_, i) => i % 2);

  it('NaN in x names the row and column', async () => {
    const bad = x.map((r) => [...r]);
    (bad[7] as number[])[2] = Number.NaN;
    const net = dn.mlp([3, 4, 1]);
    await expect(net.fit(bad, y)).rejects.toThrow('x: row 7, column 2 is NaN; every value must be finite');
    await expect(net.fit(dn.matrix(1, 3, new Float32Array([1, Number.POSITIVE_INFINITY, 0])), [1])).rejects.toThrow(
      'x: row 0, column 1 is Infinity',
    );
  });

  it('wrong label count, ragged rows, wrong widths and labels out of range are errors', async () => {
    const net = dn.mlp([3, 4, 1]);
    await expect(net.fit(x, y.slice(1))).rejects.toThrow('y: expected 10 labels (one per row of x), received 9');
    await expect(
      net.fit(
        [
          [1, 2, 3],
          [1, 2],
        ],
        [0, 1],
      ),
    ).rejects.toThrow('x: row 1 has 2 values, expected 3 like row 0');
    await expect(net.fit([[1, 2]], [0])).rejects.toThrow('x: expected 3 columns for x, received 2');
    await expect(
      net.fit(
        x,
        y.map((v) => v * 2),
      ),
    ).rejects.toThrow('y: row 1, column 0 is 2; targets of a cross-entropy must be in [0, 1]');
    const multi = dn.mlp([3, 4, 3], { output: 'softmax' });
    await expect(
      multi.fit(
        x,
        y.map((v) => v * 3),
      ),
    ).rejects.toThrow('y: row 1 is 3; class labels must be integers in [0, 3)');
  });

  it('batch size 0 is an error; larger than the data means one full batch per epoch', async () => {
    const net = dn.mlp([3, 4, 1], { seed: 1 });
    await expect(net.fit(x, y, { batchSize: 0 })).rejects.toThrow('fit: expected an integer >= 1 for batchSize, received 0');
    let batches = 0;
    await net.fit(x, y, { batchSize: 1000, epochs: 2, onBatchEnd: () => void batches++ });
    expect(batches).toBe(2);
  });

  it('an aborted signal stops after the current step, keeping usable weights', async () => {
    const net = dn.mlp([3, 4, 1], { seed: 1 });
    const controller = new AbortController();
    let batches = 0;
    const history = await net.fit(x, y, {
      epochs: 50,
      batchSize: 2,
      signal: controller.signal,
      onBatchEnd: () => {
        if (++batches === 3) controller.abort();
      },
    });
    expect(history.stopReason).toBe('aborted');
    expect(batches).toBe(3);
    expect(net.getWeights().every((w) => w.every(Number.isFinite))).toBe(true);
    const before = await net.fit(x, y, { signal: AbortSignal.abort() });
    expect(before.stopReason).toBe('aborted');
    expect(before.epochs).toHaveLength(0);
  });

  it('divergence stops training and keeps the last finite weights', async () => {
    const net = dn.sequential({ inputs: 3, seed: 1, layers: [dn.dense(8), dn.relu(), dn.dense(1), dn.linear()] }).compile({
      loss: 'meanSquaredError',
      optimizer: dn.sgd({ learningRate: 1e5 }),
    });
    const big = x.map((r) => r.map((v) => v * 1e3));
    const error = await net.fit(big, y, { epochs: 20, batchSize: 5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(dn.DivergenceError);
    expect((error as dn.DivergenceError).message).toMatch(/^fit: training diverged at epoch \d+, step \d+/);
    expect((error as dn.DivergenceError).history.stopReason).toBe('diverged');
    expect(net.getWeights().every((w) => w.every(Number.isFinite))).toBe(true);
    expect(net.predict(big).data.every(Number.isFinite)).toBe(true);
  });

  it('compile checks the loss against the output layer', async () => {
    const model = dn.sequential({ inputs: 2, layers: [dn.dense(2), dn.softmax()] });
    expect(() => model.compile({ loss: 'binaryCrossEntropy' })).toThrow(
      'binaryCrossEntropy needs a sigmoid output layer, this model ends with softmax',
    );
    await expect(dn.sequential({ inputs: 2, layers: [dn.dense(1)] }).fit([[1, 2]], [1])).rejects.toThrow('call model.compile');
  });

  it('early stopping stops when the monitored value stalls and can restore the best weights', async () => {
    const data = breastCancer();
    const net = dn.mlp([30, 8, 1], { optimizer: dn.adam({ learningRate: 0.05 }), seed: 1 });
    const history = await net.fit(data.xTrain, data.yTrain, {
      epochs: 200,
      validationData: [data.xTest, data.yTest],
      callbacks: [dn.earlyStopping({ monitor: 'valLoss', patience: 3, restoreBest: true })],
    });
    expect(history.stopReason).toBe('earlyStopping');
    expect(history.epochs.length).toBeLessThan(200);
    const best = Math.min(...(history.history.valLoss as number[]));
    expect(net.evaluate(data.xTest, data.yTest).loss).toBeCloseTo(best, 10);
  });
});
