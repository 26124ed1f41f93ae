// fit(): epochs of shuffled mini-batches, each step forward → loss (+ L2) →
// backward → one optimizer call, then a yield to the event loop so a server
// keeps serving. Stops cleanly on an AbortSignal, early stopping or a callback's
// 'stop'; on divergence (a non-finite loss or gradient) the update is skipped,
// so the weights stay the last finite ones, and fit rejects with a DivergenceError.

import { type BatchSource, isSource, sourceBatches } from './batch-source.js';
import { verboseCallback } from './callbacks/verbose.js';
import { checkOptionKeys, checkPositiveInteger, invalidArgument, invalidRange, invalidType, oneOf } from './errors.js';
import { evaluator } from './evaluate.js';
import { type FitData, fitData, validationArrays } from './fit-data.js';
import type { BatchLogs, Callback, EpochLogs, FitOptions, History, HookResult, RunInfo } from './fit-types.js';
import { DivergenceError } from './fit-types.js';
import type { Targets } from './losses.js';
import { createMetrics } from './metrics/index.js';
import type { Evaluation, TrainableModel } from './model-types.js';
import { countCorrect, gatherTargets, type LabelsLike } from './targets.js';
import type { MatrixLike } from './tensor.js';

export { earlyStopping } from './callbacks/early-stopping.js';
export { reduceLrOnPlateau } from './callbacks/reduce-lr.js';
export type { BatchLogs, Callback, EarlyStoppingOptions, EpochLogs, FitOptions, History } from './fit-types.js';
export { DivergenceError } from './fit-types.js';

const positiveInteger = (name: string, value: unknown) => checkPositiveInteger('fit', name, value);

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export const FIT_KEYS = [
  'epochs',
  'batchSize',
  'shuffle',
  'dropRemainder',
  'validationData',
  'validationSplit',
  'classWeight',
  'sampleWeight',
  'verbose',
  'signal',
  'onEpochEnd',
  'onBatchEnd',
  'callbacks',
  'worker',
  'initialEpoch',
  'checkpoint',
  'resumeFrom',
];
const HOOKS = ['onTrainBegin', 'onEpochBegin', 'onBatchBegin', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd'];

/** What the caller of the loop supplies: how to write a checkpoint (io stays out of the loop). */
export interface TrainHooks {
  saveCheckpoint?(epoch: number, history: History): Promise<void>;
}

/** The callbacks a run calls: the user's, then those the options ask for, in that order. */
export function runCallbacks(options: FitOptions): Callback[] {
  const given = options.callbacks ?? [];
  if (!Array.isArray(given)) throw invalidType('fit', 'callbacks', 'an array of callbacks (earlyStopping(…), { onEpochEnd() {…} })', given);
  given.forEach((c: unknown, i) => {
    if (c === null || typeof c !== 'object') throw invalidType('fit', `callbacks[${i}]`, 'an object with hooks (onEpochEnd, …)', c);
    // Own fields are the callback's state (a class's), so only an object with no hook at all is refused.
    if (HOOKS.some((h) => typeof (c as Record<string, unknown>)[h] === 'function')) return;
    checkOptionKeys('fit', `callbacks[${i}]`, c, HOOKS); // a misspelt hook, with the likely one
    throw invalidType('fit', `callbacks[${i}]`, `an object with a hook (${HOOKS.join(', ')})`, c);
  });
  const verbose = options.verbose ?? 0;
  if (verbose !== 0 && verbose !== 1 && verbose !== 2) throw oneOf('fit', 'verbose', ['0', '1', '2'], verbose);
  const extra: Callback[] = [];
  const { onEpochEnd, onBatchEnd } = options;
  if (onEpochEnd !== undefined || onBatchEnd !== undefined) {
    extra.push({
      onEpochEnd: onEpochEnd === undefined ? undefined : async (epoch, logs) => void (await onEpochEnd(epoch, logs)),
      onBatchEnd: onBatchEnd === undefined ? undefined : async (batch, logs) => void (await onBatchEnd(batch, logs)),
    });
  }
  if (verbose !== 0) extra.push(verboseCallback(verbose));
  return [...given, ...extra];
}

/** The keys every epoch's logs carry in this run, so callbacks can check what they monitor. */
export function logKeys(metricNames: readonly string[], validation: boolean): string[] {
  const own = ['loss', 'dataLoss', 'l2Loss', ...metricNames];
  const val = validation ? ['valLoss', ...metricNames.map((n) => `val${n.charAt(0).toUpperCase()}${n.slice(1)}`)] : [];
  return ['epoch', ...own, ...val, 'learningRate', 'seconds', 'samplesPerSecond'];
}

/** Calls one hook on every callback in order; true when one of them returned 'stop'. */
export async function call(callbacks: Callback[], run: (c: Callback) => HookResult | Promise<HookResult> | undefined): Promise<boolean> {
  let stop = false;
  for (const c of callbacks) if ((await run(c)) === 'stop') stop = true;
  return stop;
}

/** One step's input: rows of x (batch×inputs), their targets and weights (rows 0..rows−1). */
interface StepInput {
  rows: number;
  x: Float32Array;
  targets: Targets;
  weights: Float32Array | null;
}

/** Where a run's batches come from: in-memory rows shuffled each epoch, or a source. */
interface EpochPlan {
  batches(): AsyncIterable<StepInput> | Iterable<StepInput>;
  /** Steps per epoch when known (in memory), else null. */
  steps: number | null;
  /** The m of the logged L2 term (λ/2m)·Σ‖W‖²: the batch size. */
  batchSize: number;
  /** null without validation. */
  validate: (() => Promise<Evaluation>) | null;
}

function memoryPlan(model: TrainableModel, data: FitData, options: FitOptions, batchSize: number): EpochPlan {
  const { x: inputs, targets, weights, validation } = data;
  const rows = inputs.rows;
  // Batch buffers, allocated once: rows of x, targets and weights gathered in shuffled order.
  const order = Uint32Array.from({ length: rows }, (_, i) => i);
  const xBatch = new Float32Array(batchSize * inputs.cols);
  const yBatch: Targets =
    targets.kind === 'labels'
      ? { kind: 'labels', data: new Int32Array(batchSize) }
      : { kind: 'matrix', cols: targets.cols, data: new Float32Array(batchSize * targets.cols) };
  const wBatch = weights === null ? null : new Float32Array(batchSize);
  const steps = options.dropRemainder ? Math.floor(rows / batchSize) : Math.ceil(rows / batchSize);
  return {
    steps,
    batchSize,
    *batches() {
      // Each epoch's order depends on the PRNG state alone, which a checkpoint saves.
      for (let i = 0; i < order.length; i++) order[i] = i;
      if (options.shuffle !== false) model.random.shuffle(order);
      for (let step = 0; step < steps; step++) {
        const start = step * batchSize;
        const batch = Math.min(batchSize, rows - start);
        model.backend.gatherRows(batch, inputs.cols, rows, inputs.data, order.subarray(start, start + batch), xBatch);
        gatherTargets(targets, order, start, batch, yBatch);
        if (wBatch !== null && weights !== null) for (let i = 0; i < batch; i++) wBatch[i] = weights[order[start + i] as number] as number;
        yield { rows: batch, x: xBatch, targets: yBatch, weights: wBatch };
      }
    },
    validate: validation === null ? null : async () => model.evaluateData(validation.x, validation.targets, validation.weights),
  };
}

// A source's batches as steps; its validation may be arrays or another source.
function sourcePlan(model: TrainableModel, source: BatchSource, options: FitOptions): EpochPlan {
  for (const key of ['validationSplit', 'shuffle', 'dropRemainder', 'batchSize', 'sampleWeight', 'worker'] as const) {
    if (options[key] !== undefined)
      throw invalidArgument(TypeError, 'fit', key, 'no such option with a source (its batches are given as they come)', 'one');
  }
  const given = options.validationData as unknown;
  let validate: EpochPlan['validate'] = null;
  if (isSource(given)) {
    validate = async () => {
      const e = evaluator(model, 'fit');
      for await (const part of sourceBatches(model, given, 'fit (validationData)')) e.add(part.x, part.targets, part.weights);
      return e.result();
    };
  } else if (given !== undefined) {
    const v = validationArrays(model, given, ' or a source');
    validate = async () => model.evaluateData(v.x, v.targets, v.weights);
  }
  const plan: EpochPlan = {
    steps: null,
    batchSize: 0,
    async *batches() {
      for await (const part of sourceBatches(model, source, 'fit', options.classWeight)) {
        plan.batchSize = Math.max(plan.batchSize, part.x.rows);
        yield { rows: part.x.rows, x: part.x.data, targets: part.targets, weights: part.weights };
      }
    },
    validate,
  };
  return plan;
}

/** Trains `model` on x, y, or on a source's batches (x a BatchSource, y unused); see FitOptions. */
export async function trainModel(
  model: TrainableModel,
  x: MatrixLike | BatchSource,
  y: LabelsLike | undefined,
  options: FitOptions = {},
  hooks: TrainHooks = {},
): Promise<History> {
  const compiled = model.requireCompiled('fit');
  checkOptionKeys('fit', 'options', options, FIT_KEYS);
  const epochs = positiveInteger('epochs', options.epochs ?? 1);
  let plan: EpochPlan;
  if (isSource(x)) {
    plan = sourcePlan(model, x, options);
  } else {
    const data = fitData(model, x, y as LabelsLike, options);
    plan = memoryPlan(model, data, options, Math.min(positiveInteger('batchSize', options.batchSize ?? 32), data.x.rows));
  }
  const initialEpoch = options.initialEpoch ?? 0;
  if (!(Number.isInteger(initialEpoch) && initialEpoch >= 0)) throw invalidRange('fit', 'initialEpoch', 'an integer >= 0', initialEpoch);
  const checkpoint = options.checkpoint;
  if (checkpoint !== undefined && (checkpoint === null || typeof checkpoint.dir !== 'string' || checkpoint.dir === '')) {
    throw invalidType('fit', 'checkpoint', "{ dir: string, every?: 'epoch' | number }", checkpoint);
  }
  const every = checkpoint?.every ?? 'epoch';
  const checkpointEvery = every === 'epoch' ? 1 : positiveInteger('checkpoint.every', every);
  const saveCheckpoint = checkpoint === undefined ? undefined : hooks.saveCheckpoint;
  if (checkpoint !== undefined && saveCheckpoint === undefined) throw new Error('fit: checkpoint needs a saveCheckpoint hook');
  if (checkpoint !== undefined && compiled.custom !== null)
    throw invalidArgument(TypeError, 'fit', 'checkpoint', 'a model with a built-in loss', 'a custom loss, which cannot be saved');
  if (compiled.optimizer.segments?.length === 0)
    throw new RangeError('fit: every layer is frozen (trainable: false), so nothing would train; unfreeze one with model.setTrainable');
  const callbacks = runCallbacks(options);
  const metrics = createMetrics(
    compiled.metrics.map((m) => m.metric),
    { loss: compiled.loss, outputWidth: model.outputWidth },
  );
  const wantsAccuracy = compiled.metrics.some((m) => m.name === 'accuracy');
  const history: History = { epochs: [], history: {}, stopReason: 'completed' };
  const { backend } = model;
  const batchHooks = callbacks.some((c) => c.onBatchBegin !== undefined || c.onBatchEnd !== undefined);
  const hasValidation = plan.validate !== null;

  const run: RunInfo = {
    validation: hasValidation,
    logs: logKeys(metrics.names, hasValidation),
    epochs,
    steps: plan.steps,
    accuracy: wantsAccuracy,
  };
  await call(callbacks, (c) => c.onTrainBegin?.(model, run));
  if (options.signal?.aborted) history.stopReason = 'aborted';
  // Weights at the start of the epoch: the fallback if an update overflowed them (see below).
  const epochStart = { params: new Float32Array(model.params.length), state: new Float32Array(model.state.length) };
  let diverged = '';
  for (let epoch = initialEpoch; epoch < epochs && history.stopReason === 'completed'; epoch++) {
    if (await call(callbacks, (c) => c.onEpochBegin?.(epoch, model))) {
      history.stopReason = 'callback';
      break;
    }
    const started = performance.now();
    epochStart.params.set(model.params);
    epochStart.state.set(model.state);
    metrics.reset();
    let lossSum = 0;
    let seen = 0;
    let step = 0;
    for await (const input of plan.batches()) {
      if (batchHooks) await call(callbacks, (c) => c.onBatchBegin?.(step, model));
      const { rows: batch, targets: yBatch, weights: wBatch } = input;
      const result = model.lossAndGradients(input.x, yBatch, batch, wBatch);
      if (!Number.isFinite(result.lossSum) || backend.findNonFinite(model.grads.length, model.grads) >= 0) {
        history.stopReason = 'diverged';
        diverged = `fit: training diverged at epoch ${epoch}, step ${step} (loss ${result.lossSum / batch}); the model keeps the last finite weights`;
        // Finite gradients times a huge learning rate can overflow the weights themselves (SGD,
        // momentum): then the last finite weights are the epoch's starting ones.
        if (backend.findNonFinite(model.params.length, model.params) >= 0 || backend.findNonFinite(model.state.length, model.state) >= 0) {
          model.params.set(epochStart.params);
          model.state.set(epochStart.state);
          diverged = `fit: training diverged at epoch ${epoch}, step ${step}: the weights overflowed; the model keeps the weights from the start of epoch ${epoch}`;
        }
        break;
      }
      compiled.optimizer.apply(backend, model.params, model.grads);
      lossSum += result.lossSum;
      seen += batch;
      metrics.update(result.probs, batch, yBatch, 0, wBatch);
      if (batchHooks) {
        const logs: BatchLogs = { loss: result.lossSum / batch, size: batch };
        if (wantsAccuracy) {
          const c = countCorrect(compiled.loss, result.probs, batch, model.outputWidth, yBatch, 0);
          logs.accuracy = c.correct / c.total;
        }
        if (await call(callbacks, (c) => c.onBatchEnd?.(step, logs, model))) history.stopReason = 'callback';
      }
      step++;
      await yieldToEventLoop();
      if (options.signal?.aborted) history.stopReason = 'aborted';
      if (history.stopReason !== 'completed') break;
    }
    if (seen === 0 && plan.steps === null && history.stopReason === 'completed')
      throw new RangeError(`fit: the source gave no rows in epoch ${epoch}`);
    if (seen === 0) break;
    const fullEpoch = history.stopReason === 'completed';
    const dataLoss = lossSum / seen;
    const l2Loss = model.l2Penalty(plan.batchSize);
    const seconds = (performance.now() - started) / 1e3;
    const logs: EpochLogs = {
      epoch,
      loss: dataLoss + l2Loss,
      dataLoss,
      l2Loss,
      ...metrics.result(),
      learningRate: compiled.optimizer.learningRate(),
      seconds,
      samplesPerSecond: seen / seconds,
    };
    if (plan.validate !== null) {
      const v = await plan.validate();
      logs.valLoss = v.loss;
      for (const name of metrics.names) logs[`val${name.charAt(0).toUpperCase()}${name.slice(1)}`] = v[name];
    }
    history.epochs.push(logs);
    for (const [key, value] of Object.entries(logs)) {
      if (typeof value !== 'number') continue;
      history.history[key] ??= [];
      history.history[key].push(value);
    }
    for (const c of callbacks) {
      if ((await c.onEpochEnd?.(epoch, logs, model)) === 'stop' && history.stopReason === 'completed')
        history.stopReason = c.spec?.kind === 'earlyStopping' ? 'earlyStopping' : 'callback';
    }
    if (saveCheckpoint !== undefined && fullEpoch && (epoch + 1) % checkpointEvery === 0) await saveCheckpoint(epoch, history);
  }
  await call(callbacks, (c) => c.onTrainEnd?.(model, history));
  if (diverged !== '') throw new DivergenceError(diverged, history);
  return history;
}
