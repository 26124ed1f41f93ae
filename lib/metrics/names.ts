// The metric names a user may give, their Keras spellings, and the check of a metrics list against
// the loss, so that a misspelt or misplaced metric fails at compile rather than as a NaN in a log.
import { choiceList, invalidArgument, invalidRange, invalidType, oneOf } from '../errors.js';
import { metricTask } from './batch.js';
import type { CustomMetric } from './custom.js';

/** The built-in metrics, as the results and the history name them. */
export const METRIC_NAMES = ['accuracy', 'auc', 'precision', 'recall', 'f1', 'mae', 'rmse', 'r2'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

// Keras' spellings, accepted and reported under our name, so a history's keys do not depend on
// how the metric was written.
const ALIASES = {
  acc: 'accuracy',
  AUC: 'auc',
  f1_score: 'f1',
  mean_absolute_error: 'mae',
  meanAbsoluteError: 'mae',
  root_mean_squared_error: 'rmse',
  rootMeanSquaredError: 'rmse',
  r2_score: 'r2',
} as const satisfies Record<string, MetricName>;
export type MetricAlias = keyof typeof ALIASES;

/** What a metrics list holds: a name, a Keras alias, or a function of one batch. */
export type MetricSpec = MetricName | MetricAlias | CustomMetric;

/** A checked metric: the key it reports under and what computes it. */
export type NamedMetric = { name: MetricName; metric: MetricName } | { name: string; metric: CustomMetric };

/** What a metric's meaning depends on: the loss (a LossName; any but the two cross-entropies is a regression) and the outputs. */
export interface MetricContext {
  loss: string;
  outputWidth: number;
}

const REGRESSION_METRICS: readonly MetricName[] = ['mae', 'rmse', 'r2'];
const CLASSIFICATION_METRICS = METRIC_NAMES.filter((m) => !REGRESSION_METRICS.includes(m));

// Keys fit's epoch and batch logs (EpochLogs, BatchLogs in lib/fit-types.ts) already use; valX is a validation figure.
const LOG_KEYS = ['epoch', 'loss', 'dataLoss', 'l2Loss', 'learningRate', 'seconds', 'samplesPerSecond', 'size'];

function builtIn(name: string): MetricName | undefined {
  if ((METRIC_NAMES as readonly string[]).includes(name)) return name as MetricName;
  return Object.hasOwn(ALIASES, name) ? ALIASES[name as MetricAlias] : undefined;
}

/**
 * Checks a metrics list for a model compiled with ctx.loss and ctx.outputWidth outputs, and names each
 * entry: a built-in by its name (aliases resolved), a function by its `name`, or metric1, metric2, … when
 * anonymous. Throws a TypeError or RangeError naming `metrics[i]` for a wrong type, an unknown name (with
 * the one probably meant), a metric the loss gives no meaning to, or a name given twice.
 */
/** The names of the built-in metrics among `metrics` (what a file or a worker can carry; functions cannot). */
export function builtInMetrics(metrics: readonly NamedMetric[]): MetricName[] {
  return metrics.flatMap((m) => (typeof m.metric === 'string' ? [m.metric] : []));
}

export function checkMetrics(fn: string, metrics: unknown, ctx: MetricContext): NamedMetric[] {
  if (!Number.isInteger(ctx.outputWidth) || ctx.outputWidth < 1) throw invalidRange(fn, 'outputWidth', 'an integer >= 1', ctx.outputWidth);
  if (!Array.isArray(metrics)) throw invalidType(fn, 'metrics', 'an array of metric names or functions', metrics);
  const regression = metricTask(ctx.loss, ctx.outputWidth) === 'regression';
  const named: NamedMetric[] = [];
  let anonymous = 0;
  metrics.forEach((given: unknown, i) => {
    const at = `metrics[${i}]`;
    let entry: NamedMetric;
    if (typeof given === 'function') {
      const name = given.name !== '' ? given.name : `metric${++anonymous}`;
      if (builtIn(name) === name || LOG_KEYS.includes(name) || /^val[A-Z]/.test(name)) {
        const what = 'a function named like no built-in metric or key of the training logs';
        throw invalidArgument(RangeError, fn, at, what, `one named ${choiceList([name])}`);
      }
      entry = { name, metric: given as CustomMetric };
    } else if (typeof given === 'string') {
      const name = builtIn(given);
      if (name === undefined) throw oneOf(fn, at, METRIC_NAMES, given);
      const quoted = choiceList([given]);
      if (regression !== REGRESSION_METRICS.includes(name)) {
        const [kind, other, fits] = regression
          ? ['regression', 'classification', REGRESSION_METRICS]
          : ['classification', 'regression', CLASSIFICATION_METRICS];
        throw invalidArgument(
          RangeError,
          fn,
          at,
          `a ${kind} metric (${choiceList(fits)}) for the loss '${ctx.loss}'`,
          `${quoted}, a ${other} metric`,
        );
      }
      if (ctx.loss === 'crossEntropy' && ctx.outputWidth === 1 && name !== 'accuracy') {
        throw invalidArgument(RangeError, fn, at, "'accuracy' for a softmax of one output (it always predicts class 0)", quoted);
      }
      entry = { name, metric: name };
    } else {
      throw invalidType(fn, at, 'a metric name or a function (yTrue, yPred) => number', given);
    }
    const earlier = named.findIndex((e) => e.name === entry.name);
    if (earlier >= 0) {
      throw invalidArgument(RangeError, fn, at, 'each metric once', `${choiceList([entry.name])} again (metrics[${earlier}] is the same)`);
    }
    named.push(entry);
  });
  return named;
}
