// ONNX export of a model with a column spec: onnxruntime-node runs the graph on
// the raw columns (NaN numbers, empty and NA-token categories, unseen levels,
// day counts) and must compute what model.predict(records) computes: the
// encoding itself through an identity model, then trained classifiers and a
// regression in the target's units.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { naLookup } from '../lib/data/cells.js';
import { inputColumns } from '../lib/data/spec.js';
import * as dn from '../lib/index.js';
import { onnxModelType } from '../lib/io/onnx.js';
import { categoryKeys } from '../lib/io/onnx-tabular.js';
import { expectWithin } from './helpers/compare.js';
import { scratchDir } from './helpers/interop.js';

const root = scratchDir('onnx-tabular');
let fileCount = 0;
const freshFile = () => join(root, `m${fileCount++}.onnx`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const DAY_MS = 86_400_000;
const CITIES = ['Paris', 'Lyon', 'Nice'];

/** A deterministic uniform [0, 1) stream. */
function uniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Training records: missing numbers, a skewed column (log), rare and missing levels, integer codes, booleans, dates, an ID. */
function trainingRecords(rows: number, seed: number): Record<string, dn.Cell>[] {
  const u = uniform(seed);
  return Array.from({ length: rows }, (_, i) => {
    const age = 20 + 50 * u();
    const income = Math.round(1000 * Math.exp(2 * u() * u() * 3));
    const city = i === 7 ? 'Brest' : u() < 0.1 ? (['', null, 'N/A'] as const)[i % 3] : (CITIES[Math.floor(u() * 3)] as string);
    const code = 1 + Math.floor(u() * 3);
    const day = Math.floor(15000 + 4000 * u());
    const joined = u() < 0.08 ? 'NA' : i % 5 === 0 ? new Date(day * DAY_MS + 43_200_000).toISOString() : isoDay(day);
    const score = age / 10 - (city === 'Paris' ? 2 : 0) + code + Math.log(income) / 3 + (day % 7) / 3;
    return {
      id: i + 1,
      age: u() < 0.15 ? (i % 2 === 0 ? '' : null) : Number(age.toFixed(2)),
      income,
      'size (m/s)': (u() * 4).toFixed(3),
      city,
      code,
      member: u() < 0.5,
      joined,
      cabin: u() < 0.7 ? '' : `C${i}`,
      yes: score > 9 ? 'yes' : 'no',
      kind: (['a', 'b', 'c'] as const)[Math.floor(score) % 3] as string,
      value: Number(score.toFixed(3)),
    };
  });
}

const isoDay = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** Records to predict: training rows plus unseen levels, NaN, NA tokens in other cases, an outlier, spellings. */
function scoringRecords(train: Record<string, dn.Cell>[]): Record<string, dn.Cell>[] {
  return [
    // Without their targets: records that carry one are dropped where it is missing.
    ...train.slice(0, 25).map(({ yes, kind, value, ...features }) => features),
    {
      age: Number.NaN,
      income: 0,
      'size (m/s)': '1.5',
      city: 'Marseille',
      code: '2.0',
      member: 'TRUE',
      joined: '1969-12-31',
      cabin: 'C999',
    },
    { age: 500, income: null, 'size (m/s)': 'NA', city: 'na', code: 3, member: 'False', joined: '2000-02-29T23:59:59Z', cabin: 'NULL' },
    { age: 'NULL', income: 12_345_678, 'size (m/s)': -3, city: 'none', code: 7, member: false, joined: null },
    { age: 33, income: 50, 'size (m/s)': 2, city: 'Lyon', code: '1', member: true, joined: '2024-12-31' },
    { age: -10, income: 'n/a', 'size (m/s)': 'nan', city: 'Brest', code: '', member: null, joined: '1900-03-01' },
  ];
}

/** What a client does before feeding the graph: parse numbers and dates, give categories as trimmed text. */
function feeds(spec: dn.TabularSpec, records: readonly Record<string, dn.Cell>[]): Record<string, ort.Tensor> {
  const na = naLookup(spec.na);
  const missing = (cell: dn.Cell) => cell === null || cell === undefined || (typeof cell === 'string' && na.has(cell.trim().toLowerCase()));
  const out: Record<string, ort.Tensor> = {};
  for (const c of inputColumns(spec)) {
    const cells = records.map((r) => r[c.name]);
    const dims = [records.length, 1];
    if (c.kind === 'numeric')
      out[c.name] = new ort.Tensor(
        'float32',
        Float32Array.from(cells, (v) => (missing(v) ? Number.NaN : Number(v))),
        dims,
      );
    else if (c.kind === 'categorical')
      out[c.name] = new ort.Tensor(
        'string',
        cells.map((v) => (v === null || v === undefined ? '' : String(v).trim())),
        dims,
      );
    else {
      const days = (v: dn.Cell) => (missing(v) ? Number.NaN : v instanceof Date ? v.getTime() / DAY_MS : Date.parse(String(v)) / DAY_MS);
      out[c.name] = new ort.Tensor('float64', Float64Array.from(cells, days), dims);
    }
  }
  return out;
}

async function runGraph(file: string, spec: dn.TabularSpec, records: readonly Record<string, dn.Cell>[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(file);
  try {
    const { output } = await session.run(feeds(spec, records));
    return (output as ort.Tensor).data as Float32Array;
  } finally {
    await session.release();
  }
}

/** A model whose output is its input: the graph's output is then the encoding itself. */
function identityModel(spec: dn.TabularSpec): dn.Model {
  const width = spec.features.length;
  const model = dn.sequential({ inputs: width, layers: [dn.dense(width), dn.linear()] });
  const kernel = new Float32Array(width * width);
  for (let i = 0; i < width; i++) kernel[i * width + i] = 1;
  model.setWeights([kernel, new Float32Array(width)]);
  model.preprocessing = dn.tabularPreprocessing(spec);
  return model;
}

const train = trainingRecords(240, 7);
const features = (target: string) => train.map(({ yes, kind, value, ...rest }) => ({ ...rest, [target]: { yes, kind, value }[target] }));

interface Decoded {
  opset_import: { domain?: string; version: number }[];
  metadata_props: { key: string; value: string }[];
  graph: { node: { op_type: string; domain?: string }[]; input: { name: string; doc_string?: string }[] };
}
const decode = (file: string): Decoded =>
  onnxModelType().toObject(onnxModelType().decode(readFileSync(file)), { longs: Number, defaults: false }) as Decoded;

describe('exportOnnx with a column spec: the graph encodes raw columns as the spec does', () => {
  const data = dn.tabular(features('yes'), { target: 'yes', categorical: ['code'] });
  const spec = data.spec;

  it('the spec under test has every kind of column and field', () => {
    const kinds = spec.columns.map((c) => `${c.name}:${c.kind}`);
    expect(kinds).toEqual([
      'id:dropped',
      'age:numeric',
      'income:numeric',
      'size (m/s):numeric',
      'city:categorical',
      'code:categorical',
      'member:categorical',
      'joined:date',
      'cabin:categorical',
    ]);
    const [, age, income] = spec.columns as dn.NumericColumn[];
    expect(age?.indicator).toBe(true);
    expect(income?.log).toBe(true);
    const city = spec.columns[4] as dn.CategoricalColumn;
    expect([...city.levels].sort()).toEqual(['Lyon', 'Nice', 'Paris']); // Brest is rare: (other)
    expect(city.missing).toBe(true);
    expect(spec.columns[8]).toMatchObject({ levels: [], missing: true }); // present or missing only
  });

  it('an identity model outputs exactly the encoded features (1e-6), on raw records', async () => {
    const records = scoringRecords(train);
    const file = freshFile();
    await identityModel(spec).exportOnnx(file);
    expectWithin(await runGraph(file, spec, records), dn.encodeTable(spec, records).x.data, 1e-6, 'features');
    expectWithin(await runGraph(file, spec, records.slice(-1)), dn.encodeTable(spec, records.slice(-1)).x.data, 1e-6, 'batch 1');
  });

  it('dates across centuries, leap days, year ends, times of day and before 1970', async () => {
    const u = uniform(3);
    const cells: dn.Cell[] = Array.from({ length: 400 }, (_, i) => {
      const day = Math.floor(-150_000 + 300_000 * u()); // about 1559 to 2381
      if (i % 4 === 0) return new Date((day + u()) * DAY_MS);
      return isoDay(day);
    });
    for (const s of [
      '1600-02-29',
      '1700-03-01',
      '1900-02-28',
      '1900-03-01',
      '2000-02-29',
      '2000-12-31',
      '2004-12-31',
      '2100-01-01',
      '1969-12-31',
      '1970-01-01',
    ])
      cells.push(s);
    const dateSpec = dn.tabular(
      cells.map((d, i) => ({ d, n: i })),
      { dates: ['d'], numeric: ['n'] },
    ).spec;
    const records = [...cells.map((d) => ({ d, n: 0 })), { d: null, n: 1 }];
    const file = freshFile();
    await identityModel(dateSpec).exportOnnx(file);
    expectWithin(await runGraph(file, dateSpec, records), dn.encodeTable(dateSpec, records).x.data, 1e-6, 'dates');
  });

  it('the file: one typed input per column, ONNX-ML opset, the spec and inputs in metadata_props', async () => {
    const file = freshFile();
    const model = identityModel(spec);
    await model.exportOnnx(file);
    const session = await ort.InferenceSession.create(file);
    const columns = ['age', 'income', 'size (m/s)', 'city', 'code', 'member', 'joined', 'cabin'];
    expect(session.inputNames).toEqual(columns);
    expect(session.outputNames).toEqual(['output']);
    const types = session.inputMetadata.map((m) => (m as { type: string }).type);
    expect(types).toEqual(['float32', 'float32', 'float32', 'string', 'string', 'string', 'float64', 'string']);
    expect(session.inputMetadata[0]).toMatchObject({ shape: ['N', 1] });
    await session.release();
    const m = decode(file);
    expect(m.opset_import).toEqual([{ version: 13 }, { domain: 'ai.onnx.ml', version: 2 }]);
    expect(m.graph.node.filter((n) => n.domain === 'ai.onnx.ml').map((n) => n.op_type)).toEqual(Array(4).fill('LabelEncoder'));
    expect(m.graph.input[6]?.doc_string).toMatch(/days since 1970-01-01/);
    const props = Object.fromEntries(m.metadata_props.map((p) => [p.key, JSON.parse(p.value)]));
    expect(Object.keys(props).sort()).toEqual(['classes', 'features', 'inputs', 'preprocessing', 'target']);
    expect(props.preprocessing).toEqual(spec);
    const fixed = freshFile();
    await model.exportOnnx(fixed, { batch: 3 });
    const three = await ort.InferenceSession.create(fixed);
    expect(three.inputMetadata.map((i) => (i as { shape: readonly unknown[] }).shape)).toEqual(columns.map(() => [3, 1]));
    await three.release();
    expect(props.features).toEqual(spec.features);
    expect(props.inputs[3]).toEqual({ name: 'city', kind: 'categorical', dtype: 'string', doc: expect.stringMatching(/^string \[N, 1\]/) });
  });

  it('category spellings: NA tokens in their usual cases, integer codes with .0, booleans in any listed case', () => {
    const city = { name: 'c', kind: 'categorical', levels: ['Paris', '3', 'true'], missing: true } as const;
    const { keys, values, other } = categoryKeys({ ...city, levels: [...city.levels] }, ['', 'NA', 'null']);
    const table = Object.fromEntries(keys.map((k, i) => [k, values[i]]));
    expect(other).toBe(3);
    expect(table).toMatchObject({
      Paris: 0,
      '3': 1,
      '3.0': 1,
      true: 2,
      True: 2,
      TRUE: 2,
      '': 4,
      NA: 4,
      na: 4,
      Na: 4,
      null: 4,
      NULL: 4,
      Null: 4,
    });
    expect(table.paris).toBeUndefined(); // levels are case-sensitive
    const noMissing = categoryKeys({ ...city, levels: [], missing: false }, ['NA']);
    expect(noMissing).toEqual({ keys: [''], values: [0], other: 0 });
    // yes/no merge in any case now; a spec saved before kept 'Yes' as written, which still matches.
    const old = Object.fromEntries(
      ((t) => t.keys.map((k, i) => [k, t.values[i]]))(categoryKeys({ ...city, levels: ['Yes', 'no'], missing: false }, [])),
    );
    expect(old).toMatchObject({ Yes: 0, no: 1, No: 1, NO: 1 });
  });

  it('a column whose name an internal tensor would take moves the internal names behind a prefix', async () => {
    const rows = train.map((r) => ({ features: r.age, layer0: r.city, output2: r.income, yes: r.yes }));
    const clash = dn.tabular(rows, { target: 'yes' }).spec;
    const file = freshFile();
    await identityModel(clash).exportOnnx(file);
    expectWithin(await runGraph(file, clash, rows), dn.encodeTable(clash, rows).x.data, 1e-6, 'renamed');
  });
});

describe('exportOnnx with a column spec: trained models predict as model.predict(records)', () => {
  const cases = [
    { target: 'yes', output: 'sigmoid' as const },
    { target: 'kind', output: 'softmax' as const },
    { target: 'value', output: 'linear' as const },
  ];
  for (const { target, output } of cases) {
    it(`${target} (${output} output) within 1e-5`, async () => {
      const data = dn.tabular(features(target), { target, categorical: ['code'] });
      const outputs = output === 'softmax' ? 3 : 1;
      const model = dn.mlp([data.spec.features.length, 12, outputs], { output, batchNorm: true, seed: 4 });
      await model.fit(data.x, data.y as Int32Array | Float32Array, { epochs: 5, batchSize: 32 });
      model.preprocessing = dn.tabularPreprocessing(data.spec);
      const records = scoringRecords(train);
      const file = freshFile();
      await model.exportOnnx(file);
      const want = model.predict(records).data;
      // In the target's units (a mean near 8), not standardised (near 0).
      if (output === 'linear') expect(want.reduce((a, b) => a + b, 0) / want.length).toBeGreaterThan(5);
      expectWithin(await runGraph(file, data.spec, records), want, 1e-5, target);
    });
  }
});

describe('exportOnnx with a column spec: what it cannot export fails clearly', () => {
  const spec = dn.tabular(features('yes'), { target: 'yes' }).spec;
  const model = () => identityModel(structuredClone(spec));
  const edit = (m: dn.Model, change: (s: Record<string, unknown>) => void) => {
    change((m.preprocessing as unknown as { tabular: Record<string, unknown> }).tabular);
    return m;
  };

  it('a column named output, or with no name', async () => {
    const rows = train.map((r) => ({ output: r.age, yes: r.yes }));
    const named = identityModel(dn.tabular(rows, { target: 'yes' }).spec);
    await expect(named.exportOnnx(freshFile())).rejects.toThrow(/exportOnnx: a column named 'output' would clash with the graph's output/);
    const blank = identityModel(
      dn.tabular(
        train.map((r) => ({ '': r.age, yes: r.yes })),
        { target: 'yes' },
      ).spec,
    );
    await expect(blank.exportOnnx(freshFile())).rejects.toThrow(/exportOnnx: a column without a name cannot be an ONNX graph input/);
  });

  it('a spec field the exporter does not implement, a malformed spec, a width mismatch, mean/std besides the spec', async () => {
    const unknown = edit(model(), (s) => Object.assign((s.columns as object[])[1] as object, { winsorize: 3 }));
    await expect(unknown.exportOnnx(freshFile())).rejects.toThrow(
      /exportOnnx: preprocessing.tabular.columns\[1\] \('age'\) has 'winsorize', which the ONNX exporter does not know how to compute/,
    );
    const target = edit(model(), (s) => Object.assign(s.target as object, { log: true }));
    await expect(target.exportOnnx(freshFile())).rejects.toThrow(/exportOnnx: preprocessing.tabular.target has 'log'/);
    const bad = edit(model(), (s) => Object.assign((s.columns as object[])[1] as object, { std: -1 }));
    await expect(bad.exportOnnx(freshFile())).rejects.toThrow(/exportOnnx: expected .* at preprocessing.tabular.columns\[1\].std/);
    const narrow = dn.sequential({ inputs: 3, layers: [dn.dense(1)] });
    narrow.preprocessing = { tabular: spec };
    await expect(narrow.exportOnnx(freshFile())).rejects.toThrow(
      /exportOnnx: preprocessing.tabular makes \d+ features, the model has 3 inputs/,
    );
    const both = model();
    Object.assign(both.preprocessing as object, { mean: spec.features.map(() => 0), std: spec.features.map(() => 1) });
    await expect(both.exportOnnx(freshFile())).rejects.toThrow(
      /exportOnnx: model.preprocessing has both a column spec \(tabular\) and mean\/std/,
    );
  });
});
