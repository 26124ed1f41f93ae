// TensorFlow.js 4.22 (tfjs-layers, the Keras API) on its `cpu` backend (plain JavaScript) or its
// `wasm` backend (XNNPACK compiled to WebAssembly), with the same model, initialisation schemes,
// Adam settings and — converted — L2 penalty as densenode.
import { performance } from 'node:perf_hooks';
import { kerasL2 } from './config.mjs';
import { accuracyOf, firstRows } from './data.mjs';
import { BatchClock, epochDurations } from './timing.mjs';

async function loadTf(backend) {
  const tf = await import('@tensorflow/tfjs');
  const info = { backend, tfjs: tf.version.tfjs };
  if (backend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // TF.js turns wasm threads off in Node (WASM_HAS_MULTITHREAD_SUPPORT is false there); forcing
    // the flag fails: its pthread workers are blob: URLs, which Node's Worker rejects.
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialise');
    info.simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    info.multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    info.threads = wasm.getThreadsCount();
  } else {
    await tf.setBackend(backend);
  }
  await tf.ready();
  // setBackend falls back to cpu on failure instead of throwing; that would time the wrong system.
  if (tf.getBackend() !== backend) throw new Error(`asked for the ${backend} backend, got ${tf.getBackend()}`);
  return { tf, info };
}

function buildModel(tf, w) {
  const model = tf.sequential();
  // densenode's λ/(2m)·Σ‖W‖² per batch equals Keras' l2(λ/(2m)) added to the mean loss.
  const regularizer = () => (w.l2 > 0 ? tf.regularizers.l2({ l2: kerasL2(w) }) : undefined);
  w.hidden.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        ...(i === 0 ? { inputShape: [w.inputs] } : {}),
        units,
        useBias: !w.batchNorm,
        // densenode starts a dense layer followed by a ReLU with He normal, the others Glorot uniform.
        kernelInitializer: 'heNormal',
        kernelRegularizer: regularizer(),
      }),
    );
    // epsilon 1e-3 and momentum 0.99 are both libraries' defaults; spelled out so a change shows.
    if (w.batchNorm) model.add(tf.layers.batchNormalization({ epsilon: 1e-3, momentum: 0.99 }));
    model.add(tf.layers.activation({ activation: 'relu' }));
    if (w.dropout > 0) model.add(tf.layers.dropout({ rate: w.dropout }));
  });
  model.add(
    tf.layers.dense({
      units: w.outputs,
      activation: w.outputs === 1 ? 'sigmoid' : 'softmax',
      kernelInitializer: 'glorotUniform',
      kernelRegularizer: regularizer(),
    }),
  );
  model.compile({
    // densenode's adam(): beta1 0.9, beta2 0.999, epsilon 1e-7.
    optimizer: tf.train.adam(w.learningRate, 0.9, 0.999, 1e-7),
    loss: w.outputs === 1 ? 'binaryCrossentropy' : 'categoricalCrossentropy',
    metrics: ['accuracy'],
  });
  return model;
}

function tensors(tf, w, x, y) {
  const xs = tf.tensor2d(x.data, [x.rows, x.cols]);
  const ys = w.outputs === 1 ? tf.tensor2d(Float32Array.from(y), [y.length, 1]) : tf.oneHot(tf.tensor1d(y, 'int32'), w.outputs);
  return [xs, ys];
}

export async function createTfjs(system, w, data) {
  const { tf, info } = await loadTf(system === 'tfjs-wasm' ? 'wasm' : 'cpu');
  const model = buildModel(tf, w);
  const notes = [];
  if (system === 'tfjs-wasm') {
    notes.push(`SIMD ${info.simd ? 'on' : 'off'}, threads ${info.multithread ? `on (${info.threads})` : 'off (1 thread)'}`);
  }
  return {
    info,
    notes,
    async full(epochs) {
      const [xs, ys] = tensors(tf, w, data.xTrain, data.yTrain);
      const ends = [];
      const start = performance.now();
      await model.fit(xs, ys, {
        epochs,
        batchSize: w.batchSize,
        shuffle: true,
        verbose: 0,
        callbacks: { onEpochEnd: () => ends.push(performance.now()) },
      });
      tf.dispose([xs, ys]);
      return { epochSeconds: epochDurations(start, ends) };
    },
    async batches(warmup, batches) {
      const [x, y] = firstRows(data.xTrain, data.yTrain, (warmup + batches) * w.batchSize);
      const [xs, ys] = tensors(tf, w, x, y);
      const clock = new BatchClock(warmup);
      await model.fit(xs, ys, {
        epochs: 1,
        batchSize: w.batchSize,
        shuffle: true,
        verbose: 0,
        callbacks: { onBatchEnd: () => clock.tick() },
      });
      tf.dispose([xs, ys]);
      return { ...clock.measured(w.batchSize), warmupSamples: warmup * w.batchSize };
    },
    async evaluate() {
      const xs = tf.tensor2d(data.xTest.data, [data.xTest.rows, data.xTest.cols]);
      const out = model.predict(xs, { batchSize: 1024 });
      const probs = await out.data();
      tf.dispose([xs, out]);
      return accuracyOf(probs, w.outputs, data.yTest);
    },
  };
}
