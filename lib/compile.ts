// compile(): the loss, optimizer, L2 strength and metrics, checked against the model's output
// and turned into the settings training reads (Compiled).
import { checkOptionKeys, invalidArgument, invalidRange, invalidType, oneOf } from './errors.js';
import { DEFAULT_HUBER_DELTA, HUBER_DELTA_MAX, LOSSES, type LossName, REGRESSION_LOSSES } from './losses.js';
import { checkMetrics } from './metrics/index.js';
import type { Compiled, CompileOptions } from './model-types.js';
import { optimizerSpec } from './optimizers/index.js';
import { Optimizer } from './optimizers/optimizer.js';

const COMPILE_KEYS = ['loss', 'optimizer', 'l2', 'metrics', 'delta'];
const IMPLIED: Record<string, LossName> = { sigmoid: 'binaryCrossEntropy', softmax: 'crossEntropy' };
// The output activation each classification loss is fused with.
const OUTPUT_FOR: Partial<Record<LossName, string>> = { binaryCrossEntropy: 'sigmoid', crossEntropy: 'softmax' };

/** Checks `options` for a model ending in `activation` with `outputWidth` outputs. */
export function compileSettings(
  options: CompileOptions,
  model: { activation: string; outputWidth: number; paramCount: number; alloc: (n: number) => Float32Array },
): Compiled {
  checkOptionKeys('compile', 'options', options, COMPILE_KEYS);
  const custom = typeof options.loss === 'function' ? options.loss : null;
  // A custom loss reads targets and metrics as the output's own loss would.
  const loss = custom !== null ? (IMPLIED[model.activation] ?? 'meanSquaredError') : options.loss;
  if (typeof loss !== 'string' || !(LOSSES as readonly string[]).includes(loss)) throw oneOf('compile', 'loss', LOSSES, loss);
  const needs = OUTPUT_FOR[loss];
  if (needs !== undefined && model.activation !== needs)
    throw new RangeError(`compile: ${loss} needs a ${needs} output layer, this model ends with ${model.activation}`);
  const regression = custom !== null || REGRESSION_LOSSES.includes(loss);
  let delta = DEFAULT_HUBER_DELTA;
  if (options.delta !== undefined) {
    if (loss !== 'huber') throw invalidType('compile', 'delta', "nothing unless loss is 'huber'", options.delta);
    delta = options.delta;
    if (!(typeof delta === 'number' && delta > 0 && delta <= HUBER_DELTA_MAX))
      throw invalidRange('compile', 'delta', `a number in (0, ${HUBER_DELTA_MAX}]`, delta);
  }
  const l2 = options.l2 ?? 0;
  if (!(typeof l2 === 'number' && Number.isFinite(l2) && l2 >= 0)) throw invalidRange('compile', 'l2', 'a number >= 0', l2);
  const metrics = checkMetrics('compile', options.metrics ?? [], { loss, outputWidth: model.outputWidth });
  // ROC AUC of a binary classifier only: a macro one-vs-rest figure would hide which class ranks badly.
  const auc = metrics.findIndex((m) => m.metric === 'auc');
  if (auc >= 0 && !(loss === 'binaryCrossEntropy' && model.outputWidth === 1))
    throw invalidArgument(
      RangeError,
      'compile',
      `metrics[${auc}]`,
      "'auc' on a binary classifier (one sigmoid output)",
      `'auc' on this model`,
    );
  const optimizer = new Optimizer(optimizerSpec(options.optimizer), model.paramCount, model.alloc);
  return { loss, custom, delta, optimizer, l2, metrics, fused: !regression };
}
