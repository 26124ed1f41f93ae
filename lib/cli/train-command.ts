// `densenode train [DATA]`: read and split the data, train one model with a
// progress bar, then write the model, history.json, learning-curve.svg and
// report.html to --out. Ctrl-C stops after the current step and still writes.
import { mkdir, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import type { CsvDataset } from '../data/csv-dataset.js';
import { isJsonFile } from '../data/read-json.js';
import type { ColumnNotice } from '../data/tabular.js';
import { writeFileAtomic } from '../io/atomic.js';
import { isIdx, loadPrepared, type OutputKind } from './dataset.js';
import { confusionMatrixSvg, learningCurvesSvg } from './plot.js';
import { percent, Reporter, reportMode } from './progress.js';
import { type ReportData, reportHtml } from './report.js';
import { checkRunConfig, confusionMatrix, type OptimizerName, type RunConfig, type RunResult, runTraining } from './run.js';
import { interruptible } from './signals.js';
import { megabytes, memoryBudget, trainStreamed, wouldExceed } from './stream-train.js';
import type { ColumnFlags } from './table-data.js';
import { lossChart } from './terminal-chart.js';

export interface TrainFlags extends ColumnFlags {
  target?: string;
  labels?: string;
  layers: number[];
  output?: OutputKind;
  optimizer: string;
  lr?: number;
  epochs: number;
  batchSize: number;
  l2: number;
  dropout: number;
  batchNorm: boolean;
  seed: number;
  validation: number;
  test: number;
  patience: number;
  classWeight?: 'balanced' | Record<string, number>;
  clipNorm?: number;
  metrics?: string[];
  loss?: 'meanSquaredError' | 'huber' | 'meanAbsoluteError';
  out: string;
  json: boolean;
  quiet: boolean;
  /** Bytes of memory a CSV may take when read whole; past it the CSV streams (default: half the free memory). */
  memory?: number;
  /** The disk cache of a streamed CSV: a directory, or false for none (default: next to the file). */
  cache?: string | boolean;
}

/** The run's figures and options as the files and --json report them. */
export function summary(result: RunResult) {
  const { history, metrics, seconds } = result;
  return { epochs: history.epochs.length, stopReason: history.stopReason, seconds, metrics };
}

export async function trainCommand(data: string | undefined, flags: TrainFlags, command: string): Promise<number> {
  const config = checkRunConfig(
    {
      name: 'model',
      layers: flags.layers,
      optimizer: flags.optimizer as OptimizerName,
      ...(flags.lr !== undefined ? { lr: flags.lr } : {}),
      l2: flags.l2,
      dropout: flags.dropout,
      batchNorm: flags.batchNorm,
      epochs: flags.epochs,
      batchSize: flags.batchSize,
      seed: flags.seed,
      patience: flags.patience,
      ...(flags.classWeight !== undefined ? { classWeight: flags.classWeight } : {}),
      ...(flags.clipNorm !== undefined ? { clipNorm: flags.clipNorm } : {}),
      ...(flags.metrics !== undefined ? { metrics: flags.metrics } : {}),
      ...(flags.loss !== undefined ? { loss: flags.loss } : {}),
    },
    'train',
  );
  const reporter = new Reporter(reportMode(flags));
  const run = (await streamedFile(data, flags, reporter))
    ? await streamedRun(data as string, flags, config, reporter)
    : await inMemoryRun(data, flags, config, reporter);
  const { result, classes, confusion } = run;
  const { model, history, metrics } = result;
  await mkdir(flags.out, { recursive: true });
  await model.save(flags.out, { history });
  const options = { data: data ?? 'built-in breast-cancer', ...flags };
  const curvesSvg = await learningCurvesSvg([{ name: 'model', history }], { title: `Learning curves: ${run.name}` });
  const confusionSvg = confusion !== undefined ? await confusionMatrixSvg(confusion.matrix, confusion.classes) : undefined;
  const files = {
    model: join(flags.out, 'model.json'),
    history: join(flags.out, 'history.json'),
    curves: join(flags.out, 'learning-curve.svg'),
    report: join(flags.out, 'report.html'),
  };
  const record = {
    command,
    options,
    data: {
      name: run.name,
      features: run.features,
      target: run.target,
      classes,
      // What typing decided about each column, as printed.
      columns: run.notices,
      droppedRows: run.droppedRows,
      streamed: run.streamed,
    },
    ...summary(result),
    history,
  };
  await writeFileAtomic(files.history, `${JSON.stringify(record, null, 1)}\n`);
  await writeFileAtomic(files.curves, curvesSvg);
  await writeFileAtomic(
    files.report,
    reportHtml({
      title: `densenode: ${run.name}`,
      command,
      options,
      history,
      metrics: metrics.map((m) => ({ split: m.split, loss: m.loss, ...(m.accuracy !== undefined ? { accuracy: m.accuracy } : {}) })),
      ...(confusion !== undefined ? { confusion: { matrix: confusion.matrix, classes: confusion.classes } } : {}),
      curvesSvg,
      ...(confusionSvg !== undefined ? { confusionSvg } : {}),
      modelSummary: model.summary(),
      ...(run.report !== undefined ? { data: run.report } : {}),
      createdAt: new Date().toISOString(),
    }),
  );

  reporter.emit({ type: 'result', ...summary(result), files });
  if (reporter.mode === 'tty' || reporter.mode === 'plain') {
    const losses = history.history.loss ?? [];
    if (losses.length > 1) reporter.say(`\n${lossChart(losses, { height: 8 })}\n`);
    for (const m of metrics) {
      reporter.say(
        `${m.split.padEnd(10)} loss ${m.loss.toFixed(4)}${m.accuracy !== undefined ? `  accuracy ${percent(m.accuracy)}` : ''}  (${m.rows} rows)`,
      );
    }
    if (confusion !== undefined)
      reporter.say(`confusion matrix on the ${confusion.split} split in ${relative('.', files.report) || files.report}`);
    const test = metrics.find((m) => m.split === 'test');
    if (history.stopReason !== 'completed') reporter.say(`stopped: ${history.stopReason} after ${history.epochs.length} epochs`);
    reporter.say(`wrote ${[files.model, files.history, files.curves, files.report].map((f) => relative('.', f) || f).join(', ')}`);
    if (test?.accuracy !== undefined) reporter.say(`test accuracy: ${percent(test.accuracy)}`);
  }
  if (result.diverged !== null) {
    console.error(`densenode: ${result.diverged.replace(/^fit: /, '')}; wrote it to ${flags.out} (try a lower --lr)`);
    return 1;
  }
  return history.stopReason === 'aborted' ? 130 : 0;
}

/** One trained run, whichever way its data was read. */
interface TrainedRun {
  name: string;
  features: string[];
  target: string;
  classes: string[] | null;
  notices: ColumnNotice[];
  droppedRows: number;
  result: RunResult;
  confusion: { matrix: number[][]; classes: string[]; split: string } | undefined;
  report: ReportData | undefined;
  /** A streamed CSV's cache directory (null: none), or null itself when the data was read whole. */
  streamed: { cache: string | null } | null;
}

function sayNotices(reporter: Reporter, notices: ColumnNotice[], target: string, droppedRows: number): void {
  // Plain numeric columns in one line; every other decision on its own.
  const plain = notices.filter((n) => n.message === 'numeric').length;
  if (plain > 0) reporter.say(`  ${plain} numeric column${plain > 1 ? 's' : ''}, standardised`);
  for (const notice of notices) if (notice.message !== 'numeric') reporter.say(`  ${notice.column}: ${notice.message}`);
  if (droppedRows > 0) reporter.say(`  ${target}: ${droppedRows} rows without a label left out`);
}

const outputLine = (classes: string[] | null, output: string) =>
  classes !== null ? `${classes.length} classes (${output})` : 'regression (linear)';

// A CSV streams when reading it whole would pass the memory budget (or with --cache given).
async function streamedFile(data: string | undefined, flags: TrainFlags, reporter: Reporter): Promise<boolean> {
  if (data === undefined || data === 'fashion-mnist' || isIdx(data) || isJsonFile(data)) return false;
  const info = await stat(data).catch(() => null);
  if (info === null || !info.isFile()) return false;
  const budget = memoryBudget(flags.memory);
  if (!wouldExceed(info.size, budget) && typeof flags.cache !== 'string') return false;
  reporter.say(
    `${basename(data)}: ${megabytes(info.size)}, more than the memory budget of ${megabytes(budget)} (--memory) allows in memory: ` +
      `streaming it${flags.cache === false ? ', parsing it every epoch (--no-cache)' : ' through a disk cache'}`,
  );
  return true;
}

async function streamedRun(file: string, flags: TrainFlags, config: RunConfig, reporter: Reporter): Promise<TrainedRun> {
  const opened = (data: CsvDataset, output: OutputKind) => {
    const classes = data.spec.target?.kind === 'classes' ? data.spec.target.classes : null;
    sayNotices(reporter, data.notices, data.spec.target?.name ?? '', data.droppedRows);
    reporter.say(
      `${basename(file)}: ${data.rows.train} train, ${data.rows.validation} validation, ${data.rows.test} test rows (split by row); ` +
        `${data.spec.features.length} features; ${outputLine(classes, output)}${data.cache !== null ? `; cache in ${data.cache}` : ''}`,
    );
  };
  const run = await interruptible((signal) => trainStreamed(file, flags, config, reporter, signal, opened), reporter);
  const { data, classes } = run;
  const target = data.spec.target?.name ?? '';
  return {
    name: basename(file),
    features: data.spec.features,
    target,
    classes,
    notices: data.notices,
    droppedRows: data.droppedRows,
    result: run.result,
    confusion: run.confusion,
    report: run.report,
    streamed: { cache: data.cache },
  };
}

async function inMemoryRun(data: string | undefined, flags: TrainFlags, config: RunConfig, reporter: Reporter): Promise<TrainedRun> {
  const prepared = await loadPrepared(data, flags);
  const classes = prepared.classes;
  sayNotices(reporter, prepared.notices, prepared.target, prepared.droppedRows);
  reporter.say(
    `${prepared.name}: ${prepared.train.x.rows} train, ${prepared.validation?.x.rows ?? 0} validation, ${prepared.test?.x.rows ?? 0} test rows; ` +
      `${prepared.features.length} features; ${outputLine(classes, prepared.output)}`,
  );
  const result = await interruptible((signal) => runTraining(config, prepared, reporter, signal), reporter);
  const split = prepared.test ?? prepared.validation ?? prepared.train;
  const splitName = prepared.test !== null ? 'test' : prepared.validation !== null ? 'validation' : 'train';
  const tabular = prepared.preprocessing.tabular;
  return {
    name: prepared.name,
    features: prepared.features,
    target: prepared.target,
    classes,
    notices: prepared.notices,
    droppedRows: prepared.droppedRows,
    result,
    confusion: classes !== null ? { matrix: confusionMatrix(result.model, split, classes.length), classes, split: splitName } : undefined,
    report:
      tabular !== undefined
        ? { spec: tabular, notices: prepared.notices, train: prepared.train.x, droppedRows: prepared.droppedRows }
        : undefined,
    streamed: null,
  };
}
