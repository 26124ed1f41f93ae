import { it } from 'vitest';
import { streamFitter } from '../lib/data/fit-stream.js';
import { readCsv } from '../lib/data/read-csv.js';
import * as dn from '../lib/index.js';
import { Random } from '../lib/random.js';
it('m', async () => {
  // Median rank error: 1e6 lognormal values as CSV text, sampleSize 20k, 10 seeds.
  const N = 1_000_000;
  const r = new Random(3);
  const vals = Array.from({ length: N }, () => Math.exp(r.normal()).toFixed(4));
  const sorted = Float64Array.from(vals, Number).sort();
  const exact = (sorted[N / 2 - 1]! + sorted[N / 2]!) / 2;
  const rankOf = (v: number) => { let lo = 0, hi = N; while (lo < hi) { const m = (lo + hi) >> 1; if (sorted[m]! < v) lo = m + 1; else hi = m; } return lo / N; };
  const recs = vals.map((x) => ({ x }));
  const errs: number[] = [];
  const ranks: number[] = [];
  for (let seed = 0; seed < 10; seed++) {
    const f = streamFitter({ sampleSize: 20000, seed });
    const t = performance.now();
    for (const rec of recs) f.add(rec);
    const ms = performance.now() - t;
    const col = f.finish().spec.columns[0] as dn.NumericColumn;
    const med = col.log ? Math.expm1(col.median) : col.median;
    errs.push(Math.abs(med - exact) / exact);
    ranks.push(Math.abs(rankOf(med) - 0.5));
    if (seed < 3) console.log('numeric text ns/cell', (ms * 1e6 / N).toFixed(0), 'log', col.log);
  }
  console.log('lognormal median rel err mean', (errs.reduce((a, b) => a + b) / 10).toExponential(2), 'max', Math.max(...errs).toExponential(2), 'rank err max', Math.max(...ranks).toExponential(2));
  // Categorical text cells, 50 levels.
  const cats = Array.from({ length: N }, (_, i) => ({ c: `level${(i * 7) % 50}` }));
  for (let k = 0; k < 3; k++) {
    const f = streamFitter({});
    const t = performance.now();
    for (const rec of cats) f.add(rec);
    console.log('categorical ns/cell', (((performance.now() - t) * 1e6) / N).toFixed(0));
  }
  const nums = Array.from({ length: N }, (_, i) => ({ v: (i % 1000) * 0.5 }));
  for (let k = 0; k < 3; k++) {
    const f = streamFitter({});
    const t = performance.now();
    for (const rec of nums) f.add(rec);
    console.log('number cells (1000 distinct) ns/cell', (((performance.now() - t) * 1e6) / N).toFixed(0));
  }
  // Breast cancer, every column: median rank error with sampleSize 100 vs exact (569 rows).
  const bc = await readCsv('data/breast_cancer.csv');
  const exactSpec = dn.tabular(bc, { target: 'diagnosis' }).spec;
  const s = await dn.tabularStream(bc, { target: 'diagnosis', sampleSize: 100 });
  let worst = 0;
  exactSpec.columns.forEach((c, k) => {
    if (c.kind !== 'numeric') return;
    const v = bc.map((r) => Number(r[c.name])).map((x) => (c.log ? Math.log1p(x) : x));
    const m = (s.spec.columns[k] as dn.NumericColumn).median;
    worst = Math.max(worst, Math.abs(v.filter((x) => x < m).length / v.length - 0.5));
  });
  console.log('breast cancer sampleSize 100: worst median rank error', worst.toFixed(3));
}, 600000);
