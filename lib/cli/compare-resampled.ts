// `densenode compare --folds K` and `--seeds N`: one split says little about a
// small test set (the same series can land anywhere within a few points), so
// every run is trained on K folds or N seeded splits, all runs on the same ones,
// and the table gives mean ± std with a paired t-test against the best run.
// Splits run in the outer loop: each is prepared once, and a Ctrl-C leaves
// every run with the same completed splits, which the test needs.
import { mkdir } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { BUILTIN, type DataFlags, isIdx, loadPrepared, type PreparedData } from './dataset.js';
import { UsageError } from './errors.js';
import { foldSplits } from './folds.js';
import { mean, type PairedTest, pairedTTest, sampleStd } from './paired-test.js';
import { learningCurvesSvg } from './plot.js';
import { percent, type Reporter } from './progress.js';
import { type RunConfig, type RunResult, runTraining, type SplitMetrics } from './run.js';
import { interruptible } from './signals.js';
import { readCsvRows } from './table-data.js';
import { sparkline, textTable } from './terminal-chart.js';

/** Significance level of the paired test: p at or above it is "within noise of the best". */
export const ALPHA = 0.05;

interface SplitInfo {
  /** 1-based, as the output counts folds and seeds. */
  index: number;
  seed: number;
  rows: { train: number; validation: number; test: number };
  /** File lines of the test rows (CSV folds only). */
  testLines?: number[];
  /** The column spec as fitted on this split's training rows (CSV only). */
  columns?: unknown;
}

interface RunOnSplit {
  /** 1-based, matching SplitInfo.index. */
  index: number;
  seed: number;
  /** Test accuracy (classification) or r2 (regression). */
  score: number;
  metrics: SplitMetrics[];
  epochs: number;
  stopReason: string;
  seconds: number;
  diverged: string | null;
}

interface Splits {
  mode: 'folds' | 'seeds';
  count: number;
  name: string;
  /** The data of split i, prepared when its turn comes (one split in memory at a time). */
  prepare: (i: number) => Promise<{ data: PreparedData; info: SplitInfo }>;
}

function describe(data: PreparedData, index: number, seed: number, testLines?: number[]): SplitInfo {
  return {
    index: index + 1,
    seed,
    rows: { train: data.train.x.rows, validation: data.validation?.x.rows ?? 0, test: data.test?.x.rows ?? 0 },
    ...(testLines !== undefined ? { testLines } : {}),
    ...(data.preprocessing.tabular !== undefined ? { columns: data.preprocessing.tabular.columns } : {}),
  };
}

/** The flags resampling reads (CompareFlags has them all). */
export interface ResampleFlags extends DataFlags {
  folds?: number;
  seeds?: number;
  out: string;
}

async function openSplits(data: string | undefined, flags: ResampleFlags): Promise<Splits> {
  if (flags.folds !== undefined) {
    if (data === 'fashion-mnist' || (data !== undefined && isIdx(data))) {
      throw new UsageError(
        `--folds works on CSV data, ${data} is images${data === 'fashion-mnist' ? ' with its own test set' : ''}: use --seeds N to repeat each run over N seeded splits`,
      );
    }
    if (!(flags.validation >= 0 && flags.validation < 1))
      throw new UsageError(`--validation must be a fraction in [0, 1), received ${flags.validation}`);
    const file = data ?? BUILTIN;
    const name = data === undefined ? 'breast-cancer (built-in)' : basename(file);
    const csv = await readCsvRows(file, name, flags);
    const splits = foldSplits(csv.labelled, flags.folds, flags.validation, flags.seed);
    return {
      mode: 'folds',
      count: splits.length,
      name,
      prepare: async (i) => {
        const split = splits[i] as (typeof splits)[number];
        const prepared = csv.prepare(split);
        return { data: prepared, info: describe(prepared, i, flags.seed, split.testLines) };
      },
    };
  }
  const count = flags.seeds ?? 2;
  // The first split is loaded up front so that a bad DATA or flag fails before any training.
  let first: PreparedData | null = await loadPrepared(data, flags);
  if (first.test === null) throw new UsageError('--seeds scores every run on the test split: give --test a fraction > 0');
  const name = first.name;
  return {
    mode: 'seeds',
    count,
    name,
    prepare: async (i) => {
      const seed = flags.seed + i;
      const prepared = i === 0 && first !== null ? first : await loadPrepared(data, { ...flags, seed });
      first = null;
      return { data: prepared, info: describe(prepared, i, seed) };
    },
  };
}

/** The test figure a comparison ranks by: accuracy, or r2 for a regression (scale free, so the standardised target does). */
function score(result: RunResult, data: PreparedData): number {
  const test = data.test;
  if (test === null) return Number.NaN;
  if (data.output === 'linear') return result.model.evaluate(test.x, test.y.y).r2 ?? Number.NaN;
  return result.metrics.find((m) => m.split === 'test')?.accuracy ?? Number.NaN;
}

interface RunSummary {
  config: RunConfig;
  splits: RunOnSplit[];
  /** The first split's history, for the learning-curve plot. */
  first: RunResult['history'] | null;
  mean: number;
  std: number;
  /** Against the best run over the completed splits; null for the best run itself or too few splits. */
  vsBest: (PairedTest & { best: string; withinNoise: boolean }) | null;
}

/** Mean, std and the paired test over the first `complete` splits (those every run finished). */
function summarise(runs: RunSummary[], complete: number): RunSummary | null {
  const scores = (r: RunSummary) => r.splits.slice(0, complete).map((s) => s.score);
  for (const r of runs) {
    r.mean = complete > 0 ? mean(scores(r)) : Number.NaN;
    r.std = sampleStd(scores(r));
  }
  const ranked = runs.filter((r) => Number.isFinite(r.mean));
  if (ranked.length === 0) return null;
  const best = ranked.reduce((a, b) => (b.mean > a.mean ? b : a));
  if (complete < 2) return best;
  for (const r of runs) {
    if (r === best) continue;
    const test = pairedTTest(scores(best), scores(r));
    r.vsBest = { ...test, best: best.config.name, withinNoise: test.p >= ALPHA };
  }
  return best;
}

const formatP = (p: number) => (Number.isNaN(p) ? '-' : p < 0.001 ? '<0.001' : p.toFixed(3));

function table(runs: RunSummary[], best: RunSummary | null, regression: boolean, complete: number, mode: string): string {
  const value = (v: number) => (Number.isNaN(v) ? '-' : regression ? v.toFixed(3) : percent(v));
  const rows = runs.map((r) => {
    const done = r.splits.slice(0, complete);
    const scores = done.map((s) => s.score);
    const epochs = mean(done.map((s) => s.epochs));
    const stopped = done.filter((s) => s.stopReason !== 'completed').length;
    return [
      r.config.name,
      r.config.lr === undefined ? 'default' : String(r.config.lr),
      String(r.config.l2),
      String(r.config.dropout),
      r.config.batchNorm ? 'yes' : 'no',
      done.length === 0 ? '-' : `${value(r.mean)} ± ${value(r.std)}`,
      done.length === 0 ? '-' : `${value(Math.min(...scores))}..${value(Math.max(...scores))}`,
      r === best ? 'best' : r.vsBest === null ? '-' : `${r.vsBest.withinNoise ? '≈ best, ' : ''}p ${formatP(r.vsBest.p)}`,
      done.length === 0 ? '-' : `${Number.isInteger(epochs) ? epochs : epochs.toFixed(1)}${stopped > 0 ? ` (${stopped} stopped)` : ''}`,
      r.splits.reduce((sum, s) => sum + s.seconds, 0).toFixed(2),
      sparkline(r.first?.history.loss ?? []),
    ];
  });
  const metric = regression ? 'test r2' : 'test acc';
  const header = ['run', 'lr', 'l2', 'dropout', 'bn', `${metric} mean ± std`, 'min..max', 'vs best', 'epochs', 'seconds', `${mode} 1 loss`];
  return textTable(header, rows);
}

/** Trains every run on every split, then writes compare.svg (the first split's curves) and compare.json. */
export async function compareResampled(
  data: string | undefined,
  flags: ResampleFlags,
  configs: RunConfig[],
  reporter: Reporter,
  command: string,
): Promise<number> {
  const splits = await openSplits(data, flags);
  const unit = splits.mode === 'folds' ? 'fold' : 'seed';
  reporter.say(
    `${splits.name}: ${configs.length} runs × ${splits.count} ${splits.mode}` +
      (splits.mode === 'folds' ? ` (split by seed ${flags.seed})` : ` (seeds ${flags.seed}..${flags.seed + splits.count - 1})`),
  );
  const runs: RunSummary[] = configs.map((config) => ({ config, splits: [], first: null, mean: Number.NaN, std: 0, vsBest: null }));
  const infos: SplitInfo[] = [];
  let regression = false;
  let complete = 0;
  let aborted = false;
  for (let i = 0; i < splits.count && !aborted; i++) {
    const { data: prepared, info } = await splits.prepare(i);
    infos.push(info);
    regression = prepared.output === 'linear';
    reporter.say(
      `\n${unit} ${i + 1}/${splits.count}: ${info.rows.train} train / ${info.rows.validation} validation / ${info.rows.test} test rows`,
    );
    for (const run of runs) {
      // Each split also moves the initialisation, so the spread covers both sources of noise.
      const config = { ...run.config, seed: run.config.seed + i };
      reporter.say(`${config.name} (${unit} ${i + 1}):`);
      const result = await interruptible((signal) => runTraining(config, prepared, reporter, signal), reporter);
      const entry: RunOnSplit = {
        index: i + 1,
        seed: config.seed,
        score: score(result, prepared),
        metrics: result.metrics,
        epochs: result.history.epochs.length,
        stopReason: result.history.stopReason,
        seconds: result.seconds,
        diverged: result.diverged,
      };
      run.splits.push(entry);
      if (i === 0) run.first = result.history;
      reporter.emit({ type: 'run', name: config.name, config, ...entry });
      if (result.history.stopReason === 'aborted') {
        aborted = true;
        break;
      }
    }
    if (!aborted) complete = i + 1;
  }
  const best = summarise(runs, complete);

  const files = { plot: join(flags.out, 'compare.svg'), results: join(flags.out, 'compare.json') };
  const svg = await learningCurvesSvg(
    runs.filter((r) => r.first !== null).map((r) => ({ name: r.config.name, history: r.first as RunResult['history'] })),
    { title: `Learning curves: ${splits.name}, ${unit} 1 of ${splits.count}` },
  );
  await mkdir(flags.out, { recursive: true });
  await writeFileAtomic(files.plot, svg);
  const record = {
    command,
    data: splits.name,
    resampling: {
      mode: splits.mode,
      count: splits.count,
      completed: complete,
      metric: regression ? 'r2' : 'accuracy',
      test: 'paired t-test (two-sided) of each run against the best over the completed splits',
      alpha: ALPHA,
      best: best?.config.name ?? null,
      splits: infos,
    },
    runs: runs.map((r) => ({
      config: r.config,
      mean: r.mean,
      std: r.std,
      vsBest: r.vsBest,
      splits: r.splits,
      history: r.first?.history ?? {},
    })),
  };
  // JSON has no NaN or Infinity: an unscored run or a constant difference writes null.
  await writeFileAtomic(
    files.results,
    `${JSON.stringify(record, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1)}\n`,
  );
  reporter.emit({
    type: 'summary',
    metric: record.resampling.metric,
    best: record.resampling.best,
    runs: runs.map((r) => ({
      name: r.config.name,
      mean: r.mean,
      std: r.std,
      p: r.vsBest?.p ?? null,
      withinNoise: r.vsBest?.withinNoise ?? null,
    })),
  });
  reporter.emit({ type: 'result', files });
  reporter.say(`\n${table(runs, best, regression, complete, unit)}`);
  if (complete >= 2)
    reporter.say(
      `\n${regression ? 'r2' : 'accuracy'} on the held-out ${splits.mode === 'folds' ? 'fold' : 'test split'}, mean ± std over ${complete} ${unit}s; ` +
        `vs best: two-sided paired t-test against ${best?.config.name ?? '-'} over the same ${unit}s, '≈ best' when p ≥ ${ALPHA}` +
        (splits.mode === 'folds' ? ' (folds share training rows, so p-values lean small).' : '.'),
    );
  reporter.say(`compare.svg shows the learning curves of ${unit} 1 only.`);
  reporter.say(`wrote ${relative('.', files.plot) || files.plot}, ${relative('.', files.results) || files.results}`);
  if (aborted)
    reporter.say(
      `interrupted: the figures cover the ${complete} of ${splits.count} ${unit}s every run finished${complete < 2 ? ' (a test needs 2)' : ''}`,
    );
  return aborted ? 130 : 0;
}
