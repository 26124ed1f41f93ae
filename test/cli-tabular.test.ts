// `densenode train / evaluate / predict` on raw CSVs with categories, missing
// cells, dates and an ID column, and the promise that a server gets the same
// answers from the library: model.predict(records) equals `densenode predict`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as dn from '../lib/index.js';
import { Random } from '../lib/random.js';
import { packageRoot } from './helpers/backends.js';

const bin = join(packageRoot, 'bin', 'densenode.cjs');
const work = mkdtempSync(join(tmpdir(), 'densenode-cli-tabular-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[]) {
  const run = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: 'utf8', timeout: 120_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const header = ['customer_id', 'age', 'plan', 'signup', 'region', 'spend'];

/** Customers: churn depends on age, plan and spend; some cells missing; region is noise. */
function customers(n: number, seed: number, regression = false): string {
  const random = new Random(seed);
  const plans = ['basic', 'plus', 'pro'];
  const lines = [[...header, regression ? 'revenue' : 'churn'].join(',')];
  for (let i = 0; i < n; i++) {
    const age = 18 + Math.floor(random.uniform() * 60);
    const plan = plans[Math.floor(random.uniform() * 3)] as string;
    const spend = random.uniform() * 100;
    const score = (age - 45) / 10 + (plan === 'pro' ? -1.5 : plan === 'basic' ? 1 : 0) + (spend - 50) / 25 + random.normal() * 0.3;
    const target = regression ? (200 + 3 * age + 2 * spend + (plan === 'pro' ? 80 : 0)).toFixed(2) : score > 0 ? 'yes' : 'no';
    const month = String(1 + (i % 12)).padStart(2, '0');
    lines.push(
      [
        `cust-${10_000 + i}`,
        i % 13 === 0 ? '' : String(age),
        i % 17 === 0 ? '?' : plan,
        `2022-${month}-0${1 + (i % 9)}`,
        `r${i % 4}`,
        spend.toFixed(2),
        target,
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

const file = (name: string, text: string) => {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
};

describe('densenode on a raw table', () => {
  const train = file('train.csv', customers(600, 1));
  const model = join(work, 'churn');

  it('types the columns, trains, and beats chance by far', () => {
    const run = cli(['train', train, '--target', 'churn', '--out', model]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/customer_id: dropped \(ID-like/);
    expect(run.stdout).toMatch(/plan: categorical: 3 levels, .*missing as a level/);
    expect(run.stdout).toMatch(/signup: date \(ymd\)/);
    expect(run.stdout).toMatch(/age: numeric; \d+ missing → median/);
    expect(Number(/test accuracy: ([\d.]+)%/.exec(run.stdout)?.[1])).toBeGreaterThan(85);
    const record = JSON.parse(readFileSync(join(model, 'history.json'), 'utf8'));
    expect(record.data.columns).toContainEqual({ column: 'customer_id', message: expect.stringMatching(/^dropped \(ID-like/) });
  });

  it('evaluate --json prints accuracy, predict writes what model.predict(records) gives', async () => {
    // Columns in another order, an extra column, an unseen plan.
    const raw = customers(50, 2).trim().split('\n');
    const cells = raw.map((line) => line.split(','));
    const order = [6, 5, 3, 2, 1, 0, 4];
    const shuffled = cells.map((row, i) =>
      [...order.map((j) => row[j]), i === 0 ? 'note' : 'x'].map((v, k) => (i === 3 && k === 3 ? 'enterprise' : v)),
    );
    const test = file('test.csv', `${shuffled.map((r) => r.join(',')).join('\n')}\n`);
    const evaluated = cli(['evaluate', model, test, '--json']);
    expect(evaluated.code).toBe(0);
    expect(evaluated.stderr).toMatch(/ignoring column 'note'/);
    const figures = JSON.parse(evaluated.stdout);
    expect(figures.rows).toBe(50);
    expect(figures.accuracy).toBeGreaterThan(0.7);

    const predicted = cli(['predict', model, test, '--out', join(work, 'preds.csv')]);
    expect(predicted.code).toBe(0);
    const lines = (await import('node:fs')).readFileSync(join(work, 'preds.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('predicted,p(no),p(yes)');
    const loaded = await dn.load(model);
    const records = await dn.readCsv(test);
    const out = loaded.predict(records);
    const classes = loaded.predictClasses(records);
    lines.slice(1).forEach((line, i) => {
      const [name, , p] = line.split(',');
      expect(name).toBe(classes[i]);
      expect(Math.abs(Number(p) - (out.data[i] as number))).toBeLessThan(1e-4);
    });
  });

  it('a missing column is an error naming it', () => {
    const text = customers(10, 3).replace('plan,', 'tier,');
    const run = cli(['predict', model, file('renamed.csv', text)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/needs the column 'plan', which the header lacks/);
  });

  it('a regression reports r2, mae and rmse in the target units', async () => {
    const dir = join(work, 'revenue');
    expect(cli(['train', file('rev.csv', customers(600, 4, true)), '--target', 'revenue', '--out', dir, '--quiet']).code).toBe(0);
    const test = file('rev-test.csv', customers(100, 5, true));
    const run = cli(['evaluate', dir, test, '--json']);
    expect(run.code).toBe(0);
    const figures = JSON.parse(run.stdout);
    expect(figures.r2).toBeGreaterThan(0.9);
    const loaded = await dn.load(dir);
    const records = await dn.readCsv(test);
    const out = loaded.predict(records).data;
    const mae = records.reduce((s, r, i) => s + Math.abs((out[i] as number) - Number(r.revenue)), 0) / records.length;
    expect(figures.mae).toBeCloseTo(mae, 1);
    expect(figures.rmse).toBeGreaterThanOrEqual(figures.mae);
    const predicted = cli(['predict', dir, test]).stdout.trim().split('\n');
    expect(predicted[0]).toBe('prediction');
    expect(Math.abs(Number(predicted[1]) - (out[0] as number))).toBeLessThan(1e-3);
  });

  it('rows without a label are left out of training and evaluate, and counted', () => {
    const text = customers(200, 6).replace(/,(yes|no)\n/, ',\n');
    const path = file('gaps.csv', text);
    const run = cli(['train', path, '--target', 'churn', '--out', join(work, 'gaps'), '--epochs', '5']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/churn: 1 rows without a label left out/);
    const evaluated = JSON.parse(cli(['evaluate', join(work, 'gaps'), path, '--json']).stdout);
    expect(evaluated).toMatchObject({ rows: 199, droppedRows: 1 });
  });

  it('reads JSON records (.json arrays, .jsonl lines) like a CSV, and names a nested value', async () => {
    const records = await dn.readCsv(join(work, 'train.csv'));
    const typed = records.map((r) => ({ ...r, age: r.age === '' ? null : Number(r.age), spend: Number(r.spend) }));
    const json = file('train.json', JSON.stringify(typed));
    const lines = file('train.jsonl', typed.map((r) => JSON.stringify(r)).join('\n'));
    const dir = join(work, 'from-json');
    expect(cli(['train', json, '--target', 'churn', '--out', dir, '--quiet']).code).toBe(0);
    const csvFigures = JSON.parse(cli(['evaluate', dir, join(work, 'train.csv'), '--json']).stdout);
    const jsonFigures = JSON.parse(cli(['evaluate', dir, lines, '--json']).stdout);
    expect(jsonFigures.loss).toBeCloseTo(csvFigures.loss, 6);
    const bad = cli(['evaluate', dir, file('nested.jsonl', '{"age": 3, "churn": "no"}\n{"age": {"v": 1}, "churn": "no"}\n')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/nested\.jsonl: line 2, column 'age': a nested value/);
  });

  it('reads JSONL whose keys are named like Object.prototype members, absent from some lines, as missing there', () => {
    const lines = Array.from({ length: 120 }, (_, i) => {
      const cells: [string, string | number][] = [['x', i % 9]];
      if (i % 3) cells.push(['constructor', 'ab'[i % 2] as string]);
      if (i % 4) cells.push(['__proto__', 'pq'[i % 2] as string]);
      if (i % 7) cells.push(['toString', i % 9 > 4 ? 'yes' : 'no']);
      // fromEntries defines the keys (an assignment to __proto__ would set the prototype).
      return JSON.stringify(Object.fromEntries(cells));
    });
    const data = file('proto.jsonl', `${lines.join('\n')}\n`);
    const dir = join(work, 'proto-model');
    const run = cli(['train', data, '--target', 'toString', '--out', dir, '--epochs', '3']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/__proto__: categorical: 2 levels, \d+ missing as a level/);
    const evaluated = cli(['evaluate', dir, data, '--json']);
    expect(evaluated.code).toBe(0);
    expect(JSON.parse(evaluated.stdout).rows).toBe(lines.filter((l) => l.includes('"toString"')).length);
  });
});
