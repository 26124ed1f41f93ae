// densenode: native (the addon, 1 or all threads) or the pure-TypeScript fallback, built as
// in bench/train.mjs: the fallback is a Model constructed on jsBackend.
import { jsBackend } from '../../dist/backend/js/index.js';
import * as dn from '../../dist/index.js';
import { Model } from '../../dist/model.js';
import { ALL_THREADS } from './config.mjs';
import { firstRows } from './data.mjs';
import { BatchClock } from './timing.mjs';

const SEED = 42;

function layers(w) {
  const out = [];
  for (const units of w.hidden) {
    // Batch-norm's shift makes the dense bias redundant.
    out.push(w.batchNorm ? dn.dense(units, { useBias: false }) : dn.dense(units));
    if (w.batchNorm) out.push(dn.batchNorm());
    out.push(dn.relu());
    if (w.dropout > 0) out.push(dn.dropout(w.dropout));
  }
  out.push(dn.dense(w.outputs), w.outputs === 1 ? dn.sigmoid() : dn.softmax());
  return out;
}

export async function createDensenode(system, w, data) {
  const config = { inputs: w.inputs, seed: SEED, layers: layers(w) };
  let model;
  let info;
  if (system === 'js') {
    model = new Model(config, { backend: jsBackend, alloc: (n) => new Float32Array(n) });
    info = { backend: 'js', isa: 'js', threads: 1 };
  } else {
    const threads = system === 'native-1' ? 1 : ALL_THREADS;
    const active = dn.backendInfo();
    // A fallback here would silently time the wrong system.
    if (active.name !== 'native') throw new Error(`the native addon did not load: ${active.reason}`);
    dn.setThreads(threads);
    model = dn.sequential(config);
    const after = dn.backendInfo();
    info = { backend: 'native', isa: after.isa, threads: after.threads };
  }
  const compile = (m) =>
    m.compile({
      loss: w.outputs === 1 ? 'binaryCrossEntropy' : 'crossEntropy',
      optimizer: dn.adam({ learningRate: w.learningRate }),
      l2: w.l2,
      metrics: ['accuracy'],
    });
  compile(model);
  return {
    info,
    notes: [],
    async full(epochs) {
      const history = await model.fit(data.xTrain, data.yTrain, { epochs, batchSize: w.batchSize });
      if (history.stopReason !== 'completed') throw new Error(`training stopped: ${history.stopReason}`);
      return { epochSeconds: history.epochs.map((e) => e.seconds) };
    },
    async batches(warmup, batches) {
      const [x, y] = firstRows(data.xTrain, data.yTrain, (warmup + batches) * w.batchSize);
      const clock = new BatchClock(warmup);
      await model.fit(x, y, { epochs: 1, batchSize: w.batchSize, onBatchEnd: () => clock.tick() });
      return { ...clock.measured(w.batchSize), warmupSamples: warmup * w.batchSize };
    },
    evaluate() {
      return model.evaluate(data.xTest, data.yTest).accuracy;
    },
    // Test accuracy of the same training with seeds 1..count (weights, shuffles, dropout masks).
    async seedAccuracies(count, epochs) {
      const out = [];
      for (let seed = 1; seed <= count; seed++) {
        const m = dn.sequential({ ...config, seed });
        compile(m);
        await m.fit(data.xTrain, data.yTrain, { epochs, batchSize: w.batchSize });
        out.push(m.evaluate(data.xTest, data.yTest).accuracy);
      }
      return out;
    },
  };
}
