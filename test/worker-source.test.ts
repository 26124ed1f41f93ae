// fit(source, { worker: true }): the source is read on the main thread, a bounded number of
// batches ahead, and trained on in the worker; the run equals the in-process one bit for bit.
// Also: a worker fit settles only once the worker has stopped touching the arenas (issue 21, item 9).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as dn from '../lib/index.js';
import { READ_AHEAD } from '../lib/worker-source.js';
import { BATCH_SIZES, blobs } from './helpers/blobs.js';

// Batches of varying size as Float32Array matrices, with sample weights: the caller's buffers.
const sizes = BATCH_SIZES;
function matrices(rows: number[][], labels: number[]): dn.SourceBatch[] {
  const out: dn.SourceBatch[] = [];
  for (let k = 0, at = 0; at < rows.length; k++) {
    const size = Math.min(sizes[k % sizes.length] as number, rows.length - at);
    const data = Float32Array.from(rows.slice(at, at + size).flat());
    out.push({
      x: { rows: size, cols: 2, data },
      y: labels.slice(at, at + size),
      sampleWeight: Array.from({ length: size }, (_, i) => 0.5 + ((at + i) % 3) * 0.5),
    });
    at += size;
  }
  return out;
}

const withoutTimes = (h: dn.History) => h.epochs.map(({ seconds: _s, samplesPerSecond: _r, ...rest }) => rest);
const make = () => dn.mlp([2, 8, 8, 1], { seed: 4, dropout: 0.2, batchNorm: true, optimizer: dn.adam({ learningRate: 0.02 }) });
const root = mkdtempSync(join(tmpdir(), 'dn-worker-source-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(root, `c${dirs++}`);

describe('fit(source, { worker: true })', () => {
  const { rows, labels } = blobs(300, 1);
  const train = matrices(rows.slice(0, 240), labels.slice(0, 240));
  const held = matrices(rows.slice(240), labels.slice(240));
  const source = async function* () {
    for (const b of train) {
      await new Promise((r) => setImmediate(r));
      yield b;
    }
  };

  it('equals the in-process run bit for bit, with validation from a source or arrays, and leaves the caller buffers usable', async () => {
    for (const validationData of [() => held, [rows.slice(240), labels.slice(240)] as [number[][], number[]]]) {
      const local = make();
      const remote = make();
      const options = { epochs: 4, classWeight: [1, 2], validationData };
      const a = await local.fit(source, options);
      const b = await remote.fit(source, { ...options, worker: true });
      expect(remote.getWeights()).toEqual(local.getWeights());
      expect(withoutTimes(b)).toEqual(withoutTimes(a));
      expect(b.epochs[3]?.valAccuracy).toBeGreaterThan(0.8);
      // The PRNG (dropout) and Adam's step came back: a second run still matches.
      await local.fit(source, { epochs: 1 });
      await remote.fit(source, { epochs: 1, worker: true });
      expect(remote.getWeights()).toEqual(local.getWeights());
    }
    // The batches crossed as copies: the caller's Float32Arrays are intact, not detached.
    const first = train[0]?.x as dn.Matrix;
    expect(first.data.length).toBe(14);
    expect(first.data[0]).toBe(Math.fround(rows[0]?.[0] as number));
  });

  it('reads at most READ_AHEAD batches ahead of training', async () => {
    let reads = 0;
    let trained = 0;
    let worst = 0;
    const counted = function* () {
      for (const b of train) {
        reads++;
        worst = Math.max(worst, reads - trained);
        yield b;
      }
    };
    await make().fit(counted, { epochs: 2, worker: true, onBatchEnd: () => void trained++ });
    expect(reads).toBe(2 * train.length);
    // One batch in training, READ_AHEAD queued, one being read; batch ends reach this thread a message late.
    expect(worst).toBeLessThanOrEqual(READ_AHEAD + 3);
    expect(worst).toBeGreaterThanOrEqual(1);
  });

  it('a source that throws mid-epoch rejects fit with that very error, keeps the last good weights and stops the worker', async () => {
    const error = new Error('cursor closed');
    const failing = function* () {
      yield* train.slice(0, 5);
      throw error;
    };
    const local = make();
    await expect(local.fit(failing, { epochs: 2 })).rejects.toBe(error);
    const remote = make();
    await expect(remote.fit(failing, { epochs: 2, worker: true })).rejects.toBe(error);
    expect(remote.isTraining).toBe(false);
    expect(remote.getWeights()).toEqual(local.getWeights());
    const after = remote.getWeights();
    await new Promise((r) => setTimeout(r, 100));
    expect(remote.getWeights()).toEqual(after);
    // And the model trains on normally afterwards, as the in-process one does.
    await local.fit(source, { epochs: 1 });
    await remote.fit(source, { epochs: 1, worker: true });
    expect(remote.getWeights()).toEqual(local.getWeights());
    // A validation source that throws rejects the same way.
    const bad = () => {
      throw new RangeError('validation cursor closed');
    };
    await expect(make().fit(source, { worker: true, validationData: bad })).rejects.toThrow('validation cursor closed');
  });

  it('a diverging run rejects with a DivergenceError and keeps finite weights, as in-process', async () => {
    const hot = () => dn.mlp([2, 8, 8, 1], { seed: 4, batchNorm: true, optimizer: dn.sgd({ learningRate: 1e6 }) });
    const local = hot();
    const remote = hot();
    const a = await local.fit(source, { epochs: 5 }).catch((e: unknown) => e);
    const b = await remote.fit(source, { epochs: 5, worker: true }).catch((e: unknown) => e);
    expect(a).toBeInstanceOf(dn.DivergenceError);
    expect(b).toBeInstanceOf(dn.DivergenceError);
    expect((b as Error).message).toBe((a as Error).message);
    expect(remote.getWeights()).toEqual(local.getWeights());
    expect(remote.state.every(Number.isFinite)).toBe(true);
  });

  it('early stopping, abort, epoch callbacks and checkpoints work as in-process', async () => {
    const stop = () => dn.earlyStopping({ monitor: 'loss', patience: 0, minDelta: 10 });
    const a = await make().fit(source, { epochs: 10, callbacks: [stop()] });
    const b = await make().fit(source, { epochs: 10, worker: true, callbacks: [stop()] });
    expect(b.stopReason).toBe('earlyStopping');
    expect(withoutTimes(b)).toEqual(withoutTimes(a));

    const controller = new AbortController();
    const epochs: number[] = [];
    const aborted = await make().fit(source, {
      epochs: 1000,
      worker: true,
      signal: controller.signal,
      onEpochEnd: (epoch) => {
        epochs.push(epoch);
        if (epoch === 1) controller.abort();
      },
    });
    expect(aborted.stopReason).toBe('aborted');
    expect(epochs.length).toBeLessThan(5);

    const whole = make();
    await whole.fit(source, { epochs: 4 });
    const dir = freshDir();
    await make().fit(source, { epochs: 2, worker: true, checkpoint: { dir } });
    expect(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')).checkpoint.epoch).toBe(1);
    const resumed = dn.mlp([2, 8, 8, 1], { seed: 77, dropout: 0.2, batchNorm: true, optimizer: dn.adam({ learningRate: 0.02 }) });
    const h = await resumed.fit(source, { epochs: 4, worker: true, resumeFrom: dir });
    expect(h.epochs.map((e) => e.epoch)).toEqual([2, 3]);
    expect(resumed.getWeights()).toEqual(whole.getWeights());
  });
});

describe('a worker fit that rejects (issue 21, item 9)', () => {
  // Big enough that a step takes a while: the worker is mid-step when the callback throws.
  const n = 1024;
  const x = { rows: n, cols: 64, data: Float32Array.from({ length: n * 64 }, (_, i) => Math.sin(i * 0.37)) };
  const y = Array.from({ length: n }, (_, i) => i % 2);
  const make = () => dn.mlp([64, 512, 512, 1], { seed: 3, optimizer: dn.momentum({ learningRate: 0.01 }) });

  it('settles only after the worker stopped stepping the arenas, so a second fit starts from a still model', async () => {
    const model = make();
    const throwing = (b: number) => {
      if (b === 0) throw new Error('x');
    };
    await expect(model.fit(x, y, { worker: true, batchSize: 256, epochs: 5, onBatchEnd: throwing })).rejects.toThrow('x');
    expect(model.isTraining).toBe(false);
    const params = Float32Array.from(model.params);
    const step = model.compiled?.optimizer.step;
    await new Promise((r) => setTimeout(r, 400));
    expect(model.params).toEqual(params);
    expect(model.compiled?.optimizer.step).toBe(step);
    // The step count matches what the arenas went through: a second fit numbers its steps on from it.
    const seen: number[] = [];
    await model.fit(x, y, {
      worker: true,
      batchSize: 256,
      epochs: 1,
      onEpochEnd: () => void seen.push(model.compiled?.optimizer.step as number),
    });
    expect(seen).toEqual([(step as number) + 4]);
  }, 60_000);
});
