// One training run as the CLI does it (train, and each row of compare): build
// the mlp from flags, fit with progress and Ctrl-C, then measure every split.
import { type BatchSource, isSource } from '../batch-source.js';
import { describe } from '../errors.js';
import type { BatchLogs, EpochLogs, FitOptions } from '../fit-types.js';
import type { MetricSpec } from '../metrics/index.js';
import type { Model } from '../model.js';
import type { Evaluation } from '../model-types.js';
import { MAX_LEARNING_RATE, OPTIMIZERS } from '../optimizers/index.js';
import { mlp } from '../sequential.js';
import { type LabelsLike, predictedClass } from '../targets.js';
import type { Matrix, MatrixLike } from '../tensor.js';
import { DivergenceError, earlyStopping, type History } from '../train.js';
import type { OutputKind, PreparedData, Split } from './dataset.js';
import { UsageError } from './errors.js';
import type { Reporter } from './progress.js';

export { OPTIMIZERS };
export type OptimizerName = keyof typeof OPTIMIZERS;

/** What defines one run: the network, the optimizer and the training schedule. */
export interface RunConfig {
  name: string;
  layers: number[];
  optimizer: OptimizerName;
  /** Default: the optimizer's own (sgd/momentum 0.01, rmsprop/adam 0.001). */
  lr?: number;
  l2: number;
  dropout: number;
  batchNorm: boolean;
  epochs: number;
  batchSize: number;
  seed: number;
  /** Early stopping on validation loss (restoring the best weights); 0: off. */
  patience: number;
  /** The optimizer's clipNorm (a global gradient norm). */
  clipNorm?: number;
  /** fit's classWeight (classifiers). */
  classWeight?: 'balanced' | Record<string, number>;
  /** Metrics besides the defaults (accuracy for classifiers; r2, mae, rmse are always reported for regressions). */
  metrics?: string[];
  /** A regression loss instead of meanSquaredError. */
  loss?: 'meanSquaredError' | 'huber' | 'meanAbsoluteError';
}

export interface SplitMetrics {
  split: 'train' | 'validation' | 'test';
  rows: number;
  loss: number;
  accuracy?: number;
  /** The other figures evaluate gave (compiled metrics; r2, mae, rmse of a regression). */
  metrics?: Record<string, number>;
}

export interface RunResult {
  config: RunConfig;
  model: Model;
  history: History;
  metrics: SplitMetrics[];
  seconds: number;
  /** Why training diverged (the model keeps its last finite weights), or null. */
  diverged: string | null;
}

/** Checks a run's settings (from flags or a compare config) and says which one is wrong. */
export function checkRunConfig(c: RunConfig, where: string): RunConfig {
  const bad = (what: string) => new UsageError(`${where}: ${what}`);
  if (!Object.hasOwn(OPTIMIZERS, c.optimizer))
    throw bad(`optimizer must be one of ${Object.keys(OPTIMIZERS).join(', ')}, received '${c.optimizer}'`);
  if (!Array.isArray(c.layers) || c.layers.some((w) => !(Number.isInteger(w) && w >= 1 && w <= 1 << 16))) {
    throw bad(`layers must be hidden widths like 64,32 (integers 1..65536), received ${JSON.stringify(c.layers)}`);
  }
  const checks: [keyof RunConfig, boolean, string][] = [
    [
      'lr',
      c.lr === undefined || (typeof c.lr === 'number' && c.lr > 0 && c.lr <= MAX_LEARNING_RATE),
      `a number in (0, ${MAX_LEARNING_RATE}]`,
    ],
    ['clipNorm', c.clipNorm === undefined || (Number.isFinite(c.clipNorm) && c.clipNorm > 0), 'a number > 0'],
    ['l2', Number.isFinite(c.l2) && c.l2 >= 0, 'a number >= 0'],
    ['dropout', c.dropout >= 0 && c.dropout < 1, 'a fraction in [0, 1)'],
    ['epochs', Number.isInteger(c.epochs) && c.epochs >= 1, 'an integer >= 1'],
    ['batchSize', Number.isInteger(c.batchSize) && c.batchSize >= 1, 'an integer >= 1'],
    ['seed', Number.isInteger(c.seed), 'an integer'],
    ['patience', Number.isInteger(c.patience) && c.patience >= 0, 'an integer >= 0'],
  ];
  for (const [key, ok, what] of checks) if (!ok) throw bad(`${key} must be ${what}, received ${describe(c[key])}`);
  return c;
}

export function buildModel(config: RunConfig, data: Pick<PreparedData, 'output' | 'classes' | 'features' | 'preprocessing'>): Model {
  const outputs = data.output === 'softmax' ? (data.classes as string[]).length : 1;
  const optimizer = OPTIMIZERS[config.optimizer]({
    ...(config.lr === undefined ? {} : { learningRate: config.lr }),
    ...(config.clipNorm === undefined ? {} : { clipNorm: config.clipNorm }),
  });
  const model = mlp([data.features.length, ...config.layers, outputs], {
    output: data.output as OutputKind,
    batchNorm: config.batchNorm,
    dropout: config.dropout,
    l2: config.l2,
    optimizer,
    seed: config.seed,
  });
  model.preprocessing = data.preprocessing;
  const compiled = model.requireCompiled('train');
  if (config.loss !== undefined || config.metrics !== undefined) {
    if (config.loss !== undefined && data.output !== 'linear')
      throw new UsageError(`--loss ${config.loss} is for regressions; this target has classes`);
    const base = compiled.loss === 'meanSquaredError' ? [] : ['accuracy'];
    const metrics = [...base, ...(config.metrics ?? []).filter((m) => !base.includes(m))] as MetricSpec[];
    try {
      model.compile({ loss: config.loss ?? compiled.loss, l2: config.l2, optimizer, metrics });
    } catch (error) {
      throw new UsageError(`${(error as Error).message.replace(/^compile: /, '')} (from --metrics or --loss)`);
    }
  }
  return model;
}

/** Loss and accuracy of `model` on each split present. */
export function measure(model: Model, data: PreparedData): SplitMetrics[] {
  const splits: [SplitMetrics['split'], Split | null][] = [
    ['train', data.train],
    ['validation', data.validation],
    ['test', data.test],
  ];
  return splits.flatMap(([split, s]) => (s === null ? [] : [splitMetrics(split, s.x.rows, model.evaluate(s.x, s.y.y))]));
}

/** One split's line of figures from its evaluation (loss, accuracy, and the other metrics). */
export function splitMetrics(split: SplitMetrics['split'], rows: number, evaluation: Evaluation): SplitMetrics {
  const { loss, dataLoss: _d, l2Loss: _l, accuracy, ...rest } = evaluation;
  const others = Object.fromEntries(Object.entries(rest).filter((e): e is [string, number] => typeof e[1] === 'number'));
  return {
    split,
    rows,
    loss,
    ...(accuracy !== undefined ? { accuracy } : {}),
    ...(Object.keys(others).length > 0 ? { metrics: others } : {}),
  };
}

/** What one run fits on: arrays in memory, or a source (a streamed CSV) with its row count. */
export interface FitInput {
  x: MatrixLike | BatchSource;
  y?: LabelsLike;
  validationData?: FitOptions['validationData'];
  /** Training rows (for the progress bar's steps). */
  rows: number;
}

/** Fits `model` with progress, Ctrl-C and early stopping as `config` says; a divergence is a result, not an error. */
export async function fitRun(
  model: Model,
  config: RunConfig,
  input: FitInput,
  reporter: Reporter,
  signal: AbortSignal,
): Promise<{ history: History; diverged: string | null }> {
  const batchSize = Math.min(config.batchSize, input.rows);
  reporter.begin(config.name, config.epochs, Math.ceil(input.rows / Math.max(1, batchSize)));
  let epoch = 0;
  let diverged: string | null = null;
  const options: FitOptions = {
    epochs: config.epochs,
    signal,
    ...(isSource(input.x) ? {} : { batchSize }),
    ...(config.classWeight !== undefined ? { classWeight: config.classWeight } : {}),
    ...(input.validationData !== undefined ? { validationData: input.validationData } : {}),
    ...(reporter.wantsBatches ? { onBatchEnd: (step: number, logs: BatchLogs) => reporter.batch(step, logs, epoch) } : {}),
    onEpochEnd: (e: number, logs: EpochLogs) => {
      epoch = e + 1;
      reporter.epoch(logs);
    },
    ...(config.patience > 0
      ? {
          callbacks: [
            earlyStopping({
              patience: config.patience,
              restoreBest: true,
              ...(input.validationData === undefined ? { monitor: 'loss' as const } : {}),
            }),
          ],
        }
      : {}),
  };
  const fitting = isSource(input.x) ? model.fit(input.x, options) : model.fit(input.x, input.y as LabelsLike, options);
  // A diverged run is still a result (a learning rate too high is what compare is for).
  const history = await fitting.catch((error: unknown) => {
    if (!(error instanceof DivergenceError)) throw error;
    diverged = error.message;
    return error.history;
  });
  reporter.end();
  return { history, diverged };
}

/** Trains one configuration; `signal` (Ctrl-C) stops it after the current step, keeping what was learnt. */
export async function runTraining(config: RunConfig, data: PreparedData, reporter: Reporter, signal: AbortSignal): Promise<RunResult> {
  const model = buildModel(config, data);
  const started = performance.now();
  const validationData =
    data.validation !== null ? ([data.validation.x, data.validation.y.y] as [Matrix, Int32Array | Float32Array]) : undefined;
  const { history, diverged } = await fitRun(
    model,
    config,
    { x: data.train.x, y: data.train.y.y, rows: data.train.x.rows, ...(validationData !== undefined ? { validationData } : {}) },
    reporter,
    signal,
  );
  const seconds = (performance.now() - started) / 1e3;
  return { config, model, history, metrics: measure(model, data), seconds, diverged };
}

/** Rows true class, columns predicted class, counted over a split. */
export function confusionMatrix(model: Model, split: Split, classes: number): number[][] {
  return countConfusion(emptyConfusion(classes), model.predict(split.x), split.y.y);
}

export const emptyConfusion = (classes: number): number[][] => Array.from({ length: classes }, () => new Array<number>(classes).fill(0));

/** Adds each row's (true class, predicted class) of `out` to `matrix`. */
export function countConfusion(matrix: number[][], out: Matrix, labels: ArrayLike<number>): number[][] {
  for (let i = 0; i < out.rows; i++) {
    const predicted = predictedClass(out.data, i, out.cols);
    const row = matrix[labels[i] as number] as number[];
    row[predicted] = (row[predicted] as number) + 1;
  }
  return matrix;
}
