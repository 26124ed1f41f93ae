// Issue 21, item 10: batch-norm moving statistics that overflow are a divergence like a non-finite
// loss — fit rejects with a DivergenceError and the model keeps finite weights and state, in
// process and in a worker — and save refuses non-finite values at save time, not load time.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as dn from '../lib/index.js';
import { packageRoot } from './helpers/backends.js';
import { breastCancer } from './helpers/datasets.js';

const root = mkdtempSync(join(tmpdir(), 'densenode-divergence-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(root, `d${dirs++}`);
const data = breastCancer();
const allFinite = (a: Float32Array) => a.every(Number.isFinite);

const cases = [
  ['momentum', 1e3],
  ['momentum', 1e6],
  ['sgd', 1e6],
] as const;

describe('batch-norm statistics in the divergence check', () => {
  for (const [name, learningRate] of cases) {
    for (const worker of [false, true]) {
      it(`${name} at lr ${learningRate}${worker ? ' in a worker' : ''}: a DivergenceError, finite weights and state, a model that saves and loads`, async () => {
        const model = dn.mlp([30, 16, 8, 1], {
          seed: 1,
          batchNorm: true,
          optimizer: (name === 'sgd' ? dn.sgd : dn.momentum)({ learningRate }),
        });
        const dir = freshDir();
        const error = await model.fit(data.xTrain, data.yTrain, { epochs: 30, worker, checkpoint: { dir } }).then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(dn.DivergenceError);
        expect((error as Error).message).toMatch(/training diverged at epoch \d+, step \d+/);
        expect(allFinite(model.params)).toBe(true);
        expect(allFinite(model.state)).toBe(true);
        const saved = freshDir();
        await model.save(saved);
        const loaded = await dn.load(saved);
        expect(loaded.predict(data.xTest).data.every(Number.isFinite)).toBe(true);
        // A checkpoint written before the divergence (if an epoch completed) holds finite values and loads.
        if (existsSync(join(dir, 'model.json'))) await dn.load(dir);
      }, 60_000);
    }
  }

  it('save refuses non-finite weights or statistics at save time, naming what overflowed', async () => {
    const model = dn.mlp([30, 4, 1], { seed: 1, batchNorm: true });
    model.state[0] = Number.POSITIVE_INFINITY;
    await expect(model.save(freshDir())).rejects.toThrow(
      /save: state value 0 \(batch-norm moving statistics\) is Infinity; a model with non-finite values cannot be loaded/,
    );
    model.state[0] = 0;
    model.params[3] = Number.NaN;
    await expect(model.save(freshDir())).rejects.toThrow(/save: parameter 3 is NaN/);
  });

  it('the CLI exits 1 with the divergence message, and the model it wrote loads', () => {
    const out = freshDir();
    const run = spawnSync(
      process.execPath,
      [
        join(packageRoot, 'bin', 'densenode.cjs'),
        'train',
        join(packageRoot, 'data', 'breast_cancer.csv'),
        '--batch-norm',
        '--optimizer',
        'momentum',
        '--lr',
        '1e6',
        '--epochs',
        '30',
        '--out',
        out,
      ],
      { encoding: 'utf8', timeout: 120_000, cwd: root },
    );
    expect(run.stderr).toMatch(/training diverged at epoch \d+, step \d+/);
    expect(run.status).toBe(1);
    const evaluate = spawnSync(
      process.execPath,
      [join(packageRoot, 'bin', 'densenode.cjs'), 'evaluate', out, join(packageRoot, 'data', 'breast_cancer.csv')],
      {
        encoding: 'utf8',
        timeout: 120_000,
        cwd: root,
      },
    );
    expect(evaluate.stderr).toBe('');
    expect(evaluate.status).toBe(0);
  }, 120_000);
});
