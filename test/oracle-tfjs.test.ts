// TensorFlow.js (pure JS, CPU backend) as an independent oracle for the
// optimizer kernels: the same gradients fed to tf.train.adam / tf.train.sgd
// must give the same parameters, step after step.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, it } from 'vitest';
import { kernels } from '../lib/index.js';
import { expectClose } from './helpers/compare.js';
import { randomFloats } from './helpers/reference.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const count = 1000;
const p0 = randomFloats(count, 1);
const grads = Array.from({ length: 5 }, (_, t) => randomFloats(count, 10 + t).map((v) => v * (t + 1)));

function tfjsParameters(optimizer: tf.Optimizer): Float32Array {
  const variable = tf.variable(tf.tensor1d(p0), true, `p${Math.random()}`);
  for (const g of grads) optimizer.applyGradients([{ name: variable.name, tensor: tf.tensor1d(g) }]);
  const out = variable.dataSync() as Float32Array;
  variable.dispose();
  return out;
}

describe('optimizers against TensorFlow.js', () => {
  it('Adam: five steps match tf.train.adam', () => {
    const [lr, b1, b2, eps] = [0.01, 0.9, 0.999, 1e-7];
    const p = p0.slice();
    const m = new Float32Array(count);
    const v = new Float32Array(count);
    grads.forEach((g, t) => {
      kernels.adamUpdate(count, p, g, m, v, lr, b1, b2, eps, t + 1, 0, 0);
    });
    expectClose(p, tfjsParameters(tf.train.adam(lr, b1, b2, eps)), 1e-5, 1e-6, 'adam');
  });

  it('SGD: five steps match tf.train.sgd', () => {
    const p = p0.slice();
    for (const g of grads) kernels.sgdUpdate(count, p, g, 0.05, 0, 0);
    expectClose(p, tfjsParameters(tf.train.sgd(0.05)), 1e-5, 1e-6, 'sgd');
  });
});
