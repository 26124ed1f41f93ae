// The Quick start: train the built-in breast-cancer data with the seed's
// network (ReLU hidden layers, sigmoid output, L2, dropout, batch-norm, Adam)
// and print the test accuracy.

import { breastCancer } from './datasets.js';
import { backendInfo } from './kernels.js';
import { adam } from './optimizers/index.js';
import { mlp } from './sequential.js';

const info = backendInfo();
console.log(`densenode backend: ${info.name} (isa ${info.isa}, ${info.threads} threads; ${info.reason})`);
const data = breastCancer();
console.log(`breast cancer: ${data.xTrain.rows} training rows, ${data.xTest.rows} test rows, ${data.xTrain.cols} features`);
const model = mlp([30, 16, 8, 1], { batchNorm: true, dropout: 0.1, l2: 1e-3, optimizer: adam({ learningRate: 0.01 }), seed: 1 });
model.summary({ print: true });
const history = await model.fit(data.xTrain, data.yTrain, {
  epochs: 30,
  batchSize: 32,
  validationData: [data.xTest, data.yTest],
  onEpochEnd: (epoch, logs) => {
    if (epoch % 5 === 4)
      console.log(
        `epoch ${epoch + 1}: loss ${logs.loss.toFixed(4)}, accuracy ${logs.accuracy?.toFixed(3)}, test accuracy ${logs.valAccuracy?.toFixed(3)}`,
      );
  },
});
const seconds = history.epochs.reduce((s, e) => s + e.seconds, 0);
const test = model.evaluate(data.xTest, data.yTest);
console.log(
  `test accuracy: ${(100 * (test.accuracy ?? 0)).toFixed(1)}% (loss ${test.loss.toFixed(4)}), trained in ${seconds.toFixed(2)} s`,
);
