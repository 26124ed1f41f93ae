// fit(source): batches from a function returning a fresh (async) iterable each epoch, as a
// database cursor or a stream gives them: it learns, matches the in-memory fit on the same
// batches, runs every fit feature over them, and refuses bad batches by number.
import { describe, expect, it } from 'vitest';
import * as dn from '../lib/index.js';
import { BATCH_SIZES, blobs } from './helpers/blobs.js';

const sizes = BATCH_SIZES;
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

describe('fit(source, { stepsPerEpoch }) and endless pipelines', () => {
  const { rows, labels } = blobs(64, 4);
  const endless = () => {
    const opened: number[] = [];
    let closed = 0;
    let reads = 0;
    const source = async function* (epoch: number) {
      opened.push(epoch);
      try {
        for (let k = 0; ; k++) {
          reads++;
          const at = (k * 8) % 64;
          yield { x: rows.slice(at, at + 8), y: labels.slice(at, at + 8) };
        }
      } finally {
        closed++;
      }
    };
    return { source, opened, closed: () => closed, reads: () => reads };
  };

  for (const worker of [false, true]) {
    it(`an epoch is stepsPerEpoch batches of an endless source, each epoch's iterator closed${worker ? ' (worker)' : ''}`, async () => {
      const s = endless();
      const model = dn.mlp([2, 4, 1], { seed: 1 });
      let steps = 0;
      const history = await model.fit(s.source, { epochs: 3, stepsPerEpoch: 5, worker, onBatchEnd: () => void steps++ });
      expect(history.epochs).toHaveLength(3);
      expect(steps).toBe(15);
      expect(s.opened).toEqual([0, 1, 2]);
      expect(s.closed()).toBe(3);
      // Read ahead in a worker by at most its window; in process not one batch past the fifth.
      if (!worker) expect(s.reads()).toBe(15);
    });
  }

  it('refuses an endless pipeline without stepsPerEpoch before reading it, and stepsPerEpoch with arrays', async () => {
    let reads = 0;
    const pipeline = dn
      .dataset(() => {
        reads++;
        return [{ x: rows.slice(0, 8), y: labels.slice(0, 8) }];
      })
      .repeat();
    expect(pipeline.endless).toBe(true);
    expect(pipeline.take(3).endless).toBe(false);
    expect(pipeline.map((b) => b).endless).toBe(true);
    const model = dn.mlp([2, 4, 1], { seed: 1 });
    await expect(model.fit(pipeline, { epochs: 1 })).rejects.toThrow(
      /fit: expected a number of batches per epoch for an endless source.*stepsPerEpoch/,
    );
    await expect(model.fit(pipeline, { epochs: 1, worker: true })).rejects.toThrow(/stepsPerEpoch/);
    expect(reads).toBe(0);
    const history = await model.fit(pipeline, { epochs: 2, stepsPerEpoch: 4 });
    expect(history.epochs.map((e) => e.samplesPerSecond > 0)).toEqual([true, true]);
    await expect(model.fit(rows, labels, { stepsPerEpoch: 2 })).rejects.toThrow(/no such option with arrays .*for stepsPerEpoch/);
    await expect(model.fit(pipeline, { stepsPerEpoch: 0 })).rejects.toThrow(/stepsPerEpoch/);
  });

  it('repeat(n) gives the items n times, each pass seeded apart, and an empty source ends', async () => {
    const passes = dn.dataset([1, 2, 3]).shuffle(3, 1).repeat(2);
    const items: number[] = [];
    for await (const v of passes) items.push(v);
    expect([...items].sort()).toEqual([1, 1, 2, 2, 3, 3]);
    const empty: number[] = [];
    for await (const v of dn.dataset<number>([]).repeat()) empty.push(v);
    expect(empty).toEqual([]);
    expect(() => dn.dataset([1]).repeat(0)).toThrow(/repeat/);
  });
});
