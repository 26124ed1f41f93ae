// dn.dataset pipelines: each operation against the plain array answer, the seeded shuffle (a
// permutation, different per epoch, the same per run, bounded by its buffer), prefetch order and
// errors, and fit over records encoded by a tabular spec.
import { describe, expect, it } from 'vitest';
import * as dn from '../lib/index.js';

const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
};
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('dn.dataset', () => {
  it('map, batch, take and skip give what the array operations give, on every iteration', async () => {
    const ds = dn
      .dataset(() => range(23))
      .skip(2)
      .map(async (v) => v * 10)
      .take(17)
      .batch(5);
    const want = [range(5), range(5), range(5), range(2)].map((g, k) => g.map((j) => (2 + 5 * k + j) * 10));
    expect(await collect(ds)).toEqual(want);
    expect(await collect(ds)).toEqual(want);
    expect(() => dn.dataset([1]).batch(0)).toThrow('batch: expected an integer >= 1 for size, received 0');
  });

  it('forEpoch(n) gives epoch n as the n-th iteration does, in a fresh pipeline too (a resumed run)', async () => {
    const make = () =>
      dn
        .dataset((epoch) => range(40).map((i) => i * 100 + epoch))
        .shuffle(8, 3)
        .map((v) => v + 1)
        .batch(5);
    const ds = make();
    const epochs = [await collect(ds), await collect(ds), await collect(ds)];
    expect(epochs[2]).not.toEqual(epochs[1]);
    expect(await collect(make().forEpoch(2))).toEqual(epochs[2]);
    expect(await collect(make().forEpoch(0))).toEqual(epochs[0]);
    expect(() => make().forEpoch(-1)).toThrow(RangeError);
  });

  it('shuffle is a seeded permutation, new each epoch, the same each run, within its buffer', async () => {
    const ds = dn.dataset(() => range(100)).shuffle(10, 7);
    const first = await collect(ds);
    const second = await collect(ds);
    expect([...first].sort((a, b) => a - b)).toEqual(range(100));
    expect(second).not.toEqual(first);
    expect(await collect(dn.dataset(() => range(100)).shuffle(10, 7))).toEqual(first);
    // An item leaves at most bufferSize − 1 places early: the buffer is the only memory.
    first.forEach((v, i) => {
      expect(v).toBeLessThanOrEqual(i + 10);
    });
  });

  it('prefetch keeps the order, closes the source when stopped early, and passes errors on', async () => {
    let closed = false;
    const source = async function* () {
      try {
        for (let i = 0; i < 50; i++) yield i;
      } finally {
        closed = true;
      }
    };
    expect(await collect(dn.dataset(source).prefetch(4))).toEqual(range(50));
    closed = false;
    for await (const v of dn.dataset(source).prefetch(3)) if (v === 5) break;
    expect(closed).toBe(true);
    const failing = async function* () {
      yield 1;
      throw new Error('stream reset');
    };
    await expect(collect(dn.dataset(failing).prefetch(2))).rejects.toThrow('stream reset');
  });

  it('fit trains on records through recordBatches, and refuses a one-shot generator object', async () => {
    const records = range(300).map((i) => ({
      size: Math.sin(i) * 3,
      colour: i % 3 === 0 ? 'red' : 'blue',
      label: Math.sin(i) * 3 + (i % 3 === 0 ? 1 : -1) > 0 ? 'yes' : 'no',
    }));
    // The spec is fitted on a sample; the full stream is encoded batch by batch with it.
    const { spec } = dn.tabular(records.slice(0, 100), { target: 'label' });
    const rows = dn.dataset(() => records).shuffle(64, 1);
    const model = dn.mlp([dn.tabularPreprocessing(spec).features?.length ?? 0, 8, 1], {
      seed: 2,
      optimizer: dn.adam({ learningRate: 0.03 }),
    });
    model.preprocessing = dn.tabularPreprocessing(spec);
    const history = await model.fit(dn.recordBatches(rows, spec, 32).prefetch(2), { epochs: 10 });
    expect(history.epochs[9]?.accuracy).toBeGreaterThan(0.9);
    expect(model.evaluate(records).accuracy).toBeGreaterThan(0.9);
    const once = (async function* () {
      yield { x: [[1, 2]], y: [1] };
    })();
    await expect(dn.mlp([2, 1]).fit(once)).rejects.toThrow('fit: expected a function returning the generator');
  });
});

describe('dn.recordBatches', () => {
  const records = range(40).map((i) => ({ x: i % 7, y: 'ab'[i % 2] as string }));
  const { spec } = dn.tabular(records, { target: 'y' });

  it('takes an array, a function, a re-iterable or a pipeline, each read afresh every epoch', async () => {
    const want = await collect(dn.recordBatches(dn.dataset(records), spec, 8));
    expect(want).toHaveLength(5);
    const sources = [
      records,
      () => records,
      new Set(records),
      { [Symbol.asyncIterator]: () => dn.dataset(records)[Symbol.asyncIterator]() },
    ];
    for (const source of sources) {
      const batches = dn.recordBatches(source, spec, 8);
      expect(await collect(batches)).toEqual(want);
      expect(await collect(batches)).toEqual(want);
    }
  });

  it('refuses bad arguments by name, and names the batch and record of a bad record', async () => {
    const generator = (function* () {
      yield* records;
    })();
    const cases: [() => unknown, RegExp][] = [
      [() => dn.recordBatches(null as never, spec), /recordBatches: expected an array of records, .* for records, received null/],
      [() => dn.recordBatches(generator, spec), /recordBatches: expected a function returning the generator .* for records/],
      [() => dn.recordBatches(records, null as never), /recordBatches: expected a tabular spec .* for spec, received null/],
      [() => dn.recordBatches(records, {} as never), /recordBatches: expected an integer in \[1, 1000\] at spec\.version/],
      [() => dn.recordBatches(records, { ...spec, target: null }), /recordBatches: the spec has no target/],
      [() => dn.recordBatches(records, spec, 0), /recordBatches: expected an integer >= 1 for batchSize, received 0/],
    ];
    for (const [call, message] of cases) expect(call).toThrow(message);
    expect(() => dn.recordBatches(records, { ...spec, features: [] })).toThrow(TypeError);
    const holed = records.map((r, i) => (i === 13 ? null : r)) as never[];
    await expect(collect(dn.recordBatches(holed, spec, 8))).rejects.toThrow(
      'recordBatches: batch 1, record 5 is null, expected an object keyed by column name',
    );
    expect(() => dn.encodeTable(null as never, records)).toThrow(/encode: expected a tabular spec .* for spec, received null/);
  });
});

describe('dn.tabularStream', () => {
  const record = (i: number) => ({
    income: Math.exp(1 + (Math.sin(i * 12.9898) + 1) * 2),
    city: ['paris', 'lyon', 'nice', 'lille'][i % 4] as string,
    joined: i % 50 === 0 ? null : `20${10 + (i % 10)}-0${1 + (i % 9)}-1${i % 10}`,
    label: Math.sin(i * 12.9898) + (i % 4 === 0 ? 0.5 : 0) > 0 ? 'yes' : 'no',
  });

  it('equals dn.tabular on the whole stream when the sample holds it all', async () => {
    const records = range(500).map(record);
    const sampled = await dn.tabularStream(
      dn.dataset(() => records),
      { target: 'label', sampleSize: 1000 },
    );
    expect(sampled).toMatchObject({ rows: 500, droppedRows: 0, sampled: 500 });
    expect(sampled.spec).toEqual(dn.tabular(records, { target: 'label' }).spec);
  });

  it('fits a spec in one pass over a long stream, exact but for the sampled medians, that trains', async () => {
    const stream = dn.dataset(function* () {
      for (let i = 0; i < 20_000; i++) yield record(i);
    });
    const { spec, rows, sampled } = await dn.tabularStream(stream, { target: 'label', sampleSize: 2000, seed: 3 });
    expect([rows, sampled]).toEqual([20_000, 2000]);
    const exact = dn.tabular(range(20_000).map(record), { target: 'label' }).spec;
    const median = (s: typeof spec) => (s.columns.find((c) => c.name === 'income') as { median: number }).median;
    expect(Math.abs(median(spec) - median(exact)) / median(exact)).toBeLessThan(0.1);
    expect(spec.columns.map((c) => c.kind)).toEqual(exact.columns.map((c) => c.kind));
    const income = (s: typeof spec) => s.columns.find((c) => c.name === 'income') as dn.NumericColumn;
    expect(income(spec).std).toBeCloseTo(income(exact).std, 9);
    const model = dn.mlp([dn.tabularPreprocessing(spec).features?.length ?? 0, 8, 1], {
      seed: 1,
      optimizer: dn.adam({ learningRate: 0.02 }),
    });
    model.preprocessing = dn.tabularPreprocessing(spec);
    await model.fit(dn.recordBatches(stream.take(6000).shuffle(500, 2), spec, 64), { epochs: 3 });
    expect(model.evaluate(range(1000).map((i) => record(20_000 + i))).accuracy).toBeGreaterThan(0.85);
    await expect(dn.tabularStream([], {})).rejects.toThrow('no records to fit on');
  });
});
