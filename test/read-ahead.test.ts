// The next batch gathered beside a step (gatherRowsAhead / gatherRowsSettle): the rows it leaves
// are gatherRows's, on both backends, however calls interleave; fit settles every read-ahead before
// it returns or runs user code, and its weights stay bitwise those of one thread, where nothing
// runs beside the step.
import { afterEach, describe, expect, it } from 'vitest';
import type { Backend } from '../lib/backend/backend.js';
import * as dn from '../lib/index.js';
import { Model } from '../lib/model.js';
import { Random } from '../lib/random.js';
import { READ_AHEAD_FLOATS } from '../lib/train-plans.js';
import { js, native } from './helpers/backends.js';
import { randomFloats } from './helpers/reference.js';

const pool = (rows: number, cols: number) => randomFloats(rows * cols, rows + cols);
const picks = (count: number, rows: number, seed: number) => {
  const r = new Random(seed);
  return Uint32Array.from({ length: count }, () => r.below(rows));
};
const gathered = (b: Backend, count: number, cols: number, rows: number, src: Float32Array, indices: Uint32Array) => {
  const dst = new Float32Array(count * cols);
  b.gatherRows(count, cols, rows, src, indices, dst);
  return dst;
};

const sameBits = (a: Float32Array, b: Float32Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

const threads = native.info().threads;
afterEach(() => native.setThreads(threads));

describe.each([
  ['native', native],
  ['js', js],
])('gatherRowsAhead on the %s backend', (_name, b) => {
  it('leaves gatherRows’s rows once settled, with kernels run meanwhile on the same pool', () => {
    b.setThreads(2);
    const [rows, cols] = [3000, 784];
    const src = pool(rows, cols);
    const x = randomFloats(200_000, 1);
    const y = new Float32Array(x.length);
    let background = 0;
    for (let round = 0; round < 40; round++) {
      const count = [128, 1, 7, 100][round % 4] as number;
      const indices = picks(count, rows, round);
      const dst = new Float32Array(count * cols + 1).fill(-3);
      // A parallel kernel just before keeps the worker spinning, so the copy can go beside.
      b.axpy(x.length, 0.5, x, y);
      background += Number(b.gatherRowsAhead(count, cols, rows, src, indices, dst));
      // Kernels on other arrays while the copy may run: the pool's jobs come first.
      b.axpy(x.length, 0.25, x, y);
      expect(b.findNonFinite(y.length, y)).toBe(-1);
      b.gatherRowsSettle();
      expect(sameBits(dst.subarray(0, count * cols), gathered(b, count, cols, rows, src, indices)), `round ${round}`).toBe(true);
      expect(dst[count * cols]).toBe(-3);
    }
    if (b === js) expect(background).toBe(0);
    // The native pool's worker spins after each axpy, so some copies went beside the caller.
    else expect(background).toBeGreaterThan(0);
  });

  it('settles the pending copy when the next one starts, and settles idempotently', () => {
    const [rows, cols] = [500, 33];
    const src = pool(rows, cols);
    const a = new Float32Array(64 * cols);
    const c = new Float32Array(64 * cols);
    const ia = picks(64, rows, 1);
    const ic = picks(64, rows, 2);
    b.gatherRowsAhead(64, cols, rows, src, ia, a);
    b.gatherRowsAhead(64, cols, rows, src, ic, c); // a is complete from here on
    expect(a).toEqual(gathered(b, 64, cols, rows, src, ia));
    b.gatherRowsSettle();
    b.gatherRowsSettle();
    expect(c).toEqual(gathered(b, 64, cols, rows, src, ic));
    b.gatherRowsSettle(); // nothing pending
  });

  it('completes a pending copy across a resize of the pool', () => {
    const [rows, cols] = [2000, 784];
    const src = pool(rows, cols);
    const x = randomFloats(200_000, 2);
    for (const threads of [1, 3, 2]) {
      b.setThreads(2);
      const indices = picks(128, rows, threads);
      const dst = new Float32Array(128 * cols);
      b.axpy(x.length, 0.5, x, x.slice());
      b.gatherRowsAhead(128, cols, rows, src, indices, dst);
      b.setThreads(threads);
      b.gatherRowsSettle();
      expect(sameBits(dst, gathered(b, 128, cols, rows, src, indices)), `resized to ${threads}`).toBe(true);
    }
  });

  it('checks every index before it copies a row, naming gatherRowsAhead', () => {
    const src = pool(4, 3);
    const dst = new Float32Array(9).fill(5);
    expect(() => b.gatherRowsAhead(3, 3, 4, src, Uint32Array.from([0, 1, 4]), dst)).toThrow(
      new RangeError('gatherRowsAhead: expected indices below 4 (the rows of src) for indices, received 4 at position 2'),
    );
    expect(dst).toEqual(new Float32Array(9).fill(5));
    b.gatherRowsSettle();
    expect(b.gatherRowsAhead(0, 3, 4, src, new Uint32Array(0), new Float32Array(0))).toBe(false);
    expect(b.gatherRowsAhead(2, 0, 4, new Float32Array(0), Uint32Array.from([3, 1]), new Float32Array(0))).toBe(false);
  });
});

// A caller of the public kernels may detach an ArrayBuffer while a background gather writes it
// (a transfer frees the memory once the new owner is collected: a segfault). Only views of
// SharedArrayBuffers, which no transfer can detach, go to the background.
describe('the public kernels.gatherRowsAhead', () => {
  const [rows, cols, count] = [2048, 784, 512];
  const indices = picks(count, rows, 4);
  const shared = (a: Float32Array) => {
    const view = new Float32Array(new SharedArrayBuffer(a.byteLength));
    view.set(a);
    return view;
  };
  const busyPool = () => {
    dn.setThreads(2);
    const a = randomFloats(256 * 256, 2);
    dn.kernels.gemm(false, false, 256, 256, 256, 1, a, 256, a, 256, 0, new Float32Array(256 * 256), 256);
  };

  it('gathers ArrayBuffer-backed arrays at once (false): dst holds the rows before any settle', () => {
    const src = pool(rows, cols);
    const want = gathered(js, count, cols, rows, src, indices);
    for (let round = 0; round < 5; round++) {
      busyPool();
      const dst = new Float32Array(count * cols);
      expect(dn.kernels.gatherRowsAhead(count, cols, rows, src, indices, dst)).toBe(false);
      expect(sameBits(dst, want)).toBe(true);
      structuredClone(dst.buffer, { transfer: [dst.buffer] }); // detached: nothing pending writes it
      dn.kernels.gatherRowsSettle();
    }
    const sharedDst = new Float32Array(new SharedArrayBuffer(count * cols * 4));
    expect(dn.kernels.gatherRowsAhead(count, cols, rows, src, indices, sharedDst)).toBe(false); // src detachable
    expect(sameBits(sharedDst, want)).toBe(true);
  });

  it('runs over SharedArrayBuffers beside the caller, and settles to gatherRows’s rows', () => {
    const src = shared(pool(rows, cols));
    const want = gathered(js, count, cols, rows, src, indices);
    let background = 0;
    for (let round = 0; round < 5; round++) {
      busyPool();
      const dst = new Float32Array(new SharedArrayBuffer(count * cols * 4));
      if (dn.kernels.gatherRowsAhead(count, cols, rows, src, indices, dst)) background++;
      expect(() => structuredClone(dst.buffer, { transfer: [dst.buffer as unknown as ArrayBuffer] })).toThrow();
      dn.kernels.gatherRowsSettle();
      expect(sameBits(dst, want)).toBe(true);
    }
    if (dn.backendInfo().name === 'js') expect(background).toBe(0);
  });
});

describe('fit reads the next batch ahead', () => {
  const rows = 1200;
  // 64 rows of 300 columns a batch: over READ_AHEAD_FLOATS, so each step reads the next ahead.
  const cols = 300;
  const x = dn.matrix(rows, cols, randomFloats(rows * cols, 7));
  const labels = Int32Array.from({ length: rows }, (_, i) => ((x.data[i * cols] as number) > 0 ? 1 : 0));
  const config = {
    inputs: cols,
    seed: 3,
    layers: [dn.dense(64), dn.batchNorm(), dn.relu(), dn.dropout(0.2), dn.dense(32), dn.relu(), dn.dense(1), dn.sigmoid()],
  };

  // The backend with its read-ahead calls logged in order.
  const spied = (b: Backend) => {
    const log: string[] = [];
    const backend: Backend = {
      ...b,
      gatherRowsAhead: (...args) => {
        log.push('ahead');
        return b.gatherRowsAhead(...args);
      },
      gatherRowsSettle: () => {
        log.push('settle');
        b.gatherRowsSettle();
      },
    };
    return { backend, log };
  };

  const train = async (backend: Backend, threads: number, loss: dn.CompileOptions['loss'] = 'binaryCrossEntropy', lr = 0.01) => {
    backend.setThreads(threads);
    const model = new Model(config, { backend, alloc: (n) => new Float32Array(n) });
    model.compile({ loss, optimizer: dn.adam({ learningRate: lr }), l2: 1e-3 });
    const history = await model.fit(x, labels, { epochs: 2, batchSize: 64 });
    return { model, history };
  };

  it('gives the bits of one thread on two, and settles each read-ahead within its step', async () => {
    const { backend, log } = spied(native);
    const two = await train(backend, 2);
    const one = await train(native, 1);
    expect(two.model.params).toEqual(one.model.params);
    expect(two.model.state).toEqual(one.model.state);
    // 19 steps an epoch: every step but the last reads the next one ahead and settles it (the
    // plan settles again as it hands the batch over).
    expect(log).toEqual(Array.from({ length: 2 * 18 }, () => ['ahead', 'settle', 'settle']).flat());
  });

  it('reads nothing ahead for a custom loss (user code inside the step)', async () => {
    const { backend, log } = spied(js);
    const bce = (yTrue: dn.Matrix, yPred: dn.Matrix) => {
      const losses = Array.from(yPred.data, (p, i) => {
        const t = yTrue.data[i] as number;
        const q = Math.min(Math.max(p, 1e-7), 1 - 1e-7);
        return -(t * Math.log(q) + (1 - t) * Math.log(1 - q));
      });
      const gradient = Array.from(yPred.data, (p, i) => (p - (yTrue.data[i] as number)) / Math.max(p * (1 - p), 1e-7) / yPred.rows);
      return { losses, gradient };
    };
    await train(backend, 1, bce);
    expect(log.filter((e) => e === 'ahead')).toEqual([]);
  });

  it('reads nothing ahead for batches under READ_AHEAD_FLOATS', async () => {
    const { backend, log } = spied(native);
    backend.setThreads(2);
    const model = new Model(
      { inputs: cols, seed: 1, layers: [dn.dense(4), dn.relu(), dn.dense(1), dn.sigmoid()] },
      { backend, alloc: (n) => new Float32Array(n) },
    );
    model.compile({ loss: 'binaryCrossEntropy' });
    const batchSize = Math.floor((READ_AHEAD_FLOATS - 1) / cols);
    await model.fit(x, labels, { epochs: 1, batchSize });
    expect(log).toEqual([]);
    await model.fit(x, labels, { epochs: 1, batchSize: batchSize + 1 });
    expect(log.filter((e) => e === 'ahead').length).toBe(Math.ceil(rows / (batchSize + 1)) - 1);
  });

  it('settles the read-ahead of a step that diverges', async () => {
    // Inputs scaled by 1e3 and SGD at 10 on a linear output: the loss overflows within a few steps.
    const { backend, log } = spied(native);
    backend.setThreads(2);
    const wild = dn.matrix(
      rows,
      cols,
      x.data.map((v) => v * 1e3),
    );
    const model = new Model(
      { inputs: cols, seed: 2, layers: [dn.dense(8), dn.relu(), dn.dense(1), dn.linear()] },
      { backend, alloc: (n) => new Float32Array(n) },
    );
    model.compile({ loss: 'meanSquaredError', optimizer: dn.sgd({ learningRate: 10 }) });
    await expect(model.fit(wild, Float32Array.from(labels), { epochs: 5, batchSize: 64 })).rejects.toThrow(/diverged/);
    expect(log.length).toBeGreaterThan(0);
    expect(log.at(-1)).toBe('settle');
    log.forEach((entry, i) => {
      if (entry === 'ahead') expect(log[i + 1]).toBe('settle');
    });
  });
});
