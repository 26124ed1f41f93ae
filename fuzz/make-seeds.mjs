// `node fuzz/make-seeds.mjs`: writes fuzz/seeds/<target>/, the valid starting points the fuzzer
// mutates (committed; rerun after a format change). load: saved models of every layer kind,
// compiled with each optimizer, with preprocessing and with a checkpoint. tfjs: the TF.js export
// of the same models. binding: one valid-ish call per export (the decoder's byte 0 picks it).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EDITS } from './targets/json-edits.mjs';
import { joinParts } from './targets/model-files.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dn = await import(pathToFileURL(join(root, 'dist', 'index.js')).href);
const { bindingSignatures } = await import(pathToFileURL(join(root, 'dist', 'backend', 'signatures.js')).href);
const work = mkdtempSync(join(tmpdir(), 'densenode-seeds-'));
const seeds = (target) => {
  const dir = join(root, 'fuzz', 'seeds', target);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
};

const x = [
  [0, 1, 2],
  [1, 0, 1],
  [2, 2, 0],
  [0, 0, 1],
];
const models = {
  dense: () => dn.sequential({ inputs: 3, seed: 1, layers: [dn.dense(4), dn.relu(), dn.dense(1), dn.sigmoid()] }),
  softmax: () =>
    dn
      .sequential({ inputs: 3, seed: 2, layers: [dn.dense(3), dn.tanh(), dn.dense(2), dn.softmax()] })
      .compile({ loss: 'crossEntropy', optimizer: 'adam', metrics: ['accuracy'] }),
  batchNorm: () =>
    dn
      .sequential({ inputs: 3, seed: 3, layers: [dn.dense(4), dn.batchNorm(), dn.leakyRelu(0.1), dn.dropout(0.2), dn.dense(1)] })
      .compile({ loss: 'meanSquaredError', optimizer: dn.momentum({ learningRate: 0.01 }) }),
  rmsprop: () =>
    dn
      .sequential({ inputs: 3, seed: 4, layers: [dn.dense(2), dn.linear(), dn.dense(1), dn.sigmoid()] })
      .compile({ loss: 'binaryCrossEntropy', optimizer: dn.rmsprop({ learningRate: 0.01 }), l2: 0.001 }),
};

const load = seeds('load');
const tfjs = seeds('tfjs');
for (const [name, make] of Object.entries(models)) {
  const model = make();
  const saved = join(work, `${name}-saved`);
  await model.save(saved);
  const exported = join(work, `${name}-tfjs`);
  await model.exportTfjs(exported);
  for (const [dir, out] of [
    [saved, load],
    [exported, tfjs],
  ]) {
    const manifest = readFileSync(join(dir, 'model.json'));
    const json = JSON.parse(manifest.toString('utf8'));
    const names = json.weights ? [json.weights.file] : json.weightsManifest.flatMap((g) => g.paths);
    writeFileSync(join(out, name), joinParts([manifest, ...names.map((n) => readFileSync(join(dir, n)))]));
  }
}
// A checkpoint (optimizer slots, step, PRNG state) from a fit.
const trained = models.softmax();
const checkpoint = join(work, 'checkpoint');
await trained.fit(x, [0, 1, 1, 0], { epochs: 2, batchSize: 2, checkpoint: { dir: checkpoint }, verbose: 0 });
const manifest = readFileSync(join(checkpoint, 'model.json'));
const file = readdirSync(checkpoint).find((f) => f.startsWith('weights-'));
writeFileSync(join(load, 'checkpoint'), joinParts([manifest, readFileSync(join(checkpoint, file))]));

// Inputs in the edit form (fuzz/targets/json-edits.mjs): a seed and a few edits, from fixed bytes.
for (const [target, dir] of [
  ['load', load],
  ['tfjs', tfjs],
]) {
  for (let i = 0; i < 6; i++) {
    const ops = Array.from({ length: 40 }, (_, j) => (j * 37 + i * 101 + (target === 'load' ? 0 : 13)) % 256);
    writeFileSync(join(dir, `edits-${i}`), Buffer.from([EDITS, i, 7, ...ops]));
  }
}

const binding = seeds('binding');
for (const [i, name] of Object.keys(bindingSignatures).sort().entries()) {
  writeFileSync(join(binding, name), Buffer.from([i, 0, 0, ...new Array(40).fill(1)]));
}
rmSync(work, { recursive: true, force: true });
console.log('seeds written to fuzz/seeds/');
