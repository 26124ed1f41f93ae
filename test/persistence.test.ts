// The native model format: save/load round trips, checkpoints that resume bit
// for bit, and every way a model directory can be wrong giving a clear error.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as dn from '../lib/index.js';
import { breastCancer } from './helpers/datasets.js';

const root = mkdtempSync(join(tmpdir(), 'densenode-save-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(root, `m${dirs++}`);

function makeModel(seed = 5): dn.Model {
  const model = dn.sequential({
    inputs: 30,
    seed,
    layers: [
      dn.dense(16, { useBias: false }),
      dn.batchNorm(),
      dn.relu(),
      dn.dropout(0.2),
      dn.dense(8),
      dn.tanh(),
      dn.dense(1),
      dn.sigmoid(),
    ],
  });
  return model.compile({
    loss: 'binaryCrossEntropy',
    optimizer: dn.adam({ learningRate: dn.cosineDecay({ initial: 0.01, decaySteps: 200 }) }),
    l2: 1e-3,
    metrics: ['accuracy'],
  });
}

const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
const binOf = (dir: string) => join(dir, manifestOf(dir).weights.file as string);

describe('save and load', () => {
  it('round-trips weights, batch-norm statistics, compile settings and preprocessing exactly', async () => {
    const data = breastCancer();
    const model = makeModel();
    model.preprocessing = { target: 'diagnosis', classes: ['benign', 'malignant'], mean: Array(30).fill(0.5), std: Array(30).fill(2) };
    const history = await model.fit(data.xTrain, data.yTrain, { epochs: 2 });
    const dir = freshDir();
    await model.save(dir, { history });
    const loaded = await dn.load(dir);
    expect(loaded.params).toEqual(model.params);
    expect(loaded.state).toEqual(model.state);
    expect(loaded.predict(data.xTest).data).toEqual(model.predict(data.xTest).data);
    expect(loaded.evaluate(data.xTest, data.yTest)).toEqual(model.evaluate(data.xTest, data.yTest));
    expect(loaded.compiled?.optimizer.spec).toEqual(model.compiled?.optimizer.spec);
    expect(loaded.compiled?.l2).toBe(1e-3);
    expect(loaded.preprocessing).toEqual(model.preprocessing);
    const manifest = manifestOf(dir);
    expect(manifest.training.epochs).toBe(2);
    expect(manifest.weights.tensors.map((t: { name: string }) => t.name)).toEqual(
      model.layers.flatMap((l) => l.weights().map((w) => w.name)),
    );
  });

  it('an uncompiled model loads uncompiled', async () => {
    const model = dn.sequential({ inputs: 3, layers: [dn.dense(2), dn.softmax()] });
    const dir = freshDir();
    await model.save(dir);
    const loaded = await dn.load(dir);
    expect(loaded.compiled).toBeNull();
    expect(loaded.getWeights()).toEqual(model.getWeights());
  });

  it('keeps one weights file: saving again sweeps the old one and leftovers of killed saves', async () => {
    const model = makeModel();
    const dir = freshDir();
    await model.save(dir);
    writeFileSync(join(dir, '.densenode-tmp-model.json-abcdef'), 'half a file');
    model.params[0] = (model.params[0] as number) + 1;
    await model.save(dir);
    expect(readdirSync(dir).sort()).toEqual([manifestOf(dir).weights.file, 'model.json'].sort());
  });

  it('saves into one directory at once take turns: the last one called is what loads, never a missing file', async () => {
    const dir = freshDir();
    const models = [1, 2, 3, 4].map((seed) => makeModel(seed));
    for (let round = 0; round < 5; round++) {
      const results = await Promise.allSettled(models.map((m) => m.save(dir)));
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
      const loaded = await dn.load(dir);
      expect(loaded.params).toEqual((models[3] as dn.Model).params);
      expect(readdirSync(dir).sort()).toEqual([manifestOf(dir).weights.file, 'model.json'].sort());
    }
  });
});

describe('a bad model directory gives an error that says what is wrong', () => {
  async function saved(): Promise<string> {
    const dir = freshDir();
    await makeModel().save(dir);
    return dir;
  }
  // Rewrites the manifest (and, for a new bin, its checksum) the way a hostile or broken file would.
  function edit(dir: string, change: (manifest: Record<string, unknown> & { weights: Record<string, unknown> }) => void) {
    const manifest = manifestOf(dir);
    change(manifest);
    writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest));
  }

  it('a missing directory or manifest', async () => {
    await expect(dn.load(join(root, 'nothing-here'))).rejects.toThrow(/model\.json is missing/);
  });

  it('a flipped byte in the weights: checksum mismatch', async () => {
    const dir = await saved();
    const bytes = readFileSync(binOf(dir));
    bytes[17] = (bytes[17] as number) ^ 0x40;
    writeFileSync(binOf(dir), bytes);
    await expect(dn.load(dir)).rejects.toThrow(/checksum mismatch/);
  });

  it('a truncated weights file', async () => {
    const dir = await saved();
    truncateSync(binOf(dir), 100);
    await expect(dn.load(dir)).rejects.toThrow(/truncated: 100 bytes, the architecture needs \d+/);
  });

  it('a manifest that is not JSON, or not ours, or from a newer version', async () => {
    const dir = await saved();
    writeFileSync(join(dir, 'model.json'), '{"format": "densenode-model", ');
    await expect(dn.load(dir)).rejects.toThrow(/not valid JSON/);
    writeFileSync(join(dir, 'model.json'), '{"format": "keras"}');
    await expect(dn.load(dir)).rejects.toThrow(/not a densenode model/);
    writeFileSync(join(dir, 'model.json'), '{"format": "densenode-model", "formatVersion": 9}');
    await expect(dn.load(dir)).rejects.toThrow(/format version 9; this densenode reads version 1 \(saved by a newer densenode\)/);
  });

  it('absurd shapes are refused before anything is allocated', async () => {
    const dir = await saved();
    edit(dir, (m) => {
      (m.architecture as { layers: { units: number }[] }).layers[0] = { type: 'dense', units: 1e9 } as never;
    });
    await expect(dn.load(dir)).rejects.toThrow(/architecture\.layers\[0\]\.units must be an integer in \[1, 1048576\]/);
    edit(dir, (m) => {
      m.architecture = { inputs: 1 << 20, layers: [{ type: 'dense', units: 1 << 20 }] };
    });
    await expect(dn.load(dir)).rejects.toThrow(/more than 268435456 parameters/);
    edit(dir, (m) => {
      m.architecture = { inputs: 4, layers: [{ type: 'conv2d' }] };
    });
    await expect(dn.load(dir)).rejects.toThrow(/unknown layer type "conv2d"/);
  });

  it('sizes in the manifest that disagree with the architecture', async () => {
    const dir = await saved();
    edit(dir, (m) => {
      m.weights.byteLength = 1 << 30;
    });
    await expect(dn.load(dir)).rejects.toThrow(/weights\.byteLength is 1073741824, the architecture needs \d+/);
  });

  it('a weights path that would leave the directory', async () => {
    const dir = await saved();
    edit(dir, (m) => {
      m.weights.file = '../../etc/passwd';
    });
    await expect(dn.load(dir)).rejects.toThrow(/weights\.file must name a weights-<16 hex>\.bin file in the same directory/);
  });

  it('non-finite weights, even with a matching checksum', async () => {
    const dir = await saved();
    const bytes = readFileSync(binOf(dir));
    bytes.writeFloatLE(Number.NaN, 8);
    writeFileSync(binOf(dir), bytes);
    edit(dir, (m) => {
      m.weights.sha256 = createHash('sha256').update(bytes).digest('hex');
    });
    await expect(dn.load(dir)).rejects.toThrow(/value 2 is NaN/);
  });

  it('a tensor table that does not match the layers', async () => {
    const dir = await saved();
    edit(dir, (m) => {
      (m.weights.tensors as { shape: number[] }[])[0] = { ...(m.weights.tensors as object[])[0], shape: [16, 30] } as never;
    });
    await expect(dn.load(dir)).rejects.toThrow(/weights\.tensors does not match the layers/);
  });

  it('bad preprocessing and optimizer settings', async () => {
    const dir = await saved();
    edit(dir, (m) => {
      m.preprocessing = { mean: [1, 2], std: [1, 2] };
    });
    await expect(dn.load(dir)).rejects.toThrow(/preprocessing\.mean must be an array of 30 numbers/);
    edit(dir, (m) => {
      m.preprocessing = null;
      (m.compile as { optimizer: { name: string } }).optimizer.name = 'lion';
    });
    await expect(dn.load(dir)).rejects.toThrow(/unknown optimizer "lion"/);
  });
});

describe('checkpoints', () => {
  async function run(options: { epochs: number; checkpoint?: string; resumeFrom?: string; seed?: number; worker?: boolean }) {
    const data = breastCancer();
    const model = makeModel(options.seed);
    const history = await model.fit(data.xTrain, data.yTrain, {
      epochs: options.epochs,
      batchSize: 50,
      ...(options.checkpoint ? { checkpoint: { dir: options.checkpoint, every: 'epoch' as const } } : {}),
      ...(options.resumeFrom ? { resumeFrom: options.resumeFrom } : {}),
      ...(options.worker ? { worker: true } : {}),
    });
    return { model, history };
  }

  it('an interrupted and resumed run ends with the same weights, bit for bit, as an uninterrupted one', async () => {
    const whole = await run({ epochs: 6 });
    const dir = freshDir();
    await run({ epochs: 3, checkpoint: dir });
    expect(manifestOf(dir).checkpoint.epoch).toBe(2);
    // A fresh process would build the model with any seed: the checkpoint replaces all state.
    const resumed = await run({ epochs: 6, resumeFrom: dir, seed: 99 });
    expect(resumed.history.epochs.map((e) => e.epoch)).toEqual([3, 4, 5]);
    expect(resumed.model.params).toEqual(whole.model.params);
    expect(resumed.model.state).toEqual(whole.model.state);
    expect(resumed.history.history.loss).toEqual(whole.history.history.loss?.slice(3));
  });

  it('a run resumed in a training worker matches too', async () => {
    const whole = await run({ epochs: 4 });
    const dir = freshDir();
    await run({ epochs: 2, checkpoint: dir, worker: true });
    const resumed = await run({ epochs: 4, resumeFrom: dir, worker: true });
    expect(resumed.model.params).toEqual(whole.model.params);
  });

  it('every: n saves after every n-th epoch; a bad interval is an error', async () => {
    const data = breastCancer();
    const dir = freshDir();
    await makeModel().fit(data.xTrain, data.yTrain, { epochs: 5, checkpoint: { dir, every: 2 } });
    expect(manifestOf(dir).checkpoint.epoch).toBe(3);
    await expect(makeModel().fit(data.xTrain, data.yTrain, { checkpoint: { dir, every: 0 } })).rejects.toThrow(
      /fit: expected an integer >= 1 for checkpoint.every, received 0/,
    );
  });

  it('refuses a checkpoint of another architecture or optimizer, and a plain saved model', async () => {
    const data = breastCancer();
    const dir = freshDir();
    await run({ epochs: 1, checkpoint: dir });
    const other = dn.mlp([30, 4, 1]);
    await expect(other.fit(data.xTrain, data.yTrain, { resumeFrom: dir })).rejects.toThrow(/different architecture/);
    const sgdModel = makeModel().compile({ loss: 'binaryCrossEntropy', optimizer: dn.sgd() });
    await expect(sgdModel.fit(data.xTrain, data.yTrain, { resumeFrom: dir })).rejects.toThrow(/trained with adam and binaryCrossEntropy/);
    const plain = freshDir();
    await makeModel().save(plain);
    await expect(makeModel().fit(data.xTrain, data.yTrain, { resumeFrom: plain })).rejects.toThrow(/not a checkpoint/);
  });
});

describe('a save killed at any moment', () => {
  it('leaves the old model or the new one, never a mix (SIGKILL at random points, in a loop)', async () => {
    const { spawn } = await import('node:child_process');
    const script = new URL('./fixtures/save-loop.mjs', import.meta.url).pathname;
    const expected = [1, 2].map(
      (seed) =>
        dn.sequential({ inputs: 784, seed, layers: [dn.dense(512), dn.relu(), dn.dense(256), dn.relu(), dn.dense(10), dn.softmax()] })
          .params,
    );
    const dir = freshDir();
    const seen = new Set<number>();
    for (let round = 0; round < 12; round++) {
      const child = spawn(process.execPath, [script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      // A save of this model takes a few ms: spread the kills over several of them.
      await new Promise((resolve) => setTimeout(resolve, 3 + ((round * 7) % 40)));
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      const loaded = await dn.load(dir);
      const which = expected.findIndex((p) => Buffer.compare(Buffer.from(p.buffer), Buffer.from(loaded.params.buffer.slice(0))) === 0);
      expect(which, `round ${round}: the loaded weights are neither model`).toBeGreaterThanOrEqual(0);
      seen.add(which);
    }
    // Both models were caught, so the kills did land between and during saves.
    expect(seen.size).toBe(2);
  }, 120_000);
});
