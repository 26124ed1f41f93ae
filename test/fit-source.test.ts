// fit(source): batches from a function returning a fresh (async) iterable each epoch, as a
// database cursor or a stream gives them: it learns, matches the in-memory fit on the same
// batches, runs every fit feature over them, and refuses bad batches by number.
import { describe, expect, it } from 'vitest';
import * as dn from '../lib/index.js';

// Two overlapping clusters (deterministic pseudo-noise), labels alternating.
function blobs(n: number, seed: number): { rows: number[][]; labels: number[] } {
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    rows.push([label * 2 - 1 + Math.sin(i * 12.9898 + seed) * 0.8, (label * 2 - 1) * 0.5 + Math.cos(i * 78.233 + seed) * 0.8]);
    labels.push(label);
  }
  return { rows, labels };
}

const sizes = [7, 16, 3, 16, 16, 9, 13];
function* batchesOf(rows: number[][], labels: number[]): Iterable<dn.SourceBatch> {
  let at = 0;
  for (let k = 0; at < rows.length; k++) {
    const size = sizes[k % sizes.length] as number;
    yield { x: rows.slice(at, at + size), y: labels.slice(at, at + size) };
    at += size;
  }
}

describe('fit(source)', () => {
  it('learns from an async generator re-invoked each epoch, with validation from another source', async () => {
    const { rows, labels } = blobs(400, 1);
    let calls = 0;
    const source = async function* () {
      calls++;
      for (const b of batchesOf(rows.slice(0, 300), labels.slice(0, 300))) {
        await new Promise((r) => setImmediate(r));
        yield b;
      }
    };
    const model = dn.mlp([2, 8, 1], { seed: 3, optimizer: dn.adam({ learningRate: 0.03 }) });
    const history = await model.fit(source, { epochs: 8, validationData: () => batchesOf(rows.slice(300), labels.slice(300)) });
    expect(calls).toBe(8);
    expect(history.epochs).toHaveLength(8);
    expect(history.epochs[7]?.valAccuracy).toBeGreaterThan(0.9);
    expect(history.epochs[7]?.loss).toBeLessThan(history.epochs[0]?.loss as number);
  });

  it('equals the in-memory fit on the same batches in the same order, bit for bit', async () => {
    const { rows, labels } = blobs(64, 2);
    const fixed = () => {
      const out: dn.SourceBatch[] = [];
      for (let i = 0; i < 64; i += 16) out.push({ x: rows.slice(i, i + 16), y: labels.slice(i, i + 16) });
      return out;
    };
    const a = dn.mlp([2, 4, 1], { seed: 5 });
    const b = dn.mlp([2, 4, 1], { seed: 5 });
    const ha = await a.fit(fixed, { epochs: 3 });
    const hb = await b.fit(rows, labels, { epochs: 3, batchSize: 16, shuffle: false });
    expect(a.getWeights()).toEqual(b.getWeights());
    expect(ha.history.loss).toEqual(hb.history.loss);
  });

  it('carries sample weights, class weights, callbacks and early stopping', async () => {
    const { rows, labels } = blobs(96, 4);
    const model = dn.mlp([2, 4, 1], { seed: 1 });
    model.compile({ loss: 'binaryCrossEntropy', metrics: ['accuracy', 'auc'] });
    let batches = 0;
    const history = await model.fit(
      () => [...batchesOf(rows, labels)].map((b) => ({ ...b, sampleWeight: (b.y as number[]).map(() => 2) })),
      {
        epochs: 50,
        classWeight: { 0: 1, 1: 2 },
        callbacks: [dn.earlyStopping({ monitor: 'loss', patience: 0, minDelta: 1 }), { onBatchEnd: () => void batches++ }],
      },
    );
    expect(history.stopReason).toBe('earlyStopping');
    expect(history.epochs).toHaveLength(2);
    expect(batches).toBe(2 * [...batchesOf(rows, labels)].length);
    expect(history.history.auc).toHaveLength(2);
  });

  it('refuses bad batches by number, an empty source, and options a source cannot take', async () => {
    const model = dn.mlp([2, 1]);
    const good = { x: [[0, 1]], y: [1] };
    await expect(model.fit(() => [good, { x: [[0, Number.NaN]], y: [0] }])).rejects.toThrow('batch 1: x: row 0, column 1 is NaN');
    await expect(model.fit(() => [good, { x: [[0, 1, 2]], y: [0] }])).rejects.toThrow(/batch 1: x/);
    await expect(model.fit(() => [good, { x: [[0, 1]] } as unknown as dn.SourceBatch])).rejects.toThrow(
      'fit: expected a { x, y, sampleWeight? } batch for batch 1',
    );
    await expect(model.fit(() => [])).rejects.toThrow('fit: the source gave no rows in epoch 0');
    await expect(model.fit((() => 5) as unknown as dn.BatchSource)).rejects.toThrow('fit: expected an iterable or async iterable');
    await expect(model.fit(() => [good], { batchSize: 8 })).rejects.toThrow('fit: expected no such option with a source');
    // In a worker the source is read (and checked) on the main thread: the same errors.
    await expect(model.fit(() => [good, { x: [[0, 1, 2]], y: [0] }], { worker: true })).rejects.toThrow(/batch 1: x/);
    await expect(model.fit(() => [good], { worker: true, batchSize: 8 })).rejects.toThrow('fit: expected no such option with a source');
    await expect(model.fit(() => [good], { classWeight: 'balanced' })).rejects.toThrow("'balanced' needs all the data");
  });

  it('a source that throws mid-epoch rejects fit with its error and keeps the last good weights', async () => {
    const model = dn.mlp([2, 3, 1], { seed: 2 });
    const good = {
      x: [
        [0, 1],
        [1, 0],
      ],
      y: [1, 0],
    };
    let before: Float32Array[] = [];
    const failing = function* () {
      yield good;
      before = model.getWeights();
      throw new Error('cursor closed');
    };
    await expect(model.fit(failing)).rejects.toThrow('cursor closed');
    expect(model.getWeights()).toEqual(before);
    expect(model.isTraining).toBe(false);
  });
});
