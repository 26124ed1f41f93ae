// `densenode train` on a CSV past the memory budget: it says it streams, trains through the disk
// cache (or without one), and the model it writes evaluates and predicts like any other.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Random } from '../lib/random.js';
import { packageRoot } from './helpers/backends.js';

const bin = join(packageRoot, 'bin', 'densenode.cjs');
const work = mkdtempSync(join(tmpdir(), 'densenode-cli-stream-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[]) {
  const run = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: 'utf8', timeout: 120_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

function orders(n: number, seed: number): string {
  const random = new Random(seed);
  const lines = ['order_id,amount,items,channel,region,returned'];
  for (let i = 0; i < n; i++) {
    const amount = Math.exp(3 + random.normal());
    const items = 1 + random.below(6);
    const channel = ['web', 'app', 'store'][random.below(3)] as string;
    const z = (Math.log(amount) - 3) * 1.5 + (channel === 'web' ? 1 : -0.5) - 0.3 * items + 0.4 * random.normal();
    lines.push([i, i % 11 === 0 ? '' : amount.toFixed(2), items, channel, `r${random.below(4)}`, z > 0 ? 'yes' : 'no'].join(','));
  }
  return `${lines.join('\n')}\n`;
}

describe('densenode train, streaming', () => {
  const data = join(work, 'orders.csv');
  writeFileSync(data, orders(4000, 1));

  it('streams a CSV over --memory through a cache, and the model it writes evaluates', () => {
    const run = cli(['train', 'orders.csv', '--memory', '1MB', '--epochs', '5', '--layers', '16', '--out', 'm']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /orders\.csv: 0 MB, more than the memory budget of 1 MB \(--memory\) allows in memory: streaming it through a disk cache/,
    );
    expect(run.stdout).toMatch(
      /\d+ train, \d+ validation, \d+ test rows \(split by row\); .*2 classes \(sigmoid\); cache in .*orders\.csv\.cache/,
    );
    expect(existsSync(join(work, 'orders.csv.cache', 'cache.json'))).toBe(true);
    expect(run.stdout).toMatch(/fitting the column spec: 100% \(0 MB, 4,000 rows\)\n {2}writing the disk cache: 100%/);
    const accuracy = Number(/test accuracy: ([\d.]+)%/.exec(run.stdout)?.[1]);
    expect(accuracy).toBeGreaterThan(85);
    const history = JSON.parse(readFileSync(join(work, 'm', 'history.json'), 'utf8'));
    expect(history.data.streamed.cache).toMatch(/orders\.csv\.cache$/);
    expect(readFileSync(join(work, 'm', 'report.html'), 'utf8')).toMatch(/fitted on [\d,]+ training rows/);
    const evaluated = cli(['evaluate', 'm', 'orders.csv', '--json']);
    expect(evaluated.code).toBe(0);
    expect(JSON.parse(evaluated.stdout).accuracy).toBeGreaterThan(0.85);
  });

  it('streams without a cache, or into a given one', () => {
    const plain = cli(['train', 'orders.csv', '--memory', '1MB', '--no-cache', '--epochs', '2', '--out', 'm2', '--json']);
    expect(plain.code).toBe(0);
    expect(JSON.parse(readFileSync(join(work, 'm2', 'history.json'), 'utf8')).data.streamed).toEqual({ cache: null });
    const given = cli(['train', 'orders.csv', '--cache', 'here', '--epochs', '2', '--out', 'm3', '--quiet']);
    expect(given.code).toBe(0);
    expect(existsSync(join(work, 'here', 'cache.json'))).toBe(true);
  });

  it('says what is wrong with --memory', () => {
    const run = cli(['train', 'orders.csv', '--memory', 'lots']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--memory.*expected a size like 512MB or 2GB/);
  });
});
