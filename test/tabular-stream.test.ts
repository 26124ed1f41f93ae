// tabularStream: the column spec fitted in one pass over a stream. Against dn.tabular on real and
// mixed tables (equal but for the sampled medians, equal outright when the sample holds every value),
// on a generated stream of a million rows against float64 statistics worked out here (late frequent
// levels past the count cap, an ID, a date, a constant, skew and missing cells) with the heap bounded,
// and every bad input.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { calendar, naLookup } from '../lib/data/cells.js';
import { DataError } from '../lib/data/data-error.js';
import { NumberCounts } from '../lib/data/number-counts.js';
import { readCsv } from '../lib/data/read-csv.js';
import { CappedCounts, COUNT_CAP, DistinctSketch, Moments, Reservoir } from '../lib/data/sketches.js';
import * as dn from '../lib/index.js';
import { Random } from '../lib/random.js';
import { packageRoot } from './helpers/backends.js';

type Row = Record<string, string | number | null>;

/** A table of every column kind: missing cells, stray words, decimal commas, day-first dates, rare levels, booleans. */
function mixed(n: number, seed = 5): Row[] {
  const random = new Random(seed);
  const colours = ['red', 'green', 'blue', 'teal'];
  return Array.from({ length: n }, (_, i) => {
    const amount = Math.exp(random.normal() * 1.5 + 2);
    return {
      ref: `R-${10_000 + i}`,
      amount: i % 9 === 0 ? '' : amount.toFixed(2),
      score: i === 11 ? 'unknown' : i % 13 === 0 ? 'NA' : (random.normal() * 3 - 1).toFixed(3),
      share: `${Math.floor(random.uniform() * 90)},${Math.floor(random.uniform() * 10)}`,
      colour: i % 97 === 0 ? `rare${i}` : (colours[Math.floor(random.uniform() * 4)] as string),
      joined: i % 17 === 0 ? '' : `${1 + (i % 28)}.${1 + (i % 12)}.${2000 + (i % 20)}`,
      code: String(i % 5),
      member: random.uniform() < 0.3 ? 'True' : 'false',
      same: 'x',
      y: i % 31 === 0 ? '' : random.uniform() < 0.5 ? 'a' : 'b',
    };
  });
}

/** Every cell blank at random with probability `p` (the CSVs have none). */
function withHoles(records: dn.TableRecord[], p: number, seed = 9): Row[] {
  const random = new Random(seed);
  return records.map(
    (r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k !== 'diagnosis' && random.uniform() < p ? '' : v])) as Row,
  );
}

const csvs = [join(packageRoot, 'data'), '/work/shared/data']
  .filter((dir) => existsSync(dir))
  .flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.csv'))
      .map((f) => join(dir, f)),
  );

async function* slowly<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

/** Float64 mean and population std of the present values with the missing ones at `fill` (two passes). */
function reference(present: ArrayLike<number>, missing: number, fill: number): { mean: number; std: number } {
  const n = present.length + missing;
  let sum = missing * fill;
  for (let i = 0; i < present.length; i++) sum += present[i] as number;
  const mean = sum / n;
  let squares = missing * (fill - mean) ** 2;
  for (let i = 0; i < present.length; i++) squares += ((present[i] as number) - mean) ** 2;
  return { mean, std: Math.sqrt(squares / n) };
}

const close = (a: number, b: number, rel = 1e-9) => Math.abs(a - b) <= rel * Math.max(1, Math.abs(b));

/** Where `value` falls among `values`, as a fraction of them (its rank). */
function rank(values: number[], value: number): number {
  return values.filter((v) => v < value).length / values.length;
}

/**
 * The streamed spec is the in-memory one but for the medians, which are a sample's: each one must
 * sit between the 35th and 65th percentile of the column, and the mean and std (where missing cells
 * took that median) must be what float64 gives for the present values with the streamed fill.
 */
function expectSameButMedians(streamed: dn.TabularSpec, exact: dn.TabularSpec, records: readonly dn.TableRecord[]): void {
  expect(streamed.features).toEqual(exact.features);
  expect(streamed.target).toEqual(exact.target);
  const na = naLookup(exact.na);
  exact.columns.forEach((e, k) => {
    const s = streamed.columns[k] as dn.ColumnSpec;
    if (e.kind === 'numeric' && s.kind === 'numeric') {
      expect({ ...s, median: 0, mean: 0, std: 0 }).toEqual({ ...e, median: 0, mean: 0, std: 0 });
      const texts = records.map((r) => r[e.name]);
      const values: number[] = [];
      let missing = 0;
      for (const t of texts) {
        const text = t === null || t === undefined ? '' : String(t).trim();
        if (na.has(text.toLowerCase()) || e.extraMissing.includes(text)) missing++;
        else values.push(Number(e.decimalComma ? text.replace(',', '.') : text));
      }
      const scaled = e.log ? values.map(Math.log1p) : values;
      const r = rank(scaled, s.median);
      expect(r, `${e.name} median`).toBeGreaterThan(0.35);
      expect(r, `${e.name} median`).toBeLessThan(0.65);
      const ref = reference(scaled, missing, s.median);
      expect(close(s.mean, ref.mean), `${e.name} mean ${s.mean} vs ${ref.mean}`).toBe(true);
      expect(close(s.std, ref.std), `${e.name} std ${s.std} vs ${ref.std}`).toBe(true);
      if (!e.indicator) expect(close(s.mean, e.mean) && close(s.std, e.std)).toBe(true);
    } else if (e.kind === 'date' && s.kind === 'date') {
      expect({ ...s, median: 0, yearMean: 0, yearStd: 0 }).toEqual({ ...e, median: 0, yearMean: 0, yearStd: 0 });
      if (!e.indicator) expect(close(s.yearMean, e.yearMean) && close(s.yearStd, e.yearStd)).toBe(true);
    } else expect(s).toEqual(e);
  });
}

describe('tabularStream against dn.tabular', () => {
  it('finds CSVs to compare on', () => {
    expect(csvs.length).toBeGreaterThan(0);
  });

  for (const file of csvs)
    it(`${file}: the same spec, with or without holes, from a stream`, async () => {
      const records = await readCsv(file);
      for (const table of [records, withHoles(records, 0.07)]) {
        const options = { target: 'diagnosis' };
        const exact = dn.tabular(table, options);
        const whole = await dn.tabularStream(slowly(table), { ...options, sampleSize: table.length });
        expect(whole.spec).toEqual(exact.spec);
        expect(whole.notices).toEqual(exact.notices);
        const streamed = await dn.tabularStream(table, { ...options, sampleSize: 150, seed: 4 });
        expect([streamed.rows, streamed.droppedRows, streamed.sampled]).toEqual([table.length, 0, 150]);
        expectSameButMedians(streamed.spec, exact.spec, table);
      }
    });

  it('a table of every column kind: equal outright with a sample of every value, equal but for medians with a small one', async () => {
    const table = mixed(3000);
    const exact = dn.tabular(table, { target: 'y' });
    const kinds = Object.fromEntries(exact.spec.columns.map((c) => [c.name, c.kind === 'dropped' ? c.reason : c.kind]));
    expect(kinds).toEqual({
      ref: 'id',
      amount: 'numeric',
      score: 'numeric',
      share: 'numeric',
      colour: 'categorical',
      joined: 'date',
      code: 'numeric',
      member: 'categorical',
      same: 'constant',
    });
    const whole = await dn.tabularStream(dn.dataset(table), { target: 'y', sampleSize: 5000 });
    expect(whole.spec).toEqual(exact.spec);
    expect(whole.notices).toEqual(exact.notices);
    expect(whole).toMatchObject({ rows: 3000, droppedRows: exact.droppedRows });
    const streamed = await dn.tabularStream(slowly(table), { target: 'y', sampleSize: 300, seed: 1 });
    const labelled = table.filter((r) => r.y !== '');
    expectSameButMedians(streamed.spec, exact.spec, labelled);
    const joined = streamed.spec.columns.find((c) => c.name === 'joined') as dn.DateColumn;
    const exactJoined = exact.spec.columns.find((c) => c.name === 'joined') as dn.DateColumn;
    expect(Math.abs(joined.median - exactJoined.median)).toBeLessThan(365 * 2);
    // The same records, with the categorical and date overrides and named columns, agree too.
    const options = { target: 'y', categorical: ['code'], dates: ['joined'], ignore: ['ref'], columns: Object.keys(table[0] as Row) };
    expect((await dn.tabularStream(table, { ...options, sampleSize: 3000 })).spec).toEqual(dn.tabular(table, options).spec);
  });

  it('columns default to the keys in order of first appearance; a column first seen late was missing before', async () => {
    const table: Row[] = Array.from({ length: 400 }, (_, i) => ({
      a: i % 7,
      ...(i >= 300 ? { late: ['p', 'q', 'r'][i % 3] as string } : {}),
      y: i % 2,
    }));
    const exact = dn.tabular(table, { target: 'y' });
    const streamed = await dn.tabularStream(table, { target: 'y' });
    expect(streamed.spec).toEqual(exact.spec);
    expect(streamed.spec.columns.map((c) => c.name)).toEqual(['a', 'late']);
    expect(streamed.spec.columns[1]).toMatchObject({ kind: 'categorical', missing: true });
  });

  it('thousands separators, keys named like Object.prototype members, impossible dates: the spec dn.tabular fits', async () => {
    const table = Array.from({ length: 600 }, (_, i) => {
      const cells: [string, string][] = [
        // Plain numbers first, then the grouped ones: the second reading starts from a copy of the first.
        ['amount', i < 50 ? String(100 + i) : (1000 + i * 37).toLocaleString('en-US')],
        ['signup', i === 9 ? '2021-02-30' : new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10)],
        ['y', Math.sin(i) > 0 ? 'Yes' : 'no'],
      ];
      if (i % 4) cells.push(['constructor', ['u', 'v', 'w'][i % 3] as string]);
      return Object.fromEntries(cells) as Row;
    });
    const exact = dn.tabular(table, { target: 'y' });
    const streamed = await dn.tabularStream(table, { target: 'y', sampleSize: 10_000 });
    expect(streamed.spec).toEqual(exact.spec);
    expect(streamed.spec.columns.map((c) => c.kind)).toEqual(['numeric', 'date', 'categorical']);
    expect(exact.spec.columns[0]).toMatchObject({ decimalComma: false });
    expect((exact.spec.columns[0] as dn.NumericColumn).median).toBe(1000 + 299.5 * 37);
    expect(exact.spec.target).toEqual({ name: 'y', kind: 'classes', classes: ['no', 'yes'] });
    // A sample smaller than the stream: the same spec but for the medians, which stay close.
    const sampled = await dn.tabularStream(table, { target: 'y', sampleSize: 100, seed: 4 });
    const median = (spec: dn.TabularSpec) => (spec.columns[0] as dn.NumericColumn).median;
    expect(Math.abs(median(sampled.spec) - median(exact.spec)) / median(exact.spec)).toBeLessThan(0.2);
  });
});

// The tail: more distinct levels than the cap, each seen once or twice; four frequent levels, three of them from row 600 000 on.
const ROWS = 1_000_000;
const TAIL = 350_000;
const LATE = 600_000;
const DAYS = Array.from({ length: 4000 }, (_, d) => new Date(Date.UTC(2000, 0, 1 + d * 3)).toISOString().slice(0, 10));
const DAY_YEARS = DAYS.map((d) => calendar(Date.parse(d) / 86_400_000).year);
const TAILS = Array.from({ length: TAIL }, (_, k) => `T${k}`);
const LATES = ['late0', 'late1', 'late2'];

const cityOf = (i: number) =>
  i >= LATE && i % 4 === 1 ? (LATES[i % 3] as string) : i % 5 < 2 ? (TAILS[(i * 7919) % TAIL] as string) : 'paris';
const dayOf = (i: number) => (i % 101 === 0 ? -1 : (i * 13) % DAYS.length);
const labelOf = (i: number, x: Float64Array) => (i % 997 === 0 ? null : (x[i] as number) > 3 ? 'yes' : 'no');

function bigRecord(i: number, x: Float64Array): Row {
  const day = dayOf(i);
  return {
    id: i,
    x: Number.isNaN(x[i] as number) ? null : (x[i] as number),
    city: cityOf(i),
    day: day < 0 ? '' : (DAYS[day] as string),
    k: 'same',
    y: labelOf(i, x),
  };
}

const gc = (() => {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
})();

function heapAfterGc(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

describe('tabularStream over a million rows', () => {
  it('keeps the frequent late levels, drops the ID and the constant, gives exact statistics in bounded memory', async () => {
    const random = new Random(11);
    const x = new Float64Array(ROWS);
    for (let i = 0; i < ROWS; i++) x[i] = i % 23 === 0 ? Number.NaN : Math.exp(random.normal());
    const heap: number[] = [];
    function* stream() {
      for (let i = 0; i < ROWS; i++) {
        if (i === 300_000 || i === ROWS - 1) heap.push(heapAfterGc());
        yield bigRecord(i, x);
      }
    }
    const sampleSize = 20_000;
    const { spec, notices, rows, droppedRows, sampled } = await dn.tabularStream(stream(), { target: 'y', sampleSize, seed: 2 });

    // Reference counts and moments in float64 over the labelled rows.
    const cities = new Map<string, number>();
    const present: number[] = [];
    let missingX = 0;
    const years: number[] = [];
    let missingDays = 0;
    let dropped = 0;
    for (let i = 0; i < ROWS; i++) {
      if (labelOf(i, x) === null) {
        dropped++;
        continue;
      }
      const city = cityOf(i);
      cities.set(city, (cities.get(city) ?? 0) + 1);
      const v = x[i] as number;
      if (Number.isNaN(v)) missingX++;
      else present.push(Math.log1p(v));
      const day = dayOf(i);
      if (day < 0) missingDays++;
      else years.push(DAY_YEARS[day] as number);
    }
    expect([rows, droppedRows, sampled]).toEqual([ROWS, dropped, sampleSize]);
    expect(cities.size).toBeGreaterThan(COUNT_CAP);

    const column = (name: string) => spec.columns.find((c) => c.name === name) as dn.ColumnSpec;
    expect(column('id')).toEqual({ name: 'id', kind: 'dropped', reason: 'id' });
    expect(column('k')).toEqual({ name: 'k', kind: 'dropped', reason: 'constant' });
    // Every level at or above minCount (10 at this size), in the exact order of the exact counts.
    const levels = [...cities.entries()]
      .filter(([, n]) => n >= 10)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([level]) => level);
    expect([...levels].sort()).toEqual(['late0', 'late1', 'late2', 'paris']);
    expect(column('city')).toEqual({ name: 'city', kind: 'categorical', levels, missing: false });
    expect(notices.find((n) => n.column === 'city')?.message).toMatch(/over 100000 distinct values: counted to a cap/);

    const xs = column('x') as dn.NumericColumn;
    expect(xs).toMatchObject({ kind: 'numeric', log: true, indicator: true });
    const sorted = [...present].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.floor(q * (sorted.length - 1))] as number;
    // A 20 000-value sample's median is within about ±0.35% of rank (one standard error); ±2% is six.
    expect(xs.median).toBeGreaterThan(at(0.48));
    expect(xs.median).toBeLessThan(at(0.52));
    const ref = reference(present, missingX, xs.median);
    expect(Math.abs(xs.mean - ref.mean)).toBeLessThan(1e-9 * Math.abs(ref.mean));
    expect(Math.abs(xs.std - ref.std)).toBeLessThan(1e-9 * ref.std);

    const day = column('day') as dn.DateColumn;
    expect(day).toMatchObject({ kind: 'date', format: 'ymd', indicator: true });
    const yearRef = reference(years, missingDays, calendar(day.median).year);
    expect(Math.abs(day.yearMean - yearRef.mean)).toBeLessThan(1e-9 * yearRef.mean);
    expect(Math.abs(day.yearStd - yearRef.std)).toBeLessThan(1e-9 * yearRef.std);
    expect(spec.target).toEqual({ name: 'y', kind: 'classes', classes: ['no', 'yes'] });

    // From row 300 000 to the end the heap holds the summaries: it must not grow with the rows (a
    // million numbers alone are 8 MB, a million keys in a Map over 50 MB).
    if (gc !== null) expect((heap[1] as number) - (heap[0] as number)).toBeLessThan(24 << 20);
  }, 60_000);
});

describe('tabularStream refuses bad input', () => {
  const good = (i: number) => ({ a: String(i % 10), b: i % 3 ? 'u' : 'v', y: String(i % 2) });

  it('a record that is no object, naming its row (by `where`)', async () => {
    const records = [good(0), good(1), good(2), 'oops' as unknown as dn.TableRecord, good(4)];
    await expect(dn.tabularStream(records, { target: 'y' })).rejects.toThrow(
      new TypeError('tabularStream: row 3 is string, expected an object keyed by column name'),
    );
    await expect(dn.tabularStream(slowly([good(0), null as unknown as dn.TableRecord]), { where: (i) => `line ${i + 2}` })).rejects.toThrow(
      'tabularStream: line 3 is null',
    );
    const badCell = [good(0), { a: { nested: 1 } as unknown as string, y: '1' }];
    await expect(dn.tabularStream(badCell, { target: 'y' })).rejects.toThrow(/^row 1, column 'a': a cell holds an object/);
  });

  it('a stream that throws rejects with its error, and the source is closed', async () => {
    const lost = new Error('cursor lost');
    let closed = false;
    async function* cursor() {
      try {
        for (let i = 0; i < 100; i++) {
          if (i === 50) throw lost;
          yield good(i);
        }
      } finally {
        closed = true;
      }
    }
    await expect(dn.tabularStream(cursor(), { target: 'y' })).rejects.toBe(lost);
    expect(closed).toBe(true);
    let returned = false;
    const source = {
      [Symbol.iterator]() {
        let i = 0;
        return {
          next: () => ({ done: false, value: i++ === 5 ? (7 as unknown as dn.TableRecord) : good(i) }),
          return: () => {
            returned = true;
            return { done: true as const, value: undefined };
          },
        };
      },
    };
    await expect(dn.tabularStream(source, {})).rejects.toThrow('row 5 is number');
    expect(returned).toBe(true);
  });

  it('an empty stream, a stream with no target, a missing column', async () => {
    await expect(dn.tabularStream([], {})).rejects.toThrow(new DataError('tabularStream: no records to fit on'));
    await expect(dn.tabularStream(slowly([]), { target: 'y' })).rejects.toBeInstanceOf(DataError);
    await expect(
      dn.tabularStream(
        [good(0)].map((r) => ({ ...r, y: '' })),
        { target: 'y' },
      ),
    ).rejects.toThrow("tabularStream: the target 'y' is missing in every row");
    await expect(dn.tabularStream([good(0)], { target: 'z' })).rejects.toThrow("tabularStream: no target column 'z' (columns: a, b, y)");
    await expect(dn.tabularStream([good(0)], { categorical: ['q'] })).rejects.toThrow("tabularStream: no column 'q'");
  });

  it('unknown options, bad sampleSize, seed and records', async () => {
    await expect(dn.tabularStream([good(0)], { sampelSize: 10 } as never)).rejects.toThrow(
      /tabularStream: unknown option 'sampelSize' in options \(did you mean 'sampleSize'\?\)/,
    );
    for (const sampleSize of [0, -3, 1.5, '100', Number.NaN])
      await expect(dn.tabularStream([good(0)], { sampleSize } as never)).rejects.toThrow(/tabularStream: expected .* for sampleSize/);
    await expect(dn.tabularStream([good(0)], { seed: 0.5 })).rejects.toThrow('tabularStream: expected an integer for seed, received 0.5');
    await expect(dn.tabularStream(42 as never)).rejects.toThrow(
      'tabularStream: expected an iterable or async iterable of records for records',
    );
    await expect(dn.tabularStream([good(0)], { task: 'ranking' } as never)).rejects.toThrow(/task/);
    await expect(dn.tabularStream([good(0)], null as never)).rejects.toThrow(/expected an object for options/);
  });
});

describe('the bounded summaries', () => {
  it('Moments: the exact two-pass mean and std, with the missing cells at a fill, on values far from zero', () => {
    const random = new Random(1);
    const values = Array.from({ length: 10_000 }, () => 1e6 + random.normal() * 0.01);
    const m = new Moments();
    for (const v of values) m.add(v);
    const got = m.withFill(250, 1e6 + 0.003);
    const ref = reference(values, 250, 1e6 + 0.003);
    expect(Math.abs(got.mean - ref.mean)).toBeLessThan(1e-14 * ref.mean);
    expect(Math.abs(got.std - ref.std) / ref.std).toBeLessThan(1e-8);
    const skewed = Array.from({ length: 10_000 }, () => 100 + Math.exp(random.normal()));
    const s = new Moments();
    for (const v of skewed) s.add(v);
    const mean = skewed.reduce((a, v) => a + v, 0) / skewed.length;
    const [m2, m3] = [2, 3].map((p) => skewed.reduce((a, v) => a + (v - mean) ** p, 0) / skewed.length) as [number, number];
    expect(Math.abs(s.skewness() - m3 / m2 ** 1.5)).toBeLessThan(1e-9 * (m3 / m2 ** 1.5));
  });

  it('Reservoir: every item when the stream fits, else a uniform sample', () => {
    const all = new Reservoir(100, 1, 3);
    for (let i = 0; i < 80; i++) all.set(0, all.offer(), i);
    expect([...all.sorted(0)]).toEqual(Array.from({ length: 80 }, (_, i) => i));
    // 200 runs of 100 kept out of 10 000: each tenth of the stream should hold a tenth of the sample.
    const tenths = new Float64Array(10);
    for (let seed = 0; seed < 200; seed++) {
      const r = new Reservoir(100, 1, seed);
      for (let i = 0; i < 10_000; i++) {
        const slot = r.offer();
        if (slot >= 0) r.set(0, slot, i);
      }
      expect(r.length).toBe(100);
      for (const v of r.sorted(0)) tenths[Math.floor(v / 1000)]++;
    }
    // 2 000 expected per tenth, standard deviation about 42.
    for (const n of tenths) expect(Math.abs(n - 2000)).toBeLessThan(200);
  });

  it('capped counts keep every key seen more than their floor, exact for keys first seen after the last prune', () => {
    for (const make of [() => new CappedCounts<number>(1000), () => new NumberCounts(1000)]) {
      const counts = make();
      const truth = new Map<number, number>();
      const add = (k: number) => {
        counts.add(k);
        truth.set(k, (truth.get(k) ?? 0) + 1);
      };
      for (let i = 0; i < 200_000; i++) {
        add(i % 3 === 0 ? 1e9 + (i % 7) : i * 1.5); // 7 frequent keys, a long tail of singletons
        if (i > 150_000 && i % 10 === 0) add(-1 - (i % 4)); // 4 keys first seen late
      }
      expect(counts.overflowed).toBe(true);
      expect(counts.size).toBeLessThanOrEqual(1000);
      const kept = counts.table();
      for (const [k, n] of truth) if (n > counts.floor) expect(kept.has(k), `key ${k}`).toBe(true);
      for (let j = 1; j <= 4; j++) expect(kept.get(-j)).toBe(truth.get(-j));
      for (const [k, n] of kept) expect(n).toBeLessThanOrEqual(truth.get(k) as number);
      // Measured: the floor rises by about one per prune of a tail of singletons (134 here), under 2·rows/cap.
      expect(counts.floor).toBeLessThan((2 * 200_000) / 1000);
      expect(Math.abs(counts.distinct() - truth.size) / truth.size).toBeLessThan(0.05);
    }
  });

  it('the distinct sketch is exact below k and within a few percent above', () => {
    const few = new DistinctSketch(64);
    for (let i = 0; i < 1000; i++) few.add(`k${i % 50}`);
    expect(few.estimate()).toBe(50);
    for (const n of [10_000, 300_000]) {
      const many = new DistinctSketch();
      for (let i = 0; i < n; i++) many.add(i % 2 ? `s${i}` : i);
      expect(Math.abs(many.estimate() - n) / n).toBeLessThan(0.05);
    }
  });
});
