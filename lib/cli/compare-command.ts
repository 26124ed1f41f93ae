// `densenode compare [DATA]`: the seed author's experiment as one command.
// Trains a series of configurations on the same split (by default plain
// gradient descent, momentum, RMSprop, Adam, then Adam with L2, dropout,
// batch-norm and all three), prints a table and overlays every learning curve.
// With --folds or --seeds the series runs on several splits instead
// (compare-resampled.ts), because one small test split cannot tell runs apart.
import { mkdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { isObject } from '../io/json-read.js';
import { compareResampled } from './compare-resampled.js';
import { loadPrepared, type OutputKind } from './dataset.js';
import { DataError, UsageError } from './errors.js';
import { learningCurvesSvg } from './plot.js';
import { fixed, percent, Reporter, reportMode } from './progress.js';
import { checkRunConfig, type RunConfig, type RunResult, runTraining } from './run.js';
import { interruptible } from './signals.js';
import { sparkline, textTable } from './terminal-chart.js';

type RunOverrides = Partial<Omit<RunConfig, 'name'>> & { name: string };

/** The default series; learning rates are the ones each optimizer is usually run with. */
export const DEFAULT_SERIES: RunOverrides[] = [
  { name: 'gd', optimizer: 'sgd', lr: 0.05 },
  { name: 'momentum', optimizer: 'momentum', lr: 0.05 },
  { name: 'rmsprop', optimizer: 'rmsprop', lr: 0.001 },
  { name: 'adam', optimizer: 'adam', lr: 0.001 },
  { name: 'adam+l2', optimizer: 'adam', lr: 0.001, l2: 0.05 },
  { name: 'adam+dropout', optimizer: 'adam', lr: 0.001, dropout: 0.2 },
  { name: 'adam+batchnorm', optimizer: 'adam', lr: 0.001, batchNorm: true },
  { name: 'adam+all', optimizer: 'adam', lr: 0.001, l2: 0.05, dropout: 0.2, batchNorm: true },
];

const RUN_KEYS = new Set(['name', 'layers', 'optimizer', 'lr', 'l2', 'dropout', 'batchNorm', 'epochs', 'batchSize', 'seed', 'patience']);

/** Reads a compare config: { "base"?: {…run fields}, "runs": [{ "name", …run fields }] }. */
export async function readCompareConfig(file: string): Promise<{ base: Partial<RunConfig>; runs: RunOverrides[] }> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new DataError(`${file}: ${e.code === 'ENOENT' ? 'no such file' : `not valid JSON (${e.message})`}`);
  }
  if (!isObject(json) || !Array.isArray(json.runs) || json.runs.length === 0) {
    throw new DataError(`${file}: expected { "runs": [{ "name": "…", "optimizer": "adam", … }, …] }`);
  }
  const checkKeys = (value: unknown, where: string) => {
    if (!isObject(value)) throw new DataError(`${file}: ${where} must be an object`);
    for (const key of Object.keys(value)) {
      if (!RUN_KEYS.has(key)) throw new DataError(`${file}: ${where}: unknown setting '${key}' (settings: ${[...RUN_KEYS].join(', ')})`);
    }
    return value;
  };
  const base = json.base === undefined ? {} : checkKeys(json.base, 'base');
  const runs = json.runs.map((run, i) => {
    const r = checkKeys(run, `runs[${i}]`);
    if (typeof r.name !== 'string' || r.name === '') throw new DataError(`${file}: runs[${i}] needs a "name"`);
    return r as RunOverrides;
  });
  const names = runs.map((r) => r.name);
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated !== undefined) throw new DataError(`${file}: two runs are named '${repeated}'`);
  return { base: base as Partial<RunConfig>, runs };
}

export interface CompareFlags {
  config?: string;
  target?: string;
  labels?: string;
  layers: number[];
  output?: OutputKind;
  epochs: number;
  batchSize: number;
  seed: number;
  validation: number;
  test: number;
  out: string;
  json: boolean;
  quiet: boolean;
  /** K-fold cross-validation instead of one split (K >= 2). */
  folds?: number;
  /** Repeat every run over N seeded splits instead of one (N >= 2). */
  seeds?: number;
}

function table(results: RunResult[]): string {
  const metric = (r: RunResult, split: string) => {
    const m = r.metrics.find((x) => x.split === split);
    return m === undefined ? '-' : `${fixed(m.loss)} ${m.accuracy !== undefined ? percent(m.accuracy) : ''}`.trim();
  };
  const rows = results.map((r) => [
    r.config.name,
    r.config.lr === undefined ? 'default' : String(r.config.lr),
    String(r.config.l2),
    String(r.config.dropout),
    r.config.batchNorm ? 'yes' : 'no',
    metric(r, 'train'),
    metric(r, 'validation'),
    metric(r, 'test'),
    `${r.history.epochs.length}${r.history.stopReason === 'completed' ? '' : ` (${r.history.stopReason})`}`,
    r.seconds.toFixed(2),
    sparkline(r.history.history.loss ?? []),
  ]);
  const header = ['run', 'lr', 'l2', 'dropout', 'bn', 'train loss/acc', 'val loss/acc', 'test loss/acc', 'epochs', 'seconds', 'loss curve'];
  return textTable(header, rows);
}

export async function compareCommand(data: string | undefined, flags: CompareFlags, command: string): Promise<number> {
  const file = flags.config === undefined ? null : await readCompareConfig(flags.config);
  const base: Omit<RunConfig, 'name' | 'optimizer'> = {
    layers: flags.layers,
    l2: 0,
    dropout: 0,
    batchNorm: false,
    epochs: flags.epochs,
    batchSize: flags.batchSize,
    seed: flags.seed,
    patience: 0,
    ...(file?.base ?? {}),
  };
  const configs = (file?.runs ?? DEFAULT_SERIES).map((run, i) =>
    checkRunConfig(
      { ...base, optimizer: 'adam', ...run } as RunConfig,
      flags.config !== undefined ? `${flags.config}: runs[${i}] (${run.name})` : `compare (${run.name})`,
    ),
  );
  // One line per run (its last epoch): the table is the point.
  const reporter = new Reporter(reportMode(flags), 1);
  if (flags.folds !== undefined && flags.seeds !== undefined) throw new UsageError('--folds and --seeds cannot be combined: pick one');
  if (flags.folds !== undefined || flags.seeds !== undefined) return compareResampled(data, flags, configs, reporter, command);
  const prepared = await loadPrepared(data, flags);
  reporter.say(
    `${prepared.name}: ${configs.length} runs, ${prepared.train.x.rows} train / ${prepared.validation?.x.rows ?? 0} validation / ${prepared.test?.x.rows ?? 0} test rows`,
  );
  const results: RunResult[] = [];
  let aborted = false;
  for (const config of configs) {
    reporter.say(
      `\n${config.name}: ${config.optimizer}${config.lr !== undefined ? ` lr ${config.lr}` : ''}, l2 ${config.l2}, dropout ${config.dropout}, batch-norm ${config.batchNorm ? 'on' : 'off'}`,
    );
    const result = await interruptible((signal) => runTraining(config, prepared, reporter, signal), reporter);
    results.push(result);
    reporter.emit({
      type: 'run',
      name: config.name,
      config,
      epochs: result.history.epochs.length,
      stopReason: result.history.stopReason,
      seconds: result.seconds,
      metrics: result.metrics,
    });
    if (result.history.stopReason === 'aborted') {
      aborted = true;
      break;
    }
  }
  const svg = await learningCurvesSvg(
    results.map((r) => ({ name: r.config.name, history: r.history })),
    { title: `Learning curves: ${prepared.name}` },
  );
  const files = { plot: join(flags.out, 'compare.svg'), results: join(flags.out, 'compare.json') };
  await mkdir(flags.out, { recursive: true });
  await writeFileAtomic(files.plot, svg);
  const record = {
    command,
    data: prepared.name,
    runs: results.map((r) => ({
      config: r.config,
      metrics: r.metrics,
      seconds: r.seconds,
      stopReason: r.history.stopReason,
      history: r.history.history,
    })),
  };
  await writeFileAtomic(files.results, `${JSON.stringify(record, null, 1)}\n`);
  reporter.emit({ type: 'result', files });
  reporter.say(`\n${table(results)}\n\nwrote ${relative('.', files.plot) || files.plot}, ${relative('.', files.results) || files.results}`);
  if (flags.config === undefined) reporter.say('(the default series; --config FILE compares your own runs)');
  if (aborted && results.length < configs.length) reporter.say(`interrupted: ${configs.length - results.length} runs not started`);
  return aborted ? 130 : 0;
}
