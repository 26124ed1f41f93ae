// brain.js 1.6.1 NeuralNetwork: the closest model it can express. It has one activation for all
// layers, squared-error deltas, per-sample updates and no batch-norm, dropout, softmax or L2, so
// every difference is listed in the notes (and the table) rather than hidden.
import { performance } from 'node:perf_hooks';
import { accuracyOf } from './data.mjs';
import { epochDurations } from './timing.mjs';

function differences(w, adam) {
  const out = [
    'sigmoid on every layer, the output included (brain.js 1.x has one activation for all layers, and a ReLU output is no probability)',
    w.outputs === 1
      ? 'squared error on the sigmoid output instead of binary cross-entropy'
      : `${w.outputs} independent sigmoid outputs with squared error (class = argmax) instead of softmax + cross-entropy`,
    adam
      ? 'an Adam step after every sample (batch size 1), two Math.pow per weight each, instead of Adam on mini-batches'
      : "brain.js's default SGD with momentum (learning rate 0.3, momentum 0.1) after every sample instead of Adam on mini-batches",
    'no reshuffle between epochs',
    'weights and biases start uniform in [-0.2, 0.2]',
  ];
  if (w.batchNorm) out.push('no batch-norm');
  if (w.dropout > 0) out.push('no dropout');
  if (w.l2 > 0) out.push('no L2 penalty');
  return out;
}

function samples(w, x, y, start, end) {
  const out = [];
  for (let i = start; i < end; i++) {
    const row = i % x.rows;
    const target = new Float32Array(w.outputs);
    if (w.outputs === 1) target[0] = y[row];
    else target[y[row]] = 1;
    // Typed-array inputs are used as they are (plain arrays would be converted, objects looked up).
    out.push({ input: x.data.subarray(row * x.cols, (row + 1) * x.cols), output: target });
  }
  return out;
}

// Per-sample updates need no batch of warm-up: a few samples get the loops compiled.
const WARMUP_SAMPLES = 32;

/** `brain`: Adam as in the workload; `brain-sgd`: brain.js's default optimiser, ~10× cheaper per sample. */
export async function createBrain(system, w, data) {
  const { default: brain } = await import('brain.js');
  const { version } = (await import('brain.js/package.json', { with: { type: 'json' } })).default;
  const adam = system === 'brain';
  const net = new brain.NeuralNetwork({ hiddenLayers: w.hidden, activation: 'sigmoid' });
  // train() resets every training option it is not given, so each call passes them all.
  const optimiser = adam
    ? { praxis: 'adam', learningRate: w.learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }
    : { praxis: null, learningRate: 0.3, momentum: 0.1 };
  const options = (iterations, callback = null) => ({
    iterations,
    errorThresh: 1e-12,
    log: false,
    callback,
    callbackPeriod: 1,
    ...optimiser,
  });
  return {
    info: { brain: version, activation: 'sigmoid', praxis: adam ? 'adam' : 'sgd+momentum' },
    notes: differences(w, adam),
    async full(epochs) {
      const train = samples(w, data.xTrain, data.yTrain, 0, data.xTrain.rows);
      const ends = [];
      const start = performance.now();
      const status = net.train(
        train,
        options(epochs, () => ends.push(performance.now())),
      );
      if (status.iterations !== epochs) throw new Error(`brain.js stopped after ${status.iterations} of ${epochs} epochs`);
      return { epochSeconds: epochDurations(start, ends) };
    },
    async batches(_warmup, batches) {
      // brain.js has no batches: `batches` × batch size samples, each its own update.
      net.train(samples(w, data.xTrain, data.yTrain, 0, WARMUP_SAMPLES), options(1));
      const timed = samples(w, data.xTrain, data.yTrain, WARMUP_SAMPLES, WARMUP_SAMPLES + batches * w.batchSize);
      const start = performance.now();
      net.train(timed, options(1));
      return { seconds: (performance.now() - start) / 1e3, samples: timed.length, warmupSamples: WARMUP_SAMPLES };
    },
    evaluate() {
      const probs = new Float32Array(data.xTest.rows * w.outputs);
      for (let i = 0; i < data.xTest.rows; i++) {
        const x = data.xTest;
        probs.set(net.run(x.data.subarray(i * x.cols, (i + 1) * x.cols)), i * w.outputs);
      }
      return accuracyOf(probs, w.outputs, data.yTest);
    },
  };
}
