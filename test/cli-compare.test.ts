// `densenode compare --folds K` and `--seeds N`: the Student-t and paired-test
// numbers against values computed with SciPy 1.17 (scipy.stats.t, ttest_rel,
// scipy.special.betainc) and closed forms, the fold assignment, and the CLI end
// to end on small generated CSVs: the JSON record, folds that partition the
// labelled rows, a column spec fitted on each fold's training rows, and the errors.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignFolds, foldSplits } from '../lib/cli/folds.js';
import { incompleteBeta, lnGamma, mean, pairedTTest, sampleStd, studentCdf, studentTwoSided } from '../lib/cli/paired-test.js';
import { Random } from '../lib/random.js';
import { packageRoot } from './helpers/backends.js';

const bin = join(packageRoot, 'bin', 'densenode.cjs');
const work = mkdtempSync(join(tmpdir(), 'densenode-compare-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[]) {
  const run = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: 'utf8', timeout: 60_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const file = (name: string, text: string) => {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
};

const config = file(
  'two-runs.json',
  JSON.stringify({
    base: { epochs: 3, layers: [4] },
    runs: [
      { name: 'gd', optimizer: 'sgd', lr: 0.05 },
      { name: 'adam', optimizer: 'adam', lr: 0.01 },
    ],
  }),
);

// Three overlapping blobs (so the runs do not all score 100%), 20 rows a class, and two rows without a label.
const random = new Random(5);
const blobRows = Array.from({ length: 60 }, (_, i) => {
  const species = ['a', 'b', 'c'][i % 3] as string;
  const [cx, cy] = [
    [0, 0],
    [1.5, 0],
    [0, 1.5],
  ][i % 3] as number[];
  return { width: (cx as number) + random.normal(), height: (cy as number) + random.normal(), species };
});
const blobLines = ['width,height,species', ...blobRows.map((r) => `${r.width},${r.height},${r.species}`), '1,2,', '3,4,?'];
const blobs = file('blobs.csv', `${blobLines.join('\n')}\n`);
// File line (1-based, the header is line 1) → row, for the labelled rows.
const rowAtLine = new Map(blobRows.map((r, i) => [i + 2, r]));

const linear = file(
  'linear.csv',
  `x1,x2,y\n${Array.from({ length: 40 }, () => {
    const [x1, x2] = [random.normal(), random.normal()];
    return `${x1},${x2},${2 * x1 - x2 + 0.1 * random.normal() + 100}`;
  }).join('\n')}\n`,
);

describe('the Student t distribution and the paired t-test', () => {
  it('ln Γ and the regularised incomplete beta match known values', () => {
    expect(lnGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(lnGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    expect(lnGamma(0.1)).toBeCloseTo(2.252712651734206, 12);
    // scipy.special.betainc(a, b, x)
    const cases: [number, number, number, number][] = [
      [0.3, 2, 3, 0.34829999999999994],
      [0.9, 0.5, 0.5, 0.7951672353008665],
      [0.01, 5, 0.5, 2.4712578086395438e-11],
      [0.5, 20, 20, 0.5],
      [0.999, 100, 0.5, 0.6550435163244294],
    ];
    for (const [x, a, b, expected] of cases) expect(incompleteBeta(x, a, b)).toBeCloseTo(expected, 12);
    expect(incompleteBeta(0, 2, 3)).toBe(0);
    expect(incompleteBeta(1, 2, 3)).toBe(1);
  });

  it('the t CDF matches closed forms, table critical values and SciPy', () => {
    expect(studentCdf(1, 1)).toBeCloseTo(0.75, 12); // Cauchy
    expect(studentCdf(2, 2)).toBeCloseTo(0.5 + 1 / Math.sqrt(6), 12); // ½ + t/(2√(2+t²))
    expect(studentCdf(0, 7)).toBeCloseTo(0.5, 12);
    // Two-sided 5% critical values from printed t tables.
    for (const [t, df] of [
      [12.706205, 1],
      [2.776445, 4],
      [2.228139, 10],
      [2.042272, 30],
    ] as const) {
      expect(studentCdf(t, df)).toBeCloseTo(0.975, 6);
      expect(studentTwoSided(-t, df)).toBeCloseTo(0.05, 6);
    }
    // scipy.stats.t.cdf(t, df)
    const cases: [number, number, number][] = [
      [0.5, 3, 0.6742760175759245],
      [-1.5, 7, 0.088649243494985],
      [3, 30, 0.9973050179671741],
      [0.1, 100, 0.5397277344520743],
      [10, 2.5, 0.9977792521163463],
      [1.96, 1e6, 0.9750019662073651],
    ];
    for (const [t, df, expected] of cases) expect(studentCdf(t, df)).toBeCloseTo(expected, 10);
    expect(studentTwoSided(3, 30)).toBeCloseTo(0.005389964065651945, 12);
    expect(studentTwoSided(Infinity, 3)).toBe(0);
  });

  it('the paired t-test matches scipy.stats.ttest_rel', () => {
    const a = [0.95, 0.96, 0.94, 0.97, 0.95];
    const b = [0.93, 0.95, 0.94, 0.95, 0.92];
    const test = pairedTTest(a, b);
    expect(test.meanDifference).toBeCloseTo(0.016, 12);
    expect(test.t).toBeCloseTo(3.137858162210948, 9);
    expect(test.df).toBe(4);
    expect(test.p).toBeCloseTo(0.034919706674538926, 9);
    expect(pairedTTest(b, a).p).toBeCloseTo(test.p, 12);
    expect(pairedTTest(a, a)).toEqual({ meanDifference: 0, t: 0, df: 4, p: 1 });
    expect(pairedTTest([0.5, 0.75], [0.25, 0.5]).p).toBe(0); // the same difference every time
    expect(() => pairedTTest([1], [1])).toThrow(/at least two/);
    expect(sampleStd([1, 2, 3, 4])).toBeCloseTo(Math.sqrt(5 / 3), 12);
  });
});

describe('fold assignment', () => {
  it('deals each class evenly over the folds, the same for the same seed', () => {
    const classes = Int32Array.from({ length: 103 }, (_, i) => (i < 70 ? 0 : i < 95 ? 1 : 2));
    const folds = assignFolds(103, 4, classes, new Random(3));
    expect(assignFolds(103, 4, classes, new Random(3))).toEqual(folds);
    const sizes = [0, 1, 2, 3].map((f) => folds.filter((x) => x === f).length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    for (const [c, total] of [
      [0, 70],
      [1, 25],
      [2, 8],
    ] as const) {
      const perFold = [0, 1, 2, 3].map((f) => folds.filter((x, i) => x === f && classes[i] === c).length);
      expect(perFold.reduce((s, v) => s + v)).toBe(total);
      expect(Math.max(...perFold) - Math.min(...perFold)).toBeLessThanOrEqual(1);
    }
  });

  it('holds the validation fraction out of the training folds, disjoint from the test fold', () => {
    const labelled = {
      records: [0, 2, 3, 5, 6, 7, 9, 10, 11, 12],
      lines: [2, 4, 5, 7, 8, 9, 11, 12, 13, 14],
      classes: null,
      classNames: null,
    };
    const splits = foldSplits(labelled, 5, 0.25, 1);
    for (const s of splits) {
      expect(s.test).toHaveLength(2);
      expect(s.validation).toHaveLength(2);
      expect(new Set([...s.train, ...s.validation, ...s.test]).size).toBe(10);
    }
    expect(splits.flatMap((s) => s.test).sort((a, b) => a - b)).toEqual(labelled.records);
  });
});

describe('densenode compare --folds', () => {
  const out = join(work, 'folds');
  let run: ReturnType<typeof cli>;
  // biome-ignore lint/suspicious/noExplicitAny: compare.json as parsed
  let record: any;
  beforeAll(() => {
    run = cli(['compare', blobs, '--config', config, '--folds', '3', '--validation', '0', '--out', out]);
    record = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8'));
  });

  it('prints mean ± std and the test against the best run', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/2 runs × 3 folds/);
    expect(run.stdout).toMatch(/run +lr +l2 +dropout +bn +test acc mean ± std +min\.\.max +vs best +epochs +seconds +fold 1 loss/);
    expect(run.stdout).toMatch(/\n(gd|adam) +\S+ +0 +0 +no +\d+\.\d% ± \d+\.\d% +\S+ +best /);
    expect(run.stdout).toMatch(/\n(gd|adam) +\S+ +0 +0 +no +\d+\.\d% ± \d+\.\d% +\S+ +(≈ best, )?p [<\d.]+ /);
    expect(run.stdout).toMatch(/compare\.svg shows the learning curves of fold 1 only/);
    expect(readFileSync(join(out, 'compare.svg'), 'utf8')).toContain('fold 1 of 3');
  });

  it('records per-fold figures, mean, std and the paired test', () => {
    expect(record.resampling).toMatchObject({ mode: 'folds', count: 3, completed: 3, metric: 'accuracy', alpha: 0.05 });
    expect(record.runs.map((r: { config: { name: string } }) => r.config.name)).toEqual(['gd', 'adam']);
    const scores = record.runs.map((r: { splits: { score: number }[] }) => r.splits.map((s) => s.score));
    for (const [i, r] of record.runs.entries()) {
      expect(r.splits.map((s: { index: number }) => s.index)).toEqual([1, 2, 3]);
      expect(r.splits.map((s: { seed: number }) => s.seed)).toEqual([1, 2, 3]);
      expect(r.mean).toBeCloseTo(mean(scores[i]), 12);
      expect(r.std).toBeCloseTo(sampleStd(scores[i]), 12);
      for (const s of r.splits) expect(s.score).toBe(s.metrics.find((m: { split: string }) => m.split === 'test').accuracy);
    }
    const best = record.runs[0].mean >= record.runs[1].mean ? 0 : 1;
    expect(record.resampling.best).toBe(record.runs[best].config.name);
    expect(record.runs[best].vsBest).toBeNull();
    const other = record.runs[1 - best];
    const expected = pairedTTest(scores[best], scores[1 - best]);
    expect(other.vsBest).toMatchObject({ best: record.resampling.best, df: 2, withinNoise: expected.p >= 0.05 });
    if (expected.p > 0 && expected.p < 1) expect(other.vsBest.p).toBeCloseTo(expected.p, 12);
  });

  it('tests each labelled row exactly once, each fold holding every class in its share', () => {
    const splits = record.resampling.splits as { testLines: number[]; rows: { train: number; validation: number; test: number } }[];
    const tested = splits.flatMap((s) => s.testLines).sort((a, b) => a - b);
    expect(tested).toEqual(Array.from({ length: 60 }, (_, i) => i + 2)); // not the two unlabelled lines 62 and 63
    for (const s of splits) {
      expect(s.rows).toEqual({ train: 40, validation: 0, test: 20 });
      for (const species of ['a', 'b', 'c']) {
        // 20 rows of each class over 3 folds: 6 or 7 in each.
        expect([6, 7]).toContain(s.testLines.filter((l) => rowAtLine.get(l)?.species === species).length);
      }
    }
  });

  it('fits the column spec on each fold’s training rows only', () => {
    const means = new Set<number>();
    for (const split of record.resampling.splits) {
      const trainRows = blobRows.filter((_, i) => !split.testLines.includes(i + 2));
      const width = split.columns.find((c: { name: string }) => c.name === 'width');
      expect(width.mean).toBeCloseTo(mean(trainRows.map((r) => r.width)), 10);
      means.add(width.mean);
    }
    expect(means.size).toBe(3);
  });
});

describe('densenode compare --seeds', () => {
  it('scores a regression by r2 over seeded splits, each the split a single compare with that seed sees', () => {
    const out = join(work, 'seeds');
    const run = cli(['compare', linear, '--config', config, '--seeds', '2', '--seed', '4', '--json', '--out', out]);
    expect(run.code).toBe(0);
    const events = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.filter((e) => e.type === 'run').map((e) => [e.name, e.seed])).toEqual([
      ['gd', 4],
      ['adam', 4],
      ['gd', 5],
      ['adam', 5],
    ]);
    const summary = events.find((e) => e.type === 'summary');
    expect(summary.metric).toBe('r2');
    const record = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8'));
    expect(record.resampling).toMatchObject({ mode: 'seeds', count: 2, metric: 'r2' });
    expect(record.resampling.splits.map((s: { seed: number; rows: unknown }) => [s.seed, s.rows])).toEqual([
      [4, { train: 24, validation: 8, test: 8 }],
      [5, { train: 24, validation: 8, test: 8 }],
    ]);
    for (const r of record.runs) for (const s of r.splits) expect(s.score).toBeLessThanOrEqual(1);
    // The second seed's split and initialisation are those of a plain compare with --seed 5.
    const single = join(work, 'single');
    expect(cli(['compare', linear, '--config', config, '--seed', '5', '--quiet', '--out', single]).code).toBe(0);
    const plain = JSON.parse(readFileSync(join(single, 'compare.json'), 'utf8'));
    for (const [i, r] of record.runs.entries()) expect(r.splits[1].metrics).toEqual(plain.runs[i].metrics);
  });
});

describe('compare --folds/--seeds errors', () => {
  it.each([
    ['--folds with --seeds', [blobs, '--folds', '3', '--seeds', '2'], /'--folds <k>' cannot be used with option '--seeds <n>'/],
    ['--folds 1', [blobs, '--folds', '1'], /--folds <k>' argument '1' is invalid\. expected an integer >= 2/],
    ['--seeds 1', [blobs, '--seeds', '1'], /--seeds <n>' argument '1' is invalid/],
    [
      'more folds than the smallest class',
      [blobs, '--folds', '21'],
      /--folds 21: the class '(a|b|c)' has 20 labelled rows, fewer than the folds/,
    ],
    ['more folds than rows', [linear, '--folds', '41'], /--folds 41 needs at least 41 labelled rows, the data has 40/],
    ['--folds on images', ['digits-images-idx3-ubyte.gz', '--folds', '3'], /--folds works on CSV data.*use --seeds N/],
    ['--folds on fashion-mnist', ['fashion-mnist', '--folds', '3'], /fashion-mnist is images with its own test set/],
    ['--seeds without a test split', [blobs, '--seeds', '2', '--test', '0'], /--seeds scores every run on the test split/],
  ])('%s → exit 2', (_what, args, message) => {
    const run = cli(['compare', ...args, '--config', config, '--out', join(work, 'errors')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});
