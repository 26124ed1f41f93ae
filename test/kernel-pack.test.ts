// Inference packs of the dense kernels (lib/layers/kernel-pack.ts): predictions read them only
// where the GEMM would pack W itself, bitwise the same outputs, and a pack never outlives the
// weights it was made from (setWeights, every fit step, a worker's fit, a load).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../lib/backend/backend.js';
import * as dn from '../lib/index.js';
import { Model } from '../lib/model.js';
import { Random } from '../lib/random.js';
import { native } from './helpers/backends.js';

// 600 inputs: two K blocks in the first product; 300 and 40 columns, ragged against every NR.
const config = {
  inputs: 600,
  seed: 5,
  layers: [dn.dense(300), dn.relu(), dn.dense(40), dn.batchNorm(), dn.relu(), dn.dense(3), dn.softmax()],
};
const rows = (n: number, seed: number) => {
  const r = new Random(seed);
  return { rows: n, cols: 600, data: Float32Array.from({ length: n * 600 }, () => r.normal()) };
};
const labels = (n: number) => Int32Array.from({ length: n }, (_, i) => (i * 7) % 3);
const withBackend = (backend: Backend) => new Model(config, { backend, alloc: (n) => new Float32Array(n) });
const unpacked: Backend = { ...native, packs: null };
const bits = (m: dn.Matrix) => Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('inference packs of the dense kernels', () => {
  it('the native GEMM packs only products that would pack W: not a few rows, not a narrow layer', () => {
    const packs = native.packs;
    expect(packs).not.toBeNull();
    expect(packs?.length(4, 300, 600)).toBe(0);
    expect(packs?.length(300, 3, 40)).toBe(0);
    const length = packs?.length(5, 300, 600) ?? 0;
    expect(length).toBeGreaterThanOrEqual(300 * 600);
    expect(packs?.length(1000, 300, 600)).toBe(length);
  });

  it('predictions with packs are bitwise those without, for every batch size', () => {
    const packed = withBackend(native);
    const plain = withBackend(unpacked);
    const x = rows(300, 1);
    for (const batchSize of [1, 3, 5, 128, 256, 1024]) {
      expect(bits(packed.predict(x, { batchSize })).equals(bits(plain.predict(x, { batchSize }))), `batchSize ${batchSize}`).toBe(true);
    }
  });

  it('a pack follows setWeights, every fit step and validation, and a load', async () => {
    const model = withBackend(native);
    const twin = withBackend(unpacked);
    const x = rows(200, 2);
    const same = () => expect(bits(model.predict(x)).equals(bits(twin.predict(x)))).toBe(true);
    model.predict(x);
    const r = new Random(9);
    const other = model.getWeights().map((w) => w.map(() => r.normal() * 0.05));
    model.setWeights(other);
    twin.setWeights(other);
    same();

    for (const m of [model, twin]) m.compile({ loss: 'crossEntropy', optimizer: dn.adam({ learningRate: 0.01 }) });
    const [xv, yv] = [rows(64, 3), labels(64)];
    const train = (m: Model) => m.fit(rows(256, 4), labels(256), { epochs: 3, batchSize: 64, validationData: [xv, yv], shuffle: false });
    const [a, b] = [await train(model), await train(twin)];
    // Each epoch's validation ran on that epoch's weights, not on a pack of earlier ones.
    expect(a.history.valLoss).toEqual(b.history.valLoss);
    same();

    const dir = mkdtempSync(join(tmpdir(), 'densenode-pack-'));
    dirs.push(dir);
    await model.save(dir);
    // (a loaded model runs on the active backend: bitwise comparable on the native one)
    const loaded = await dn.load(dir);
    if (dn.backendInfo().name === 'native') expect(bits(loaded.predict(x)).equals(bits(model.predict(x)))).toBe(true);
  });

  it('a fit in a worker thread leaves no stale pack behind', async () => {
    // The default runtime: shared arenas the worker trains from its own thread.
    const model = dn.sequential(config);
    model.compile({ loss: 'crossEntropy', optimizer: dn.adam({ learningRate: 0.01 }) });
    const x = rows(100, 6);
    const before = model.predict(x);
    await model.fit(rows(256, 7), labels(256), { epochs: 2, batchSize: 64, worker: true });
    const after = model.predict(x);
    const twin = withBackend(unpacked);
    twin.setWeights(model.getWeights());
    expect(bits(after).equals(bits(before))).toBe(false);
    if (dn.backendInfo().name === 'native') expect(bits(after).equals(bits(twin.predict(x)))).toBe(true);
  });
});
