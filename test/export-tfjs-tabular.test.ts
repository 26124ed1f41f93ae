// TF.js export of a model with a column spec: TensorFlow.js takes the encoded
// features (encodeTable with the spec that model.json carries) and must answer
// what model.predict(records) answers, a regression in the target's units when
// its scale could be folded; importTfjs reads the spec back and undoes the
// fold, so the imported model predicts records with the scale applied once.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as dn from '../lib/index.js';
import { expectWithin } from './helpers/compare.js';
import { scratchDir } from './helpers/interop.js';
import { loadWithTfjs, tfjsPredict } from './helpers/tfjs-load.js';

const root = scratchDir('tfjs-tabular');
let dirCount = 0;
const freshDir = () => join(root, `m${dirCount++}`);

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Records with missing numbers, a rare level and missing cells, a date; targets for three tasks. */
function records(rows: number, seed: number): Record<string, dn.Cell>[] {
  let s = seed;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return Array.from({ length: rows }, (_, i) => {
    const x = 4 * u() - 2;
    const colour = i === 3 ? 'teal' : u() < 0.1 ? '' : (['red', 'green', 'blue'][Math.floor(3 * u())] as string);
    const day = 18_000 + Math.floor(700 * u());
    const score = x + (colour === 'red' ? 1 : 0) + Math.sin(day / 30);
    return {
      x: u() < 0.12 ? 'NA' : x.toFixed(4),
      colour,
      seen: u() < 0.06 ? null : new Date(day * 86_400_000).toISOString().slice(0, 10),
      binary: score > 0 ? 'up' : 'down',
      three: (['lo', 'mid', 'hi'] as const)[Math.min(2, Math.max(0, Math.floor(score + 1.5)))] as string,
      amount: Number((20 + 3 * score).toFixed(3)),
    };
  });
}

const train = records(200, 11);
// To predict: without targets, with an unseen level, missing cells and NA tokens.
const scoring = [
  ...train.slice(0, 20).map(({ binary, three, amount, ...rest }) => rest),
  { x: null, colour: 'purple', seen: '2020-02-29' },
  { x: '1.5', colour: 'N/A', seen: 'NA' },
  { x: -3, colour: 'teal', seen: null },
];
const TASKS = ['binary', 'three', 'amount'] as const;
const withTarget = (target: (typeof TASKS)[number]) => train.map((r) => ({ x: r.x, colour: r.colour, seen: r.seen, [target]: r[target] }));

async function trained(target: (typeof TASKS)[number], layers: (width: number) => dn.LayerSpec[], loss: dn.LossName) {
  const data = dn.tabular(withTarget(target), { target });
  const model = dn.sequential({ inputs: data.spec.features.length, seed: 2, layers: layers(data.spec.features.length) });
  model.compile({ loss, optimizer: dn.adam({ learningRate: 0.01 }) });
  await model.fit(data.x, data.y as Int32Array | Float32Array, { epochs: 6, batchSize: 25 });
  model.preprocessing = dn.tabularPreprocessing(data.spec);
  return { model, spec: data.spec };
}

const readJson = (dir: string) => JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
const hidden = () => [dn.dense(10), dn.batchNorm(), dn.relu(), dn.dropout(0.1)];

describe('exportTfjs with a column spec: TF.js predicts on the encoded features', () => {
  const cases = [
    { name: 'binary (sigmoid)', target: 'binary', loss: 'binaryCrossEntropy', head: () => [dn.dense(1), dn.sigmoid()] },
    { name: 'three classes (softmax)', target: 'three', loss: 'crossEntropy', head: () => [dn.dense(3), dn.softmax()] },
    {
      name: 'regression, folded',
      target: 'amount',
      loss: 'meanSquaredError',
      head: () => [dn.dense(1, { useBias: false }), dn.dropout(0.1), dn.linear()],
    },
    { name: 'regression, not foldable (tanh)', target: 'amount', loss: 'meanSquaredError', head: () => [dn.dense(1), dn.tanh()] },
  ] as const;

  for (const c of cases) {
    it(`${c.name}: tf.loadLayersModel within 1e-5 of model.predict(records); importTfjs predicts records the same`, async () => {
      const { model, spec } = await trained(c.target, () => [...hidden(), ...c.head()], c.loss);
      const dir = freshDir();
      await model.exportTfjs(dir);
      const meta = readJson(dir).userDefinedMetadata;
      expect(meta.preprocessing).toEqual(spec);
      expect(meta.features).toEqual(spec.features);
      const regression = spec.target?.kind === 'values';
      const folded = c.name === 'regression, folded';
      expect(meta.outputsInTargetUnits).toBe(regression ? folded : undefined);

      const want = model.predict(scoring).data;
      const loaded = await loadWithTfjs(dir);
      let got = tfjsPredict(loaded, dn.encodeTable(spec, scoring).x);
      loaded.dispose();
      if (regression && !folded) {
        const t = spec.target as { mean: number; std: number };
        got = got.map((v) => v * t.std + t.mean); // what the metadata tells a client to do
      }
      if (regression) expect(Math.min(...want)).toBeGreaterThan(5); // the target's units (mean near 20)
      expectWithin(got, want, 1e-5, c.name);

      const imported = await dn.importTfjs(dir);
      expect(imported.preprocessing?.tabular).toEqual(spec);
      expect(imported.preprocessing?.classes).toEqual(spec.target?.kind === 'classes' ? spec.target.classes : undefined);
      expectWithin(imported.predict(scoring).data, want, 1e-5, `${c.name}, imported`);
      expect(imported.predictClasses(scoring)).toEqual(model.predictClasses(scoring));
    });
  }

  it('a folded regression imports as the trained model: standardised outputs, scaled once; evaluate and a re-export agree', async () => {
    const { model, spec } = await trained('amount', () => [...hidden(), dn.dense(1), dn.linear()], 'meanSquaredError');
    const dir = freshDir();
    await model.exportTfjs(dir);
    const imported = await dn.importTfjs(dir);
    // The last dense layer's weights are the trained ones again, not W·std and b·std + mean.
    const last = (m: dn.Model) => m.getWeights().slice(-2);
    last(imported).forEach((w, i) => {
      expectWithin(w, last(model)[i] as Float32Array, 1e-6, `weight ${i}`);
    });
    const encoded = dn.encodeTable(spec, scoring).x;
    expectWithin(imported.predict(encoded).data, model.predict(encoded).data, 1e-6, 'standardised outputs');
    imported.compile({ loss: 'meanSquaredError' });
    const [a, b] = [model.evaluate(train), imported.evaluate(train)];
    expect(b.mae).toBeCloseTo(a.mae as number, 4);
    expect(b.rmse).toBeCloseTo(a.rmse as number, 4);
    const again = freshDir();
    await imported.exportTfjs(again);
    expect(readJson(again).userDefinedMetadata).toEqual(readJson(dir).userDefinedMetadata);
    const reloaded = await loadWithTfjs(again);
    expectWithin(tfjsPredict(reloaded, encoded), model.predict(scoring).data, 1e-5, 're-exported');
    reloaded.dispose();
  });

  it('a model without a spec exports as before: no preprocessing, no outputsInTargetUnits', async () => {
    const model = dn.mlp([3, 4, 1], { output: 'linear', seed: 1 });
    model.preprocessing = { features: ['a', 'b', 'c'], mean: [0, 1, 2], std: [1, 2, 3] };
    const dir = freshDir();
    await model.exportTfjs(dir);
    expect(readJson(dir).userDefinedMetadata).toEqual({ features: ['a', 'b', 'c'] });
  });
});

describe('exportTfjs / importTfjs with a column spec: what does not fit fails clearly', () => {
  let dir: string;
  let spec: dn.TabularSpec;
  beforeAll(async () => {
    const t = await trained('amount', () => [dn.dense(4), dn.relu(), dn.dense(1)], 'meanSquaredError');
    spec = t.spec;
    dir = freshDir();
    await t.model.exportTfjs(dir);
  });
  const edit = (
    change: (json: { userDefinedMetadata: Record<string, unknown>; modelTopology: { config: { layers: unknown[] } } }) => void,
  ) => {
    const json = readJson(dir);
    change(json);
    // Beside the shards, so the manifest's relative paths resolve.
    const file = join(dir, `edited${dirCount++}.json`);
    writeFileSync(file, JSON.stringify(json));
    return file;
  };

  it('a spec that does not match its features or the model, an outputsInTargetUnits without a fold to undo', async () => {
    await expect(
      dn.importTfjs(edit((j) => (j.userDefinedMetadata.preprocessing as { features: string[] }).features.pop())),
    ).rejects.toThrow(/importTfjs: .*: userDefinedMetadata.preprocessing.features does not match its columns/);
    const narrow = edit((j) => {
      const s = j.userDefinedMetadata.preprocessing as { columns: { kind: string; reason?: string }[]; features: string[] };
      s.columns[0] = { ...s.columns[0], kind: 'dropped', reason: 'ignored' } as { kind: string };
      s.features = s.features.filter((f) => f !== 'x' && f !== 'x_missing');
    });
    await expect(dn.importTfjs(narrow)).rejects.toThrow(/userDefinedMetadata.preprocessing makes \d+ features, the model has \d+ inputs/);
    const classes = edit((j) => {
      const s = j.userDefinedMetadata.preprocessing as { target: unknown };
      s.target = { name: 'amount', kind: 'classes', classes: ['a', 'b'] };
    });
    await expect(dn.importTfjs(classes)).rejects.toThrow(
      /expected false or absent \(userDefinedMetadata.preprocessing has no regression target\)/,
    );
    const tanh = edit((j) => {
      const layers = j.modelTopology.config.layers as { config: { activation?: string } }[];
      (layers.at(-1) as { config: { activation?: string } }).config.activation = 'tanh';
    });
    await expect(dn.importTfjs(tanh)).rejects.toThrow(/outputsInTargetUnits is true, but the model does not end in a Dense layer/);
  });

  it('exportTfjs refuses a spec that does not fit the model, or a spec with mean/std', async () => {
    const model = dn.sequential({ inputs: 2, layers: [dn.dense(1)] });
    model.preprocessing = { tabular: spec };
    await expect(model.exportTfjs(freshDir())).rejects.toThrow(
      /exportTfjs: preprocessing.tabular makes \d+ features, the model has 2 inputs/,
    );
    const wide = dn.sequential({ inputs: spec.features.length, layers: [dn.dense(1)] });
    wide.preprocessing = { tabular: spec, mean: spec.features.map(() => 0), std: spec.features.map(() => 1) };
    await expect(wide.exportTfjs(freshDir())).rejects.toThrow(/exportTfjs: model.preprocessing has both a column spec/);
    wide.preprocessing = { tabular: { ...spec, features: ['x'] } };
    await expect(wide.exportTfjs(freshDir())).rejects.toThrow(/exportTfjs: preprocessing.tabular.features does not match its columns/);
  });
});
