#!/usr/bin/env node
// Cross-validates the densenode CLI on the folds that make-folds.py wrote and holds it to the
// scikit-learn baselines (bench/tabular/results/sklearn.json): a table PASSes when densenode's
// mean score over the folds is at least the best baseline's mean minus its std.
//
// For each table of bench/tabular/tables.json and each fold k:
//   node bin/densenode.cjs train fold<k>-train.csv --target T --test 0 --out TMP --quiet [extra]
//   node bin/densenode.cjs evaluate TMP fold<k>-test.csv --json
// and reads `accuracy` (classification) or `r2` (regression) from evaluate's JSON.
//
//   node bench/tabular/densenode-cv.mjs [--tables a,b] [options] [-- extra train args]
//
// Options:
//   --tables a,b       only these tables (names from tables.json)
//   --spec FILE        the tables (default bench/tabular/tables.json)
//   --baseline FILE    the baselines (default bench/tabular/results/sklearn.json)
//   --out FILE         where to write the results (default bench/tabular/results/densenode.json)
//   --cli FILE         the CLI to run (default bin/densenode.cjs of this checkout)
//   --timeout SECONDS  kill a train or evaluate that runs longer (default 1800)
//   --keep             keep each fold's model directory (their paths are in the JSON)
// TABLES_DIR: where prepare-tables.sh and make-folds.py wrote (default ~/.cache/densenode-tables).
// Exits 0 when every table passes, 1 when one fails or errs, 2 on a usage error.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');

function usage(message, code = 2) {
  console.error(`densenode-cv: ${message}`);
  console.error(
    'usage: node bench/tabular/densenode-cv.mjs [--tables a,b] [--spec F] [--baseline F] [--out F] [--cli F] [--timeout S] [--keep] [-- train args]',
  );
  process.exit(code);
}

function parseArgs(argv) {
  const options = {
    tables: null,
    spec: join(here, 'tables.json'),
    baseline: join(here, 'results', 'sklearn.json'),
    out: join(here, 'results', 'densenode.json'),
    cli: join(repo, 'bin', 'densenode.cjs'),
    timeout: 1800,
    keep: false,
    trainArgs: [],
  };
  const valued = {
    '--tables': 'tables',
    '--spec': 'spec',
    '--baseline': 'baseline',
    '--out': 'out',
    '--cli': 'cli',
    '--timeout': 'timeout',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      options.trainArgs = argv.slice(i + 1);
      break;
    }
    if (arg === '--keep') {
      options.keep = true;
      continue;
    }
    if (arg === '--help' || arg === '-h')
      usage('cross-validates the densenode CLI against the sklearn baselines (see the comment at the top of this file)', 0);
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const key = valued[name];
    if (key === undefined) usage(`unknown argument ${arg} (train arguments go after --)`);
    const value = inline ?? argv[++i];
    if (value === undefined) usage(`${name} needs a value`);
    options[key] = value;
  }
  options.tables = options.tables === null ? null : options.tables.split(',').filter((s) => s !== '');
  options.timeout = Number(options.timeout);
  if (!(options.timeout > 0)) usage('--timeout expects a number of seconds > 0');
  for (const key of ['spec', 'baseline', 'out', 'cli']) options[key] = resolve(options[key]);
  return options;
}

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

/** Mean and sample standard deviation (n - 1), as sklearn-baselines.py reports them. */
function summary(values) {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std };
}

function run(args, timeoutSeconds) {
  const started = performance.now();
  const child = spawnSync(process.execPath, args, {
    cwd: repo,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: timeoutSeconds * 1000,
    killSignal: 'SIGKILL',
  });
  const seconds = (performance.now() - started) / 1000;
  let error = null;
  if (child.error !== undefined) error = child.error.code === 'ETIMEDOUT' ? `timed out after ${timeoutSeconds} s` : child.error.message;
  else if (child.status !== 0) error = `exit ${child.status ?? child.signal}`;
  if (error !== null) {
    const said = `${child.stderr ?? ''}\n${child.stdout ?? ''}`.trim().split('\n').slice(-5).join('\n');
    if (said !== '') error = `${error}: ${said}`;
  }
  return { stdout: child.stdout ?? '', seconds, error };
}

/** The last line of stdout that is a JSON object. */
function lastJson(stdout) {
  const lines = stdout.trim().split('\n').reverse();
  for (const line of lines) {
    const text = line.trim();
    if (!text.startsWith('{')) continue;
    try {
      return JSON.parse(text);
    } catch {}
  }
  return null;
}

function cpuModel() {
  const lscpu = spawnSync('lscpu', [], { encoding: 'utf8' });
  const line = (lscpu.stdout ?? '').split('\n').find((l) => l.startsWith('Model name:'));
  return line !== undefined ? line.slice('Model name:'.length).trim() : (cpus()[0]?.model ?? 'unknown');
}

/** The commit of the checkout the CLI is in, and whether its sources differ from it. */
function gitState(cli) {
  const cwd = dirname(dirname(cli));
  const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8' });
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'lib', 'bin', 'native'], { cwd, encoding: 'utf8' });
  return { commit: head.status === 0 ? head.stdout.trim() : null, dirty: dirty.status === 0 ? dirty.stdout.trim() !== '' : null };
}

function crossValidate(table, folds, options, tablesDir) {
  const metric = table.task === 'classification' ? 'accuracy' : 'r2';
  const results = [];
  for (let k = 1; k <= folds; k++) {
    const train = join(tablesDir, 'folds', table.name, `fold${k}-train.csv`);
    const test = join(tablesDir, 'folds', table.name, `fold${k}-test.csv`);
    const modelDir = mkdtempSync(join(tmpdir(), `densenode-cv-${table.name}-fold${k}-`));
    const fold = { fold: k, score: null, trainSeconds: null, evaluateSeconds: null, error: null };
    const trained = run(
      [options.cli, 'train', train, '--target', table.target, '--test', '0', '--out', modelDir, '--quiet', ...options.trainArgs],
      options.timeout,
    );
    fold.trainSeconds = round(trained.seconds, 2);
    if (trained.error !== null) fold.error = `train: ${trained.error}`;
    else {
      const evaluated = run([options.cli, 'evaluate', modelDir, test, '--json'], options.timeout);
      fold.evaluateSeconds = round(evaluated.seconds, 2);
      const json = evaluated.error === null ? lastJson(evaluated.stdout) : null;
      if (evaluated.error !== null) fold.error = `evaluate: ${evaluated.error}`;
      else if (json === null) fold.error = 'evaluate: printed no JSON object';
      else if (typeof json[metric] !== 'number' || !Number.isFinite(json[metric]))
        fold.error = `evaluate: its JSON has no ${metric} (keys: ${Object.keys(json).join(', ')})`;
      else {
        fold.score = json[metric];
        for (const extra of ['rows', 'loss', 'mae', 'rmse']) if (typeof json[extra] === 'number') fold[extra] = json[extra];
      }
    }
    if (options.keep) fold.modelDir = modelDir;
    else rmSync(modelDir, { recursive: true, force: true });
    const shown = fold.error !== null ? `ERROR ${fold.error.split('\n')[0]}` : `${metric} ${fold.score.toFixed(4)}`;
    console.error(`densenode-cv: ${table.name} fold ${k}/${folds}: ${shown} (train ${fold.trainSeconds} s)`);
    results.push(fold);
  }
  return { metric, results };
}

const round = (value, digits) => Math.round(value * 10 ** digits) / 10 ** digits;

/** JSON as biome (the repo's formatter) lays it out: objects expanded, arrays of scalars on one line when it fits in 140 columns. */
function toJson(value, indent = 0, used = 0) {
  const pad = '  '.repeat(indent);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((v) => v === null || typeof v !== 'object')) {
      const flat = `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
      if (used + flat.length + 1 <= 140) return flat;
    }
    return `[\n${value.map((v) => `${pad}  ${toJson(v, indent + 1, pad.length + 2)}`).join(',\n')}\n${pad}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    const lines = entries.map(([k, v]) => {
      const head = `${pad}  ${JSON.stringify(k)}: `;
      return head + toJson(v, indent + 1, head.length);
    });
    return `{\n${lines.join(',\n')}\n${pad}}`;
  }
  return JSON.stringify(value);
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  const tablesDir = process.env.TABLES_DIR || join(homedir(), '.cache', 'densenode-tables');
  if (!existsSync(options.cli)) usage(`${options.cli} does not exist (--cli)`);
  let tables = readJson(options.spec).tables;
  if (options.tables !== null) {
    const unknown = options.tables.filter((name) => !tables.some((t) => t.name === name));
    if (unknown.length > 0) usage(`no table named ${unknown.join(', ')} in ${options.spec}`);
    tables = tables.filter((t) => options.tables.includes(t.name));
  }
  const manifestFile = join(tablesDir, 'folds', 'folds.json');
  if (!existsSync(manifestFile)) usage(`${manifestFile} is missing: run bench/tabular/prepare-tables.sh and make-folds.py first`);
  const manifest = readJson(manifestFile);
  const baseline = existsSync(options.baseline) ? readJson(options.baseline) : null;
  if (baseline === null) console.error(`densenode-cv: no ${options.baseline}: scores only, no PASS/FAIL (run sklearn-baselines.py)`);

  const started = performance.now();
  const out = {};
  for (const table of tables) {
    const folds = manifest.tables[table.name]?.folds?.length;
    if (folds === undefined) usage(`no folds for ${table.name} in ${manifestFile}: run make-folds.py`);
    const { metric, results } = crossValidate(table, folds, options, tablesDir);
    const errors = results.filter((r) => r.error !== null);
    const entry = { task: table.task, target: table.target, metric, folds, scores: results.map((r) => r.score) };
    if (errors.length === 0) Object.assign(entry, summary(results.map((r) => r.score)));
    const bar = baseline?.tables?.[table.name];
    if (bar !== undefined) {
      entry.baseline = { model: bar.best, mean: bar.models[bar.best].mean, std: bar.models[bar.best].std, bestMinusStd: bar.bestMinusStd };
    }
    if (errors.length > 0) entry.verdict = 'ERROR';
    else if (bar === undefined) entry.verdict = 'NO-BASELINE';
    else entry.verdict = entry.mean >= bar.bestMinusStd ? 'PASS' : 'FAIL';
    entry.trainSeconds = round(
      results.reduce((a, r) => a + (r.trainSeconds ?? 0), 0),
      2,
    );
    entry.runs = results;
    out[table.name] = entry;
  }

  const line = (cells, widths) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  const widths = [16, 9, 17, 24, 10, 8];
  console.log();
  console.log(line(['table', 'metric', 'densenode', 'sklearn best', 'best-1std', 'verdict'], widths));
  for (const [name, e] of Object.entries(out)) {
    const mine =
      e.mean !== undefined
        ? `${e.mean.toFixed(4)} ± ${e.std.toFixed(4)}`
        : `${e.runs.filter((r) => r.error !== null).length} fold(s) failed`;
    const theirs = e.baseline !== undefined ? `${e.baseline.model} ${e.baseline.mean.toFixed(4)} ± ${e.baseline.std.toFixed(4)}` : '-';
    const bar = e.baseline !== undefined ? e.baseline.bestMinusStd.toFixed(4) : '-';
    console.log(line([name, e.metric, mine, theirs, bar, e.verdict], widths));
  }
  for (const [name, e] of Object.entries(out)) {
    const failed = e.runs.find((r) => r.error !== null);
    if (failed !== undefined) console.log(`${name}: fold ${failed.fold}: ${failed.error}`);
  }
  const verdicts = Object.values(out).map((e) => e.verdict);
  const passed = verdicts.filter((v) => v === 'PASS').length;
  const failed = verdicts.filter((v) => v === 'FAIL' || v === 'ERROR').length;
  console.log(`${passed} passed, ${failed} failed`);

  let document = {
    generated: new Date().toISOString(),
    node: process.version,
    cpu: cpuModel(),
    cores: cpus().length,
    cli: options.cli,
    git: gitState(options.cli),
    trainArgs: options.trainArgs,
    baseline: baseline !== null ? { file: options.baseline, generated: baseline.generated, sklearn: baseline.sklearn } : null,
    seconds: round((performance.now() - started) / 1000, 1),
    tables: out,
  };
  if (options.tables !== null && existsSync(options.out)) {
    // A run of some tables keeps the other tables' results of an earlier run with the same train args.
    const earlier = readJson(options.out);
    if (JSON.stringify(earlier.trainArgs) === JSON.stringify(options.trainArgs))
      document = { ...document, tables: { ...earlier.tables, ...out } };
  }
  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(options.out, `${toJson(document)}\n`);
  console.error(`densenode-cv: wrote ${options.out}`);
  process.exitCode = failed > 0 ? 1 : 0;
}

main();
