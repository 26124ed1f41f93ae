// dn.csvDataset: a CSV as a streamed, cached fit source — it learns, its epochs hold every training
// row once, the hash split is stable, the cache is reused, invalidated and rebuilt, and bad input
// is refused by name.
import { appendFile, mkdtemp, open, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as dn from '../lib/index.js';
import { Random } from '../lib/random.js';

let dir: string;
let file: string;
let sorted: string;
const ROWS = 6000;

function table(rows: number, seed: number, sortByLabel = false): string {
  const random = new Random(seed);
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    const a = random.normal();
    const b = random.normal();
    const color = ['red', 'green', 'blue'][random.below(3)] as string;
    const z = 2 * a - b + (color === 'red' ? 1.5 : -0.5) + 0.3 * random.normal();
    const label = random.below(50) === 0 ? '' : z > 0 ? 'yes' : 'no';
    lines.push(`${i},${random.below(10) === 0 ? '' : a.toFixed(4)},${b.toFixed(4)},${color},${label}`);
  }
  if (sortByLabel) lines.sort((p, q) => (p.endsWith('yes') ? 1 : 0) - (q.endsWith('yes') ? 1 : 0));
  return `id,a,b,color,label\n${lines.join('\n')}\n`;
}

async function epochRows(source: AsyncIterable<dn.SourceBatch>): Promise<{ rows: string[]; batches: dn.SourceBatch[] }> {
  const rows: string[] = [];
  const batches: dn.SourceBatch[] = [];
  for await (const batch of source) {
    batches.push(batch);
    const x = batch.x as dn.Matrix;
    for (let r = 0; r < x.rows; r++)
      rows.push(`${Array.from(x.data.subarray(r * x.cols, (r + 1) * x.cols)).join(',')}|${(batch.y as Int32Array)[r]}`);
  }
  return { rows, batches };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'densenode-csvds-'));
  file = join(dir, 'rows.csv');
  sorted = join(dir, 'sorted.csv');
  await writeFile(file, table(ROWS, 1));
  await writeFile(sorted, table(ROWS, 2, true));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('csvDataset', () => {
  it('trains a model from the file that predicts the held-out rows', async () => {
    const data = await dn.csvDataset(file, { target: 'label', validation: 0.1, test: 0.2, batchSize: 64, seed: 3 });
    expect(data.rows.train + data.rows.validation + data.rows.test + data.droppedRows).toBe(ROWS);
    expect(data.rows.test / ROWS).toBeGreaterThan(0.15);
    expect(data.rows.test / ROWS).toBeLessThan(0.25);
    expect(data.spec.columns.find((c) => c.name === 'id')?.kind).toBe('dropped');
    const model = dn.mlp([data.spec.features.length, 16, 1], { seed: 1, optimizer: dn.adam({ learningRate: 0.01 }) });
    model.preprocessing = dn.tabularPreprocessing(data.spec);
    const history = await model.fit(data.train, { epochs: 4, validationData: data.validation as dn.Pipeline<dn.SourceBatch> });
    expect(history.epochs).toHaveLength(4);
    expect(history.history.valAccuracy?.at(-1)).toBeGreaterThan(0.9);
    const test = await model.evaluateDataset(data.test as dn.Pipeline<dn.SourceBatch>);
    expect(test.accuracy).toBeGreaterThan(0.9);
    // The same spec predicts raw records as a request body carries them.
    expect(model.predictClasses([{ id: 1, a: 2, b: -1, color: 'red' }])).toEqual(['yes']);
  });

  it('gives every labelled training row once an epoch, in a new seeded order, cached or not', async () => {
    const events: dn.CsvProgress[] = [];
    const cached = await dn.csvDataset(file, {
      validation: 0.2,
      seed: 5,
      batchSize: 50,
      cache: join(dir, 'cache-p'),
      onProgress: (p) => events.push(p),
    });
    expect(events.map((e) => e.pass)).toEqual(['fit', 'cache']);
    expect(events.at(-1)).toEqual({ pass: 'cache', rows: ROWS, bytes: events[0]?.totalBytes, totalBytes: (await stat(file)).size });
    const plain = await dn.csvDataset(file, { validation: 0.2, seed: 5, batchSize: 50, cache: false });
    expect(plain.cache).toBeNull();
    expect(plain.rows).toEqual(cached.rows);
    const first = await epochRows(cached.train);
    const second = await epochRows(cached.train);
    const uncached = await epochRows(plain.train);
    expect(first.rows).toHaveLength(cached.rows.train);
    expect([...first.rows].sort()).toEqual([...second.rows].sort());
    expect([...first.rows].sort()).toEqual([...uncached.rows].sort());
    expect(first.rows).not.toEqual(second.rows);
    expect(first.batches.slice(0, -1).every((b) => (b.x as dn.Matrix).rows === 50)).toBe(true);
    // The same seed in a new process order: the same epochs.
    const again = await dn.csvDataset(file, { validation: 0.2, seed: 5, batchSize: 50 });
    expect((await epochRows(again.train)).rows).toEqual(first.rows);
    // Validation rows are the complement, in file order.
    const validation = await epochRows(cached.validation as dn.Pipeline<dn.SourceBatch>);
    expect(validation.rows).toHaveLength(cached.rows.validation);
    expect(validation.rows.filter((r) => first.rows.includes(r)).length).toBeLessThan(3); // only exact duplicates
  });

  it('mixes a file sorted by label within the first batches', async () => {
    const data = await dn.csvDataset(sorted, { batchSize: 100, seed: 1 });
    const { batches } = await epochRows(data.train);
    for (const batch of batches.slice(0, 5)) {
      const positives = (batch.y as Int32Array).reduce((s, v) => s + v, 0);
      expect(positives).toBeGreaterThan(15);
      expect(positives).toBeLessThan(85);
    }
  });

  it('reuses the cache, and rebuilds it when the file, a shard or the manifest changes', async () => {
    const copy = join(dir, 'copy.csv');
    await writeFile(copy, await readFile(file));
    const first = await dn.csvDataset(copy, { seed: 2 });
    const manifest = join(first.cache as string, 'cache.json');
    const built = (await stat(manifest)).mtimeMs;
    await dn.csvDataset(copy, { seed: 2 });
    expect((await stat(manifest)).mtimeMs).toBe(built);
    // A changed file (one more row): rebuilt, with the new row.
    await appendFile(copy, '9999,1.0,1.0,red,yes\n');
    const grown = await dn.csvDataset(copy, { seed: 2 });
    expect(grown.rows.train).toBe(first.rows.train + 1);
    // A truncated shard is found at open and rebuilt.
    const shard = (await readdir(first.cache as string)).find((f) => f.endsWith('.f32')) as string;
    await truncate(join(first.cache as string, shard), 100);
    const rebuilt = await dn.csvDataset(copy, { seed: 2 });
    expect(rebuilt.rows).toEqual(grown.rows);
    expect((await epochRows(rebuilt.train)).rows).toHaveLength(grown.rows.train);
    // A byte flipped in place (same size) fails its chunk's check when read, drops the cache, and the next open rebuilds.
    const shard2 = (await readdir(first.cache as string)).find((f) => f.endsWith('.f32')) as string;
    const handle = await open(join(first.cache as string, shard2), 'r+');
    await handle.write(Buffer.from([0x7f]), 0, 1, 40);
    await handle.close();
    const flipped = await dn.csvDataset(copy, { seed: 2 });
    await expect(epochRows(flipped.train)).rejects.toThrow(/chunk 0 changed since the cache was written/);
    const healed = await dn.csvDataset(copy, { seed: 2 });
    expect((await epochRows(healed.train)).rows).toHaveLength(grown.rows.train);
    // A manifest with the right key but any field out of shape is rebuilt, never trusted nor a raw error.
    const saved = JSON.parse(await readFile(manifest, 'utf8'));
    type Shard = { rows: number; crcs?: unknown[] };
    type Manifest = { splits?: Record<string, { rows: number; shards: Shard[] }> };
    const train = (m: Manifest) => (m.splits as NonNullable<Manifest['splits']>).train as { rows: number; shards: Shard[] };
    const validation = (m: Manifest) => (m.splits as NonNullable<Manifest['splits']>).validation as { rows: number; shards: Shard[] };
    const firstShard = (m: Manifest) => train(m).shards[0] as Shard;
    const edits: ((m: Manifest) => void)[] = [
      (m) => delete m.splits,
      (m) => delete m.splits?.test,
      (m) => (m.splits = { ...m.splits, train: null as never }),
      (m) => (train(m).shards = null as never),
      (m) => delete firstShard(m).crcs,
      (m) => (firstShard(m).crcs = ['x']),
      (m) => firstShard(m).crcs?.push(0),
      (m) => (train(m).rows = -5),
      (m) => (train(m).rows = 1e9),
      (m) => (validation(m).rows += 1),
      (m) => (validation(m).shards = train(m).shards),
    ];
    for (const edit of edits) {
      const m = structuredClone(saved);
      edit(m);
      await writeFile(manifest, JSON.stringify(m));
      const reopened = await dn.csvDataset(copy, { seed: 2 });
      expect(reopened.rows).toEqual(grown.rows);
      expect(JSON.parse(await readFile(manifest, 'utf8')).splits.train.rows).toBe(grown.rows.train);
    }
    // Another seed splits differently: another cache key, rebuilt in the same directory.
    const other = await dn.csvDataset(copy, { seed: 3, validation: 0.5 });
    expect(other.rows.validation).toBeGreaterThan(0);
  });

  it('keeps what the fitting pass found, and fits again when the file, an option or the kept file changes', async () => {
    const copy = join(dir, 'fitted.csv');
    await writeFile(copy, await readFile(file));
    const passes = async (options: dn.CsvDatasetOptions) => {
      const seen = new Set<string>();
      const data = await dn.csvDataset(copy, { ...options, onProgress: (p) => seen.add(p.pass) });
      return { data, passes: [...seen] };
    };
    const first = await passes({ seed: 2, validation: 0.1 });
    expect(first.passes).toEqual(['fit', 'cache']);
    const again = await passes({ seed: 2, validation: 0.1 });
    expect(again.passes).toEqual([]); // neither pass: the spec and the rows were kept
    expect(again.data.spec).toEqual(first.data.spec);
    expect(again.data.notices).toEqual(first.data.notices);
    expect([again.data.rows, again.data.droppedRows]).toEqual([first.data.rows, first.data.droppedRows]);
    // An option the pass reads: fitted again.
    expect((await passes({ seed: 2, validation: 0.1, ignore: ['b'] })).passes).toEqual(['fit', 'cache']);
    expect((await passes({ seed: 2, validation: 0.1 })).passes).toEqual(['fit', 'cache']);
    // A torn or edited fitted.json is a miss, never an error or a spec that was not fitted.
    const kept = join(first.data.cache as string, 'fitted.json');
    await writeFile(kept, (await readFile(kept, 'utf8')).slice(0, 200));
    expect((await passes({ seed: 2, validation: 0.1 })).passes).toEqual(['fit']);
    const saved = JSON.parse(await readFile(kept, 'utf8'));
    await writeFile(kept, JSON.stringify({ ...saved, spec: { ...saved.spec, features: ['x'] } }));
    expect((await passes({ seed: 2, validation: 0.1 })).passes).toEqual(['fit']);
    // A changed file: fitted again, with the new row.
    await appendFile(copy, '9999,1.0,1.0,red,yes\n');
    const grown = await passes({ seed: 2, validation: 0.1 });
    expect(grown.passes).toEqual(['fit', 'cache']);
    expect(grown.data.rows.train + grown.data.rows.validation).toBe(first.data.rows.train + first.data.rows.validation + 1);
  });

  it('encodes with a given spec, as a loaded model would', async () => {
    const fitted = await dn.csvDataset(file, { seed: 4, cache: join(dir, 'cache-a') });
    const reused = await dn.csvDataset(file, { spec: fitted.spec, seed: 4, cache: false });
    expect(reused.rows).toEqual(fitted.rows);
    expect(reused.notices).toEqual([]);
    const a = (await epochRows(fitted.train)).rows.sort();
    const b = (await epochRows(reused.train)).rows.sort();
    expect(b).toEqual(a);
  });

  it('resumes a mid-epoch checkpoint in a new dataset and model at the same batch, bit for bit', async () => {
    const open = () => dn.csvDataset(file, { seed: 6, batchSize: 200, cache: join(dir, 'cache-resume') });
    const makeModel = () =>
      dn.mlp([data.spec.features.length, 8, 1], { seed: 2, dropout: 0.2, optimizer: dn.adam({ learningRate: 0.01 }) });
    const data = await open();
    const whole = makeModel();
    await whole.fit(data.train, { epochs: 3 });
    const checkpoint = join(dir, 'ckpt');
    let steps = 0;
    // About 29 steps an epoch: a checkpoint every 10 steps, a stop at 45 (in epoch 1, after the one at step 40).
    await makeModel().fit((await open()).train, {
      epochs: 3,
      checkpoint: { dir: checkpoint, everySteps: 10 },
      callbacks: [{ onBatchEnd: () => (++steps >= 45 ? 'stop' : undefined) }],
    });
    const resumed = makeModel();
    await resumed.fit((await open()).train, { epochs: 3, resumeFrom: checkpoint });
    const flat = (m: dn.Model) => m.getWeights().flatMap((w) => Array.from(w));
    expect(flat(resumed)).toEqual(flat(whole));
    expect(resumed.compiled?.optimizer.step).toBe(whole.compiled?.optimizer.step);
    expect(JSON.parse(await readFile(join(checkpoint, 'model.json'), 'utf8')).checkpoint.within.step).toBeGreaterThan(0);
  });

  it('refuses bad options and bad files by name', async () => {
    await expect(dn.csvDataset(file, { batchsize: 3 } as never)).rejects.toThrow(/csvDataset: unknown option 'batchsize'.*batchSize/);
    await expect(dn.csvDataset(file, { batchSize: 0 })).rejects.toThrow(/csvDataset: .*batchSize/);
    await expect(dn.csvDataset(file, { validation: 0.6, test: 0.5 })).rejects.toThrow(RangeError);
    await expect(dn.csvDataset(file, { cache: 5 as never })).rejects.toThrow(/cache/);
    await expect(dn.csvDataset(file, { target: 'nope' })).rejects.toThrow(/no target column 'nope'/);
    await expect(dn.csvDataset(join(dir, 'missing.csv'))).rejects.toThrow(/missing\.csv: no such file/);
    await expect(dn.csvDataset(42 as never)).rejects.toThrow(TypeError);
    const empty = join(dir, 'empty.csv');
    await writeFile(empty, 'a,label\n');
    await expect(dn.csvDataset(empty)).rejects.toThrow(/a header but no data rows/);
    const bad = join(dir, 'bad.csv');
    await writeFile(bad, `a,label\n${Array.from({ length: 50 }, (_, i) => `${i % 7},${i % 2}`).join('\n')}\n1e999,1\n`);
    await expect(dn.csvDataset(bad, { cache: false })).rejects.toThrow(/Infinity/);
    const good = join(dir, 'good.csv');
    await writeFile(good, `a,label\n${Array.from({ length: 50 }, (_, i) => `${i % 7},${i % 2}`).join('\n')}\n`);
    const { spec } = await dn.csvDataset(good, { cache: false });
    await expect(dn.csvDataset(bad, { spec, cache: false }).then((d) => epochRows(d.train))).rejects.toThrow(
      /bad\.csv: line 52, column 'a': .*float32/,
    );
    const fitted = await dn.csvDataset(file, { cache: false });
    await expect(dn.csvDataset(good, { spec: fitted.spec })).rejects.toThrow(/the spec reads the column 'a'|lacks/);
  });
});

describe('csvDataset batches given back by fit', () => {
  const model = () => dn.mlp([7, 8, 1], { seed: 4, optimizer: dn.adam({ learningRate: 0.01 }) });

  it('train the same weights as batches fit cannot give back, and a batch kept elsewhere is emptied, never overwritten', async () => {
    const data = await dn.csvDataset(file, { target: 'label', batchSize: 32, seed: 5, cache: join(dir, 'given-back') });
    expect(data.spec.features.length).toBe(7);
    const reused = model();
    await reused.fit(data.train, { epochs: 2 });
    // Copies of the batches (fit cannot give those back): the same rows, so the same weights.
    const fresh = model();
    await fresh.fit(
      data.train.map((b) => ({ x: { ...(b.x as dn.Matrix), data: (b.x as dn.Matrix).data.slice() }, y: b.y })),
      { epochs: 2 },
    );
    expect(reused.getWeights()).toEqual(fresh.getWeights());
    // A source that keeps each batch it hands fit: once fit is done with one, its array is detached.
    const kept: { batch: dn.SourceBatch; copy: Float32Array }[] = [];
    await model().fit(
      async function* () {
        for await (const batch of data.train) {
          kept.push({ batch, copy: (batch.x as dn.Matrix).data.slice() });
          yield batch;
        }
      },
      { epochs: 1 },
    );
    const whole = kept.slice(0, -1); // the short last batch is a copy of its own
    expect(whole.length).toBeGreaterThan(10);
    for (const { batch } of whole) expect((batch.x as dn.Matrix).data.length).toBe(0);
    const last = kept.at(-1) as (typeof kept)[number];
    expect((last.batch.x as dn.Matrix).data).toEqual(last.copy);
    // Read without fit, every batch keeps its rows.
    const { batches } = await epochRows(data.train);
    for (const b of batches) expect((b.x as dn.Matrix).data.length).toBe((b.x as dn.Matrix).rows * 7);
  });
});
