// TF.js interop: TensorFlow.js itself (pure JS, CPU) loads our exports through
// its own HTTP loader (fetch answered from disk, as a browser would fetch
// model.json and its shards) and must predict what we predict; models made and
// trained by TensorFlow.js import and fine-tune; broken files fail clearly.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as dn from '../lib/index.js';
import { expectWithin } from './helpers/compare.js';
import { type Case, inputs, scratchDir, standardisedModel, statisticsMoved, trainedCases } from './helpers/interop.js';
import { loadWithTfjs, tfjsPredict } from './helpers/tfjs-load.js';

const root = scratchDir('tfjs');
let dirCount = 0;
const freshDir = () => join(root, `m${dirCount++}`);
let cases: Case[];

beforeAll(async () => {
  await tf.setBackend('cpu');
  cases = await trainedCases();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('exportTfjs: TensorFlow.js loads the export and predicts the same', () => {
  it('training moved the batch-norm running statistics away from (0, 1)', () => {
    expect(statisticsMoved((cases[0] as Case).model)).toBe(true);
    expect(statisticsMoved((cases[1] as Case).model)).toBe(true);
  });

  for (const index of [0, 1, 2]) {
    it(`case ${index}: tf.loadLayersModel predictions match model.predict within 1e-5`, async () => {
      const { name, model, x } = cases[index] as Case;
      const dir = freshDir();
      await model.exportTfjs(dir);
      expect(readdirSync(dir).sort(), name).toEqual(['group1-shard1of1.bin', 'model.json']);
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
      expect(json.format).toBe('layers-model');
      expect(json.modelTopology.class_name).toBe('Sequential');
      const loaded = await loadWithTfjs(dir);
      expectWithin(tfjsPredict(loaded, x), model.predict(x).data, 1e-5, name);
      loaded.dispose();
    });
  }

  it('weights split over many shards (straddling shard boundaries) load in TF.js and in importTfjs', async () => {
    const { model, x } = cases[0] as Case;
    const dir = freshDir();
    await model.exportTfjs(dir, { shardBytes: 100 });
    const shards = readdirSync(dir).filter((f) => f.endsWith('.bin'));
    const total = model.getWeights().reduce((n, w) => n + 4 * w.length, 0);
    expect(shards.length).toBe(Math.ceil(total / 100));
    const loaded = await loadWithTfjs(dir);
    expectWithin(tfjsPredict(loaded, x), model.predict(x).data, 1e-5, 'tfjs');
    const imported = await dn.importTfjs(dir);
    expect(imported.predict(x).data).toEqual(model.predict(x).data);
    // Re-exported with fewer shards into the same directory: the old shards go, other files stay.
    writeFileSync(join(dir, 'notes.bin'), 'kept');
    await model.exportTfjs(dir);
    expect(readdirSync(dir).sort()).toEqual(['group1-shard1of1.bin', 'model.json', 'notes.bin']);
    expect((await dn.importTfjs(dir)).predict(x).data).toEqual(model.predict(x).data);
  });

  it('rejects a non-positive shard size', async () => {
    const { model } = cases[2] as Case;
    await expect(model.exportTfjs(freshDir(), { shardBytes: 0 })).rejects.toThrow(/exportTfjs: expected an integer >= 1 for shardBytes/);
  });
});

describe('batch-norm conventions match Keras / TF.js', () => {
  it('one training step updates the running statistics exactly as tf.layers.batchNormalization does (biased variance)', () => {
    // A batch of 5: the unbiased variance would be 5/4 of the biased one, far outside the tolerance.
    const x = inputs(5, 4, 31);
    x.data.forEach((v, i) => {
      x.data[i] = v * (1 + (i % 4)) + (i % 4);
    });
    const ours = dn.sequential({ inputs: 4, layers: [dn.batchNorm({ momentum: 0.9 })] });
    ours.forward(x.data, x.rows, true);
    const layer = tf.layers.batchNormalization({ momentum: 0.9, inputShape: [4] });
    tf.tidy(() => layer.apply(tf.tensor2d(x.data, [5, 4]), { training: true }) as tf.Tensor);
    const theirs = layer.getWeights().map((w) => w.dataSync() as Float32Array);
    const mine = ours.getWeights();
    expectWithin(mine[2] as Float32Array, theirs[2] as Float32Array, 1e-6, 'moving_mean');
    expectWithin(mine[3] as Float32Array, theirs[3] as Float32Array, 1e-6, 'moving_variance');
    expect(Math.max(...Array.from(mine[3] as Float32Array, Math.abs))).toBeGreaterThan(1);
  });
});

describe('importTfjs', () => {
  it('round trip: export then import gives the same layers, weights and predictions, uncompiled', async () => {
    for (const { name, model, x } of cases) {
      const dir = freshDir();
      await model.exportTfjs(dir);
      const back = await dn.importTfjs(dir);
      expect(back.compiled, name).toBeNull();
      expect(back.layers.map((l) => l.spec.type)).toEqual(model.layers.map((l) => l.spec.type));
      expect(back.layers.map((l) => l.outputWidth)).toEqual(model.layers.map((l) => l.outputWidth));
      expect(back.getWeights()).toEqual(model.getWeights());
      expect(back.predict(x).data, name).toEqual(model.predict(x).data);
    }
  });

  it('accepts the path of model.json itself', async () => {
    const { model, x } = cases[2] as Case;
    const dir = freshDir();
    await model.exportTfjs(dir);
    expect((await dn.importTfjs(join(dir, 'model.json'))).predict(x).data).toEqual(model.predict(x).data);
  });

  it('imports a model made and trained by TensorFlow.js (fused activations, InputLayer-free batch_input_shape, two shards)', async () => {
    const net = tf.sequential({
      layers: [
        tf.layers.dense({ units: 8, activation: 'relu', inputShape: [4] }),
        tf.layers.batchNormalization({ momentum: 0.8 }),
        tf.layers.dropout({ rate: 0.25 }),
        tf.layers.dense({ units: 6, useBias: false }),
        tf.layers.leakyReLU({ alpha: 0.2 }),
        tf.layers.dense({ units: 5, activation: 'tanh' }),
        tf.layers.dense({ units: 5, activation: 'sigmoid' }),
        tf.layers.activation({ activation: 'linear' }),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    net.compile({ optimizer: tf.train.adam(0.02), loss: 'sparseCategoricalCrossentropy' });
    const train = inputs(64, 4, 41);
    const labels = Array.from({ length: 64 }, (_, i) => (train.data[4 * i]! > 0 ? 1 : 0) + (train.data[4 * i + 1]! > 0.5 ? 1 : 0));
    await net.fit(tf.tensor2d(train.data, [64, 4]).add(0.5), tf.tensor1d(labels, 'float32'), { epochs: 5, batchSize: 16, verbose: 0 });

    const dir = freshDir();
    await net.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const data = new Uint8Array(artifacts.weightData as ArrayBuffer);
        const cut = Math.floor(data.length / 3) + 2; // mid-weight, so a weight straddles the two files
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'a.bin'), data.subarray(0, cut));
        writeFileSync(join(dir, 'b.bin'), data.subarray(cut));
        const modelJson = {
          format: artifacts.format,
          generatedBy: artifacts.generatedBy,
          convertedBy: artifacts.convertedBy,
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: ['a.bin', 'b.bin'], weights: artifacts.weightSpecs }],
        };
        writeFileSync(join(dir, 'model.json'), JSON.stringify(modelJson));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );

    const model = await dn.importTfjs(dir);
    expect(model.layers.map((l) => (l.spec.type === 'activation' ? l.spec.activation : l.spec.type))).toEqual([
      'dense',
      'relu',
      'batchNorm',
      'dropout',
      'dense',
      'leakyRelu',
      'dense',
      'tanh',
      'dense',
      'sigmoid',
      'linear',
      'dense',
      'softmax',
    ]);
    expect(statisticsMoved(model)).toBe(true);
    const x = inputs(17, 4, 43);
    expectWithin(model.predict(x).data, tfjsPredict(net, x), 1e-5, 'imported vs tfjs');

    // Fine-tuning: compile, fit, and the loss goes down.
    const y = Array.from({ length: 64 }, (_, i) => (labels[i] as number) % 3);
    const shifted = { rows: 64, cols: 4, data: train.data.map((v) => v + 0.5) };
    model.compile({ loss: 'crossEntropy', optimizer: dn.adam({ learningRate: 0.01 }) });
    const before = model.evaluate(shifted, y).loss;
    const history = await model.fit(shifted, y, { epochs: 15, batchSize: 16 });
    expect(history.epochs.length).toBe(15);
    expect(model.evaluate(shifted, y).loss).toBeLessThan(before * 0.9);
    net.dispose();
  });

  it('an explicit InputLayer and BatchNormalization without center/scale import too', async () => {
    const dir = freshDir();
    await (cases[2] as Case).model.exportTfjs(dir);
    const file = join(dir, 'model.json');
    const json = JSON.parse(readFileSync(file, 'utf8'));
    const layers = json.modelTopology.config.layers;
    delete layers[0].config.batch_input_shape;
    layers.unshift({ class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 3], dtype: 'float32' } });
    layers.push({ class_name: 'BatchNormalization', config: { name: 'bn', center: false, scale: false, epsilon: 0.01 } });
    json.weightsManifest.push({
      paths: ['bn.bin'],
      weights: [
        { name: 'bn/moving_mean', shape: [2], dtype: 'float32' },
        { name: 'bn/moving_variance', shape: [2], dtype: 'float32' },
      ],
    });
    writeFileSync(join(dir, 'bn.bin'), new Uint8Array(Float32Array.of(1, -1, 4, 0.25).buffer));
    writeFileSync(file, JSON.stringify(json));
    const model = await dn.importTfjs(dir);
    const x = (cases[2] as Case).x;
    const before = (cases[2] as Case).model.predict(x).data;
    const got = model.predict(x).data;
    for (let i = 0; i < x.rows; i++) {
      expect(got[2 * i]).toBeCloseTo(((before[2 * i] as number) - 1) / Math.sqrt(4 + 0.01), 5);
      expect(got[2 * i + 1]).toBeCloseTo(((before[2 * i + 1] as number) + 1) / Math.sqrt(0.25 + 0.01), 5);
    }
  });
});

describe('preprocessing is folded in', () => {
  it('TF.js predictions on raw features match ours on standardised ones; classes are in userDefinedMetadata', async () => {
    for (const bias of [true, false]) {
      const { model, raw, standardised } = standardisedModel(bias);
      const dir = freshDir();
      await model.exportTfjs(dir);
      const loaded = await loadWithTfjs(dir);
      const want = model.predict(standardised).data;
      expectWithin(tfjsPredict(loaded, raw), want, 1e-5, `bias ${bias}`);
      expect(loaded.getUserDefinedMetadata()).toEqual({
        features: ['a', 'b', 'c', 'd'],
        target: 'kind',
        classes: ['setosa', 'versicolor', 'virginica'],
      });
      // The import takes raw features too, and keeps the names but not the (folded) mean/std.
      const back = await dn.importTfjs(dir);
      expectWithin(back.predict(raw).data, want, 1e-5, 'importTfjs');
      expect(back.preprocessing).toEqual({
        features: ['a', 'b', 'c', 'd'],
        target: 'kind',
        classes: ['setosa', 'versicolor', 'virginica'],
      });
      loaded.dispose();
    }
  });

  it('refuses to fold into a first layer that is not dense, and rejects bad mean/std', async () => {
    const model = dn.sequential({ inputs: 2, layers: [dn.batchNorm(), dn.dense(1)] });
    model.preprocessing = { mean: [0, 1], std: [1, 2] };
    await expect(model.exportTfjs(freshDir())).rejects.toThrow(
      /exportTfjs: .*first layer; that must be dense, this model starts with batchNorm/,
    );
    const dense = dn.sequential({ inputs: 2, layers: [dn.dense(1)] });
    dense.preprocessing = { mean: [0, 1], std: [1, 0] };
    await expect(dense.exportTfjs(freshDir())).rejects.toThrow(/exportTfjs: preprocessing.std\[1\] is 0/);
    dense.preprocessing = { mean: [0], std: [1, 1] };
    await expect(dense.exportTfjs(freshDir())).rejects.toThrow(/exportTfjs: expected 2 values .* for preprocessing.mean/);
    dense.preprocessing = { mean: [0, 1] };
    await expect(dense.exportTfjs(freshDir())).rejects.toThrow(/exportTfjs: model.preprocessing has mean without std/);
  });
});

describe('importTfjs rejects what it cannot read, naming the file and the problem', () => {
  let dir: string;
  const file = () => join(dir, 'model.json');
  const shard = () => join(dir, 'group1-shard1of1.bin');
  // biome-ignore lint/suspicious/noExplicitAny: free-form edits of a parsed model.json
  const edit = (change: (json: Record<string, any>) => void) => {
    const json = JSON.parse(readFileSync(file(), 'utf8'));
    change(json);
    writeFileSync(file(), JSON.stringify(json));
  };

  beforeAll(async () => {
    dir = freshDir();
  });

  const fresh = async () => {
    rmSync(dir, { recursive: true, force: true });
    await (cases[0] as Case).model.exportTfjs(dir);
  };

  for (const layerClass of ['Conv2D', 'Lambda', 'Flatten']) {
    it(`an unsupported layer (${layerClass}) is named`, async () => {
      await fresh();
      edit((json) => {
        json.modelTopology.config.layers.splice(2, 0, { class_name: layerClass, config: { name: 'odd', filters: 3, kernel_size: [3, 3] } });
      });
      await expect(dn.importTfjs(dir)).rejects.toThrow(
        new RegExp(`model\\.json: layer 2 \\('odd'\\) is a ${layerClass}, which densenode cannot import`),
      );
    });
  }

  it('a functional Model, an unsupported activation, a graph model', async () => {
    await fresh();
    edit((json) => {
      json.modelTopology.class_name = 'Model';
    });
    await expect(dn.importTfjs(dir)).rejects.toThrow(/only Sequential models can be imported, this model is a Model/);
    await fresh();
    edit((json) => {
      json.modelTopology.config.layers[2].config.activation = 'elu';
    });
    await expect(dn.importTfjs(dir)).rejects.toThrow(/layer 'activation_1' uses activation 'elu'/);
    await fresh();
    edit((json) => {
      json.format = 'graph-model';
    });
    await expect(dn.importTfjs(dir)).rejects.toThrow(/format is 'graph-model'/);
  });

  it('a truncated shard, or one with extra bytes', async () => {
    await fresh();
    const bytes = readFileSync(shard());
    writeFileSync(shard(), bytes.subarray(0, bytes.length - 3));
    await expect(dn.importTfjs(dir)).rejects.toThrow(
      /group1-shard1of1\.bin: .*model\.json needs \d+ bytes of weights here, found \d+ \(truncated/,
    );
    writeFileSync(shard(), Buffer.concat([bytes, Buffer.alloc(4)]));
    await expect(dn.importTfjs(dir)).rejects.toThrow(/group1-shard1of1\.bin: .*found \d+ \(longer than the manifest says\)/);
  });

  it('a missing shard, a missing model.json, invalid JSON', async () => {
    await fresh();
    rmSync(shard());
    await expect(dn.importTfjs(dir)).rejects.toThrow(/group1-shard1of1\.bin: a weight file listed in .*model\.json is missing/);
    await expect(dn.importTfjs(join(dir, 'nowhere'))).rejects.toThrow(
      /importTfjs: .*nowhere\/model\.json: no model here \(the file is missing\)/,
    );
    writeFileSync(file(), '{"format": "layers-model", ');
    await expect(dn.importTfjs(dir)).rejects.toThrow(/model\.json: not valid JSON/);
  });

  it('a manifest shape that does not match the layer, a missing or unused weight, a duplicate', async () => {
    await fresh();
    edit((json) => {
      json.weightsManifest[0].weights[0].shape = [8, 5];
    });
    await expect(dn.importTfjs(dir)).rejects.toThrow(
      /weight 'dense_1\/kernel' has shape \[8,5\] in the weightsManifest, layer 'dense_1' needs \[5,8\]/,
    );
    await fresh();
    edit((json) => {
      json.weightsManifest[0].weights[1].name = 'dense_1/offset';
    });
    await expect(dn.importTfjs(dir)).rejects.toThrow(
      /layer 'dense_1' needs weight 'dense_1\/bias' \[8\], which the weightsManifest does not list/,
    );
    await fresh();
    edit((json) => {
      json.modelTopology.config.layers[0].config.use_bias = false;
    });
    await expect(dn.importTfjs(dir)).rejects.toThrow(/the weightsManifest lists 'dense_1\/bias', which no layer uses/);
    await fresh();
    edit((json) => {
      json.weightsManifest[0].weights[1].name = 'dense_1/kernel';
    });
    await expect(dn.importTfjs(dir)).rejects.toThrow(/lists 'dense_1\/kernel' twice/);
  });

  it('huge declared shapes are refused before anything is allocated for them', async () => {
    await fresh();
    edit((json) => {
      json.weightsManifest[0].weights[0].shape = [16_777_216, 16_777_216];
    });
    await expect(dn.importTfjs(dir)).rejects.toThrow(/the weightsManifest's group 0 needs more than 2147483647 bytes/);
    // A consistent topology and manifest of 336 MB, but a small shard: the sizes on disk are checked first.
    await fresh();
    edit((json) => {
      json.modelTopology.config.layers[0].config.units = 16_000_000;
      json.weightsManifest[0].weights[0].shape = [5, 16_000_000];
      json.weightsManifest[0].weights[1].shape = [16_000_000];
      json.modelTopology.config.layers.splice(1);
      json.weightsManifest[0].weights.splice(2);
    });
    await expect(dn.importTfjs(dir)).rejects.toThrow(/needs 384000000 bytes of weights here, found \d+ \(truncated/);
  });

  it('non-float32 or quantized weights, non-finite values, bad types in the JSON', async () => {
    await fresh();
    edit((json) => {
      json.weightsManifest[0].weights[0].dtype = 'int32';
    });
    await expect(dn.importTfjs(dir)).rejects.toThrow(/weight 'dense_1\/kernel' is int32; only float32 weights can be imported/);
    await fresh();
    edit((json) => {
      json.weightsManifest[0].weights[0].quantization = { dtype: 'uint8', scale: 1, min: 0 };
    });
    await expect(dn.importTfjs(dir)).rejects.toThrow(/weight 'dense_1\/kernel' is quantized/);
    await fresh();
    const bytes = readFileSync(shard());
    bytes.writeFloatLE(Number.NaN, 4 * 3);
    writeFileSync(shard(), bytes);
    await expect(dn.importTfjs(dir)).rejects.toThrow(/group1-shard1of1\.bin: weight 'dense_1\/kernel' value 3 is NaN/);
    await fresh();
    edit((json) => {
      json.modelTopology.config.layers[0].config.units = '8';
    });
    await expect(dn.importTfjs(dir)).rejects.toThrow(
      /expected an integer in \[1, 16777216\] at modelTopology\.config\.layers\[0\]\.config\.units, found "8"/,
    );
  });

  it('a shard path outside the model directory', async () => {
    await fresh();
    edit((json) => {
      json.weightsManifest[0].paths = ['../elsewhere.bin'];
    });
    await expect(dn.importTfjs(dir)).rejects.toThrow(
      /weight file '\.\.\/elsewhere\.bin' is not a relative path inside the model's directory/,
    );
    edit((json) => {
      json.weightsManifest[0].paths = ['/etc/passwd'];
    });
    await expect(dn.importTfjs(dir)).rejects.toThrow(/weight file '\/etc\/passwd' is not a relative path/);
  });

  it('no input width', async () => {
    await fresh();
    edit((json) => {
      delete json.modelTopology.config.layers[0].config.batch_input_shape;
    });
    await expect(dn.importTfjs(dir)).rejects.toThrow(/the first layer \('dense_1'\) declares no batch_input_shape/);
  });
});
