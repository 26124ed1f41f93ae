// `densenode train [DATA]`: read and split the data, train one model with a
// progress bar, then write the model, history.json, learning-curve.svg and
// report.html to --out. Ctrl-C stops after the current step and still writes.
import { mkdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { loadPrepared, type OutputKind } from './dataset.js';
import { confusionMatrixSvg, learningCurvesSvg } from './plot.js';
import { percent, Reporter, reportMode } from './progress.js';
import { reportHtml } from './report.js';
import { checkRunConfig, confusionMatrix, type OptimizerName, type RunResult, runTraining } from './run.js';
import { interruptible } from './signals.js';
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
  const prepared = await loadPrepared(data, flags);
  const classes = prepared.classes;
  // Plain numeric columns in one line; every other decision on its own.
  const plain = prepared.notices.filter((n) => n.message === 'numeric').length;
  if (plain > 0) reporter.say(`  ${plain} numeric column${plain > 1 ? 's' : ''}, standardised`);
  for (const notice of prepared.notices) if (notice.message !== 'numeric') reporter.say(`  ${notice.column}: ${notice.message}`);
  if (prepared.droppedRows > 0) reporter.say(`  ${prepared.target}: ${prepared.droppedRows} rows without a label left out`);
  reporter.say(
    `${prepared.name}: ${prepared.train.x.rows} train, ${prepared.validation?.x.rows ?? 0} validation, ${prepared.test?.x.rows ?? 0} test rows; ` +
      `${prepared.features.length} features; ${classes !== null ? `${classes.length} classes (${prepared.output})` : 'regression (linear)'}`,
  );
  const result = await interruptible((signal) => runTraining(config, prepared, reporter, signal), reporter);
  const { model, history, metrics } = result;

  await mkdir(flags.out, { recursive: true });
  await model.save(flags.out, { history });
  const options = { data: data ?? 'built-in breast-cancer', ...flags };
  const split = prepared.test ?? prepared.validation ?? prepared.train;
  const splitName = prepared.test !== null ? 'test' : prepared.validation !== null ? 'validation' : 'train';
  const confusion = classes !== null ? { matrix: confusionMatrix(model, split, classes.length), classes } : undefined;
  const curvesSvg = await learningCurvesSvg([{ name: 'model', history }], { title: `Learning curves: ${prepared.name}` });
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
      name: prepared.name,
      features: prepared.features,
      target: prepared.target,
      classes,
      // What typing decided about each column, as printed.
      columns: prepared.notices,
      droppedRows: prepared.droppedRows,
    },
    ...summary(result),
    history,
  };
  await writeFileAtomic(files.history, `${JSON.stringify(record, null, 1)}\n`);
  await writeFileAtomic(files.curves, curvesSvg);
  await writeFileAtomic(
    files.report,
    reportHtml({
      title: `densenode: ${prepared.name}`,
      command,
      options,
      history,
      metrics: metrics.map((m) => ({ split: m.split, loss: m.loss, ...(m.accuracy !== undefined ? { accuracy: m.accuracy } : {}) })),
      ...(confusion !== undefined ? { confusion } : {}),
      curvesSvg,
      ...(confusionSvg !== undefined ? { confusionSvg } : {}),
      modelSummary: model.summary(),
      ...(prepared.preprocessing.tabular !== undefined
        ? {
            data: {
              spec: prepared.preprocessing.tabular,
              notices: prepared.notices,
              train: prepared.train.x,
              droppedRows: prepared.droppedRows,
            },
          }
        : {}),
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
      reporter.say(`confusion matrix on the ${splitName} split in ${relative('.', files.report) || files.report}`);
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
