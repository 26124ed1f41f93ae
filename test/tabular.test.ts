// The tabular data path: column typing and its overrides, NA tokens, imputation,
// levels, dates, the target, every documented bad input, and the model taking
// raw records (predict, predictClasses, evaluate, save/load) — each checked
// against values worked out independently here.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { calendar, daysSinceEpoch, naLookup } from '../lib/data/cells.js';
import { encodeTarget } from '../lib/data/tabular.js';
import * as dn from '../lib/index.js';
import { Random } from '../lib/random.js';

const work = mkdtempSync(join(tmpdir(), 'densenode-tabular-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Row = Record<string, string | number | null>;

/** A table with known structure: y depends on x, on the colour and on the month of d. */
function table(n: number, seed = 7): Row[] {
  const random = new Random(seed);
  const colours = ['red', 'green', 'blue'];
  return Array.from({ length: n }, (_, i) => {
    const x = random.uniform() * 10;
    const colour = colours[i % 3] as string;
    const month = 1 + (i % 12);
    const signal = x - 5 + (colour === 'red' ? 3 : colour === 'blue' ? -3 : 0) + (month <= 6 ? 1 : -1);
    return {
      id: `C${1000 + i}`,
      x: i % 10 === 0 ? '' : x.toFixed(3),
      colour: i === 1 ? 'violet' : colour,
      d: `2021-${String(month).padStart(2, '0')}-15`,
      flag: i % 2 ? 'yes' : 'no',
      y: signal > 0 ? 'good' : 'bad',
    };
  });
}

const notice = (data: dn.TabularData, column: string) => data.notices.find((n) => n.column === column)?.message ?? '';
const column = (data: dn.TabularData, name: string) => data.spec.columns.find((c) => c.name === name) as dn.ColumnSpec;

describe('column typing', () => {
  const data = dn.tabular(table(300), { target: 'y' });

  it('types each column and says why', () => {
    expect(column(data, 'id')).toEqual({ name: 'id', kind: 'dropped', reason: 'id' });
    expect(column(data, 'x').kind).toBe('numeric');
    expect(column(data, 'colour').kind).toBe('categorical');
    expect(column(data, 'd')).toMatchObject({ kind: 'date', format: 'ymd' });
    expect(column(data, 'flag')).toMatchObject({ kind: 'categorical', levels: ['no', 'yes'] });
    expect(notice(data, 'id')).toMatch(/ID-like/);
    expect(notice(data, 'x')).toMatch(/30 missing → median .* \+ indicator/);
    expect(notice(data, 'colour')).toMatch(/3 levels, 1 rare \(1 rows\) as \(other\)/);
    expect(data.spec.target).toEqual({ name: 'y', kind: 'classes', classes: ['bad', 'good'] });
  });

  it('imputes the training median, flags it, standardises, and one-hots with (other)', () => {
    const x = column(data, 'x') as dn.NumericColumn;
    const present = table(300)
      .map((r) => r.x as string)
      .filter((v) => v !== '')
      .map(Number)
      .sort((a, b) => a - b);
    expect(x.median).toBeCloseTo((present[134] + present[135]) / 2, 12);
    const features = data.spec.features;
    const at = (row: number, name: string) => data.x.data[row * data.x.cols + features.indexOf(name)] as number;
    expect(at(0, 'x_missing')).toBe(1);
    expect(at(0, 'x')).toBeCloseTo((x.median - x.mean) / x.std, 5);
    expect(at(2, 'x_missing')).toBe(0);
    expect(at(1, 'colour=(other)')).toBe(1); // violet is rare
    expect(at(0, 'colour=red') + at(0, 'colour=green') + at(0, 'colour=blue') + at(0, 'colour=(other)')).toBe(1);
  });

  it('maps a level first seen at predict time to (other), a missing one to (other) without a missing level', () => {
    const encoded = data.encode([{ x: 1, colour: 'magenta', d: '2021-01-01', flag: null }]);
    const f = data.spec.features;
    const row = (name: string) => encoded.x.data[f.indexOf(name)];
    expect(row('colour=(other)')).toBe(1);
    expect(row('flag=(other)')).toBe(1);
    expect(encoded.y).toBeNull();
  });

  it('reads the documented NA tokens case-insensitively, and --na replaces them', () => {
    const rows = Array.from({ length: 40 }, (_, i) => ({
      a: ['?', 'na', 'N/A', 'NaN', 'NULL', 'none', ''][i % 7] as string,
      b: String(i),
      y: String(i % 2),
    }));
    rows[3] = { a: '5', b: '3', y: '1' };
    const fitted = dn.tabular(rows, { target: 'y' });
    expect(column(fitted, 'a')).toMatchObject({ kind: 'numeric', indicator: true, median: 5 });
    const custom = dn.tabular(rows, { target: 'y', na: ['?'] });
    expect(column(custom, 'a').kind).toBe('categorical');
  });

  it('drops constant, empty and free-text columns, and keeps a declared ID', () => {
    const rows = Array.from({ length: 30 }, (_, i) => ({
      k: 'same',
      e: '',
      note: `a free text remark number ${i}`,
      code: String(i),
      v: String(i % 5),
      w: String((i * 7) % 11),
      y: String(i % 2),
    }));
    const fitted = dn.tabular(rows, { target: 'y' });
    expect(column(fitted, 'k')).toMatchObject({ reason: 'constant' });
    expect(column(fitted, 'e')).toMatchObject({ reason: 'empty' });
    expect(column(fitted, 'note')).toMatchObject({ reason: 'text' });
    expect(column(fitted, 'code')).toMatchObject({ reason: 'id' }); // consecutive integers
    expect(column(dn.tabular(rows, { target: 'y', numeric: ['code'] }), 'code').kind).toBe('numeric');
    expect(column(dn.tabular(rows, { target: 'y', categorical: ['v'] }), 'v')).toMatchObject({
      kind: 'categorical',
      levels: ['0', '1', '2', '3', '4'],
    });
    expect(column(dn.tabular(rows, { target: 'y', ignore: ['v'] }), 'v')).toMatchObject({ reason: 'ignored' });
  });

  it('reads a few stray words in a numeric column as missing, with a notice', () => {
    const rows = Array.from({ length: 100 }, (_, i) => ({ a: i === 17 ? 'unknown' : String(i * 1.5), y: String(i % 2) }));
    const fitted = dn.tabular(rows, { target: 'y' });
    expect(column(fitted, 'a')).toMatchObject({ kind: 'numeric', indicator: true, extraMissing: ['unknown'] });
    expect(notice(fitted, 'a')).toMatch(/'unknown' read as missing/);
    expect(() => dn.tabular(rows, { target: 'y', numeric: ['a'] })).toThrow(
      /column 'a' is numeric \(--numeric\), but a cell holds 'unknown'/,
    );
  });

  it('takes decimal commas when a column uses them throughout, and refuses a mix', () => {
    const commas = Array.from({ length: 30 }, (_, i) => ({ a: `${i},5`, y: String(i % 2) }));
    const fitted = dn.tabular(commas, { target: 'y' });
    expect(column(fitted, 'a')).toMatchObject({ kind: 'numeric', decimalComma: true, median: 15 });
    const mixed = commas.map((r, i) => (i === 4 ? { ...r, a: '4.5' } : r));
    expect(() => dn.tabular(mixed, { target: 'y' })).toThrow(/column 'a': mixes decimal commas \('0,5'\) and points \('4\.5'\)/);
  });

  it('caps a column of 100 000 levels and drops one where nearly every row differs', () => {
    const many = Array.from({ length: 200_000 }, (_, i) => ({ c: `L${i % 100_000}`, n: String(i % 7), y: String(i % 2) }));
    const fitted = dn.tabular(many, { target: 'y' });
    // Each level is seen twice (fewer than the minimum count of 10 at this size): all would be (other).
    expect(column(fitted, 'c')).toMatchObject({ kind: 'dropped', reason: 'id' });
    expect(notice(fitted, 'c')).toMatch(/every one of its 100000 values is rarer than 10 rows/);
    const capped = dn.tabular(many, { target: 'y', minCount: 2 });
    expect((column(capped, 'c') as dn.CategoricalColumn).levels).toHaveLength(100);
    expect(notice(capped, 'c')).toMatch(/capped at 100 levels/);
    // Rare values with gaps keep present-or-missing (a cabin number): (other) against (missing).
    const cabins = Array.from({ length: 100 }, (_, i) => ({ cabin: i % 3 ? '' : `B${i}`, n: String(i % 7), y: String(i % 2) }));
    expect(column(dn.tabular(cabins, { target: 'y' }), 'cabin')).toEqual({ name: 'cabin', kind: 'categorical', levels: [], missing: true });
    const distinct = Array.from({ length: 1000 }, (_, i) => ({ c: `L${i}`, n: String(i % 7), y: String(i % 2) }));
    expect(column(dn.tabular(distinct, { target: 'y' }), 'c')).toMatchObject({ kind: 'dropped', reason: 'id' });
  });

  it('reads dates in the common forms and computes the calendar features', () => {
    // 2024-02-29 is a Thursday, the 60th day of a leap year.
    const leap = daysSinceEpoch(null, '2024-02-29', 'ymd');
    expect(leap).toBe(Date.UTC(2024, 1, 29) / 86_400_000);
    expect(calendar(leap)).toMatchObject({ month: 1, dayOfYear: 59, weekday: 4 });
    expect(daysSinceEpoch(null, '29.02.2024', 'dmy')).toBe(leap);
    expect(daysSinceEpoch(null, '02/29/2024', 'mdy')).toBe(leap);
    expect(daysSinceEpoch(null, '2024/02/29 12:00', 'ymd')).toBe(leap + 0.5);
    expect(daysSinceEpoch(null, '2024-02-29T12:00:00+02:00', 'ymd')).toBeCloseTo(leap + 10 / 24, 12);
    expect(daysSinceEpoch(null, '2023-02-29', 'ymd')).toBeNaN();
    const rows = Array.from({ length: 40 }, (_, i) => ({
      when: `${String(1 + (i % 28)).padStart(2, '0')}.0${1 + (i % 9)}.2020`,
      y: String(i % 2),
    }));
    const fitted = dn.tabular(rows, { target: 'y' });
    expect(column(fitted, 'when')).toMatchObject({ kind: 'date', format: 'dmy' });
    const f = fitted.spec.features;
    const row = fitted.encode([{ when: '01.04.2020' }]).x.data;
    expect(row[f.indexOf('when_month_sin')]).toBeCloseTo(Math.sin((2 * Math.PI * 3) / 12), 6);
    expect(row[f.indexOf('when_weekday_cos')]).toBeCloseTo(Math.cos((2 * Math.PI * 3) / 7), 6); // a Wednesday
  });
});

describe('the target', () => {
  it('drops and counts rows without a target, never guesses them', () => {
    const rows = table(100).map((r, i) => (i < 7 ? { ...r, y: i % 2 ? 'NA' : '' } : r));
    const fitted = dn.tabular(rows, { target: 'y' });
    expect(fitted.x.rows).toBe(93);
    expect(fitted.droppedRows).toBe(7);
    expect(notice(fitted, 'y')).toMatch(/7 rows without a target dropped/);
  });

  it('refuses one class, an unknown target and an empty table with a message naming them', () => {
    expect(() =>
      dn.tabular(
        [
          { a: '1', y: 'x' },
          { a: '2', y: 'x' },
        ],
        { target: 'y' },
      ),
    ).toThrow(/the target 'y' has one value only \('x'\)/);
    expect(() => dn.tabular([{ a: '1' }], { target: 'label' })).toThrow(/no target column 'label'/);
    expect(() => dn.tabular([], { target: 'y' })).toThrow(/no records/);
    expect(() =>
      dn.tabular(
        [
          { a: '', y: '1' },
          { a: '', y: '0' },
        ],
        { target: 'y' },
      ),
    ).toThrow(/no usable feature column \(a: dropped \(entirely missing\)\)/);
  });

  it('maps labels to classes as written first, then by value', () => {
    const na = naLookup(dn.DEFAULT_NA);
    // A saved model's class names as an older version wrote them, and numerals by value.
    const labels = encodeTarget({ name: 'y', kind: 'classes', classes: ['False', 'True'] }, ['True', 'False'], na, String);
    expect(Array.from(labels)).toEqual([1, 0]);
    const numbers = encodeTarget({ name: 'y', kind: 'classes', classes: ['0', '1'] }, ['1.0', 0, '0'], na, String);
    expect(Array.from(numbers)).toEqual([1, 0, 0]);
  });

  it('standardises a regression target and answers in its units', async () => {
    const random = new Random(3);
    const rows = Array.from({ length: 400 }, () => {
      const a = random.uniform() * 4;
      return { a: a.toFixed(4), price: (1000 + 250 * a).toFixed(2) };
    });
    const fitted = dn.tabular(rows, { target: 'price' });
    const target = fitted.spec.target as Extract<dn.TargetSpec, { kind: 'values' }>;
    expect(target.kind).toBe('values');
    expect(target.mean).toBeGreaterThan(1200);
    const y = fitted.y as Float32Array;
    expect(Math.abs(y.reduce((s, v) => s + v, 0) / y.length)).toBeLessThan(1e-5);
    const model = dn.mlp([fitted.x.cols, 16, 1], { output: 'linear', seed: 2, optimizer: dn.adam({ learningRate: 0.01 }) });
    model.preprocessing = dn.tabularPreprocessing(fitted.spec);
    await model.fit(fitted.x, fitted.y as Float32Array, { epochs: 40, batchSize: 32 });
    const predicted = model.predict([{ a: '2' }]).data[0] as number;
    expect(Math.abs(predicted - 1500)).toBeLessThan(40);
    const evaluation = model.evaluate(rows);
    expect(evaluation.r2).toBeGreaterThan(0.98);
    // mae in dollars: recompute from the predictions.
    const out = model.predict(rows).data;
    const mae = rows.reduce((s, r, i) => s + Math.abs((out[i] as number) - Number(r.price)), 0) / rows.length;
    expect(evaluation.mae).toBeCloseTo(mae, 2);
  });
});

describe('a model on raw records', () => {
  const rows = table(600);
  const train = rows.slice(0, 480);
  const test = rows.slice(480);
  const fitted = dn.tabular(train, { target: 'y' });

  async function trained(): Promise<dn.Model> {
    const model = dn.mlp([fitted.x.cols, 16, 1], { seed: 5, optimizer: dn.adam({ learningRate: 0.01 }), l2: 0.01 });
    model.preprocessing = dn.tabularPreprocessing(fitted.spec);
    await model.fit(fitted.x, fitted.y as Int32Array, { epochs: 30, batchSize: 32 });
    return model;
  }

  it('predicts from records exactly as from their encoding, and learns the structure', async () => {
    const model = await trained();
    const encoded = fitted.encode(test);
    expect(Array.from(model.predict(test).data)).toEqual(Array.from(model.predict(encoded.x).data));
    expect(model.evaluate(test).accuracy).toBeGreaterThan(0.9);
    const names = model.predictClasses(test);
    expect(names.every((n) => n === 'good' || n === 'bad')).toBe(true);
  });

  it('takes JSON-like values: numbers, null, missing keys, columns in any order', async () => {
    const model = await trained();
    const asText = test.slice(0, 5);
    const asJson = asText.map((r) => {
      const { y: _y, ...rest } = r;
      const out: Record<string, unknown> = Object.fromEntries(Object.entries(rest).reverse());
      out.x = r.x === '' ? null : Number(r.x);
      return out as dn.TableRecord;
    });
    expect(Array.from(model.predict(asJson).data)).toEqual(Array.from(model.predict(asText).data));
    const missingKeys = model.predict([{ colour: 'red' }]);
    expect(Number.isFinite(missingKeys.data[0])).toBe(true);
  });

  it('saves the spec and predicts the same after load', async () => {
    const model = await trained();
    await model.save(join(work, 'm'));
    const loaded = await dn.load(join(work, 'm'));
    expect(loaded.preprocessing?.tabular).toEqual(fitted.spec);
    expect(Array.from(loaded.predict(test).data)).toEqual(Array.from(model.predict(test).data));
  });

  it('refuses a tampered spec on load, naming the field', async () => {
    const model = await trained();
    const dir = join(work, 'bad');
    await model.save(dir);
    const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    manifest.preprocessing.tabular.columns[1].std = -1;
    writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest));
    await expect(dn.load(dir)).rejects.toThrow(/preprocessing\.tabular\.columns\[1\]\.std/);
    manifest.preprocessing.tabular.columns[1].std = 1;
    manifest.preprocessing.tabular.features.pop();
    writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest));
    await expect(dn.load(dir)).rejects.toThrow(/features does not match its columns/);
  });

  it('checks records and says what is wrong', async () => {
    const model = await trained();
    expect(() => model.predict([{ x: 'abc' }])).toThrow(/records\[0\], column 'x': expected a number, found 'abc'/);
    expect(() => model.predict([{ x: 1 }, null as unknown as dn.TableRecord])).toThrow(TypeError);
    expect(() => model.predict([{ colour: { nested: 1 } as unknown as string }])).toThrow(
      /records\[0\], column 'colour': a cell holds an object/,
    );
    expect(() => dn.tabular([{ a: Symbol('s') as unknown as string, y: '1' }], { target: 'y' })).toThrow(
      /row 0, column 'a': a cell holds a symbol/,
    );
    const bare = dn.mlp([2, 1]);
    expect(() => bare.predict([{ a: 1, b: 2 }])).toThrow(/records need model\.preprocessing/);
    expect(() => dn.tabular(train, { target: 'y', categoricals: ['x'] } as unknown as dn.TabularOptions)).toThrow(
      /unknown option 'categoricals' .*did you mean 'categorical'/,
    );
  });

  it('applies a numeric-only standardisation to records too', () => {
    const model = dn.mlp([2, 1], { seed: 1 });
    model.preprocessing = { features: ['a', 'b'], mean: [10, 20], std: [2, 4] };
    const fromRecords = model.predict([{ b: '24', a: 12 }]);
    const fromMatrix = model.predict([[1, 1]]);
    expect(fromRecords.data[0]).toBe(fromMatrix.data[0]);
  });
});

describe('readCsv', () => {
  it('reads records with the delimiter of the header, a BOM and quoted fields', async () => {
    const path = join(work, 'semi.csv');
    writeFileSync(path, '\ufeffa;b;"c d"\n1,5;x;"q;r"\n2,5;y;s\n');
    const records = await dn.readCsv(path);
    expect(records).toEqual([
      { a: '1,5', b: 'x', 'c d': 'q;r' },
      { a: '2,5', b: 'y', 'c d': 's' },
    ]);
  });

  it('refuses a header only, a repeated column and a ragged row, naming the file', async () => {
    const cases: [string, RegExp][] = [
      ['a,b\n', /a header but no data rows/],
      ['a,a\n1,2\n', /names the column 'a' twice/],
      ['a,b\n1,2\n3\n', /Invalid Record Length|column/i],
      ['', /empty file/],
    ];
    for (const [text, message] of cases) {
      const path = join(work, 'bad.csv');
      writeFileSync(path, text);
      await expect(dn.readCsv(path)).rejects.toThrow(message);
    }
    await expect(dn.readCsv(join(work, 'none.csv'))).rejects.toThrow(/none\.csv: no such file/);
  });

  it('keeps a column named __proto__ as a column', async () => {
    const path = join(work, 'proto.csv');
    writeFileSync(path, '__proto__,y\n1,0\n2,1\n');
    const [first] = await dn.readCsv(path);
    expect(Object.keys(first as object)).toEqual(['__proto__', 'y']);
    expect(Object.getPrototypeOf(first)).toBe(Object.prototype);
  });
});

describe('reading cells the way a spreadsheet user means them', () => {
  const fitted = (values: (string | number)[], options: dn.TabularOptions = {}) =>
    dn.tabular(
      values.map((v, i) => ({ v, y: String(i % 2) })),
      { target: 'y', ...options },
    );
  const values = (data: dn.TabularData, records: Row[]) => {
    const c = column(data, 'v') as dn.NumericColumn;
    const x = data.encode(records).x;
    return Array.from({ length: x.rows }, (_, i) => {
      const z = (x.data[i * x.cols] as number) * c.std + c.mean;
      // float32 features (and log1p): five significant digits come back.
      return Number((c.log ? Math.expm1(z) : z).toPrecision(5));
    });
  };
  const repeat = (cells: (string | number)[], n: number) => Array.from({ length: n }, (_, i) => cells[i % cells.length] as string);

  it('reads commas grouping thousands as thousands, and decimal commas as decimals, by what the other cells rule out', () => {
    // Beside plain numbers, '2,400' with its trailing zero is no decimal comma: 2400 keeps the order.
    const beside = fitted(repeat(['1,250', '980', '2,400', '750', '3,000', '600'], 30));
    expect(column(beside, 'v')).toMatchObject({ kind: 'numeric', decimalComma: false });
    expect(notice(beside, 'v')).toMatch(/thousands separators \('1,250' is 1250\)/);
    expect(values(beside, [{ v: '1,250' }, { v: '980' }, { v: '2,400' }])).toEqual([1250, 980, 2400]);
    // Several groups, or a decimal point, can only be thousands.
    for (const other of ['1,000,000', '2,500.5', '12.5']) {
      const data = fitted(repeat(['1,251', '2,403', other, '999'], 40));
      expect(column(data, 'v')).toMatchObject({ kind: 'numeric', decimalComma: false });
      expect(values(data, [{ v: '1,251' }, { v: other }])).toEqual([1251, Number(other.replaceAll(',', ''))]);
    }
    // Every cell d,ddd and no plain number: the readings differ by 1000 only, and thousands is taken.
    expect(column(fitted(repeat(['45,000', '52,500', '61,250'], 30)), 'v')).toMatchObject({ decimalComma: false, median: 52500 });
    // A comma with other than 3 digits after it, or 0 before it, is a decimal comma; then 1,250 is 1.25.
    for (const decimal of ['1,5', '0,250']) {
      const data = fitted(repeat([decimal, '1,250', '3'], 30));
      expect(column(data, 'v')).toMatchObject({ kind: 'numeric', decimalComma: true });
      expect(values(data, [{ v: '1,250' }, { v: decimal }])).toEqual([1.25, Number(decimal.replace(',', '.'))]);
    }
    // Contradicting cells, or cells that do not tell and a guess would change the order: errors naming the column.
    expect(() => fitted(repeat(['1,5', '1,000,000', '3'], 30))).toThrow(
      /column 'v': mixes decimal commas \('1,5'\) and thousands separators \('1,000,000'\)/,
    );
    expect(() => fitted(repeat(['1,251', '980', '2,403'], 30))).toThrow(
      /column 'v': '1,251' may be 1251 \(a thousands separator\) or 1\.251 \(a decimal comma\), and no cell tells which/,
    );
    // A spec read with points takes grouped numerals at predict time; one with decimal commas does not.
    const points = fitted(repeat(['1.5', '2000', '300'], 30));
    expect(values(points, [{ v: '1,234.5' }])).toEqual([1234.5]);
    expect(() => fitted(repeat(['1,5', '2,25'], 30)).encode([{ v: '1,000,000' }])).toThrow(/expected a number, found '1,000,000'/);
  });

  it('takes a column named like an Object.prototype member, absent from some records, as missing there', () => {
    for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      const records = Array.from({ length: 40 }, (_, i) =>
        JSON.parse(i % 3 ? `{"x":${i % 7},"${key}":"${'uv'[i % 2]}","y":"${'ab'[i % 2]}"}` : `{"x":${i % 7},"y":"${'ab'[i % 2]}"}`),
      ) as Row[];
      const data = dn.tabular(records, { target: 'y' });
      expect(column(data, key)).toEqual({ name: key, kind: 'categorical', levels: ['u', 'v'], missing: true });
      expect(data.encode([{ x: 1 }]).x.data[data.spec.features.indexOf(`${key}=(missing)`)]).toBe(1);
    }
    // As the target: a record without it is unlabelled, at fit and at encode.
    const labelled = Array.from({ length: 40 }, (_, i) => (i % 5 ? { x: i % 7, constructor: 'ab'[i % 2] } : { x: i % 7 })) as Row[];
    const data = dn.tabular(labelled, { target: 'constructor' });
    expect([data.droppedRows, data.spec.target]).toEqual([8, { name: 'constructor', kind: 'classes', classes: ['a', 'b'] }]);
    expect(data.encode([{ x: 1, constructor: 'a' }, { x: 2 }]).rows).toEqual(Uint32Array.from([0]));
  });

  it('reads a few impossible dates as missing, as a numeric column reads a few stray words, and names mixed forms', () => {
    const day = (i: number) => new Date(Date.UTC(2020, 0, 1) + i * 1.3 * 864e5).toISOString().slice(0, 10);
    const dates = (bad: (i: number) => string | null) =>
      dn.tabular(
        Array.from({ length: 300 }, (_, i) => ({ signup: bad(i) ?? day(i), k: String(i % 5), y: 'ab'[i % 2] as string })),
        { target: 'y' },
      );
    for (const typo of ['2021-02-30', '2021-01-01T25:00', '2021-01-01 12:61']) {
      const data = dates((i) => (i === 7 ? typo : null));
      expect(column(data, 'signup')).toMatchObject({ kind: 'date', format: 'ymd', indicator: true });
      expect(notice(data, 'signup')).toContain(`1 missing → median + indicator; '${typo}' read as missing (no such date)`);
      // At predict time the same cell is missing too; a date of another form is still an error.
      const f = data.spec.features;
      expect(data.encode([{ signup: '2022-02-29', k: '1' }]).x.data[f.indexOf('signup_missing')]).toBe(1);
      expect(() => data.encode([{ signup: '31.02.2021', k: '1' }])).toThrow(/expected a date \(ymd\), found '31\.02\.2021'/);
    }
    // A day-first column takes its impossible dates as missing too.
    const dotted = dn.tabular(
      Array.from({ length: 100 }, (_, i) => ({ d: i === 3 ? '31.02.2020' : `${1 + (i % 28)}.0${1 + (i % 9)}.2020`, y: String(i % 2) })),
      { target: 'y' },
    );
    expect(column(dotted, 'd')).toMatchObject({ kind: 'date', format: 'dmy', indicator: true });
    // More than a date column may hold is no date column, as with numbers; declared a date, an error.
    expect(
      column(
        dates((i) => (i % 10 ? null : '2021-02-30')),
        'signup',
      ).kind,
    ).not.toBe('date');
    expect(() =>
      dn.tabular(
        Array.from({ length: 300 }, (_, i) => ({ signup: i % 10 ? day(i) : '2021-02-30', y: 'ab'[i % 2] as string })),
        { target: 'y', dates: ['signup'] },
      ),
    ).toThrow(/column 'signup': 30 cells name no date \('2021-02-30'\)/);
    // Two forms in one column: an error that says so, not an ID-like column.
    expect(() => dates((i) => (i % 2 ? day(i).split('-').reverse().join('.') : null))).toThrow(
      /column 'signup': its dates mix forms \('\d\d\.\d\d\.2020', '2020-\d\d-\d\d'\)/,
    );
    expect(() => dates((i) => (i % 2 ? '13/01/2020' : `01/${13 + (i % 10)}/2020`))).toThrow(/column 'signup': its dates mix forms/);
  });

  it('names the row of a number too large for a float32, and merges yes/no in any case as true/false', () => {
    const big = Array.from({ length: 40 }, (_, i) => ({ v: i === 17 ? '1e400' : String(i % 9), y: String(i % 2) }));
    expect(() => dn.tabular(big, { target: 'y' })).toThrow("row 17, column 'v': '1e400' does not fit a float32 (it reads as Infinity)");
    big[17] = { v: '1e39', y: '1' };
    expect(() => dn.tabular(big, { target: 'y' })).toThrow("row 17, column 'v': '1e39' does not fit a float32;");
    const words = dn.tabular(
      Array.from({ length: 40 }, (_, i) => ({
        v: ['Yes', 'no', 'YES', 'No'][i % 4] as string,
        t: ['True', 'false'][i % 2] as string,
        y: String(i % 2),
      })),
      { target: 'y' },
    );
    expect(column(words, 'v')).toMatchObject({ kind: 'categorical', levels: ['no', 'yes'] });
    expect(column(words, 't')).toMatchObject({ kind: 'categorical', levels: ['false', 'true'] });
    const f = words.spec.features;
    const x = words.encode([{ v: 'yEs', t: 'TRUE' }]).x.data;
    expect([x[f.indexOf('v=yes')], x[f.indexOf('t=true')]]).toEqual([1, 1]);
    const target = dn.tabular(
      Array.from({ length: 40 }, (_, i) => ({ x: i % 7, y: ['Yes', 'no', 'YES', 'No'][i % 4] as string })),
      { target: 'y' },
    );
    expect(target.spec.target).toEqual({ name: 'y', kind: 'classes', classes: ['no', 'yes'] });
  });
});
