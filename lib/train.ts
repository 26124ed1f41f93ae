// fit(): epochs of shuffled mini-batches, each step forward → loss (+ L2) →
// backward → one optimizer call, then a yield to the event loop so a server
// keeps serving. Stops cleanly on an AbortSignal or early stopping; on
// divergence (a non-finite loss or gradient) the update is skipped, so the
// weights stay the last finite ones, and fit rejects with a DivergenceError.

import { checkOptionKeys, invalidRange, invalidType, oneOf } from './errors.js';
import type { BatchLogs, Callback, EarlyStoppingOptions, EpochLogs, FitOptions, History } from './fit-types.js';
import { DivergenceError } from './fit-types.js';
import type { Targets } from './losses.js';
import type { TrainableModel } from './model-types.js';
import { countCorrect, gatherTargets, type LabelsLike, toTargets } from './targets.js';
import { checkFinite, type MatrixLike, toMatrix } from './tensor.js';

function positiveInteger(name: string, value: number): number {
  if (!(Number.isInteger(value) && value >= 1)) throw invalidRange('fit', name, 'an integer >= 1', value);
  return value;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

const FIT_KEYS = [
  'epochs',
  'batchSize',
  'shuffle',
  'dropRemainder',
  'validationData',
  'signal',
  'onEpochEnd',
  'onBatchEnd',
  'callbacks',
  'worker',
  'initialEpoch',
  'checkpoint',
  'resumeFrom',
];
const MONITORS = ['loss', 'dataLoss', 'l2Loss', 'accuracy', 'valLoss', 'valAccuracy'] as const;
// Keras' spellings of the same logs.
const KERAS_MONITORS: Record<string, (typeof MONITORS)[number]> = {
  val_loss: 'valLoss',
  val_accuracy: 'valAccuracy',
  val_acc: 'valAccuracy',
  acc: 'accuracy',
};

function earlyStoppingOptions(given: EarlyStoppingOptions): EarlyStoppingOptions {
  const fn = 'earlyStopping';
  checkOptionKeys(fn, 'options', given, ['monitor', 'patience', 'minDelta', 'restoreBest']);
  const out: EarlyStoppingOptions = { ...given };
  if (given.monitor !== undefined) {
    const monitor = KERAS_MONITORS[given.monitor as string] ?? given.monitor;
    if (!(MONITORS as readonly string[]).includes(monitor as string))
      throw oneOf(fn, 'monitor', [...MONITORS, ...Object.keys(KERAS_MONITORS)], given.monitor);
    out.monitor = monitor as keyof EpochLogs;
  }
  if (given.patience !== undefined && !(Number.isInteger(given.patience) && given.patience >= 0))
    throw invalidRange(fn, 'patience', 'an integer >= 0', given.patience);
  if (given.minDelta !== undefined && !(typeof given.minDelta === 'number' && Number.isFinite(given.minDelta) && given.minDelta >= 0))
    throw invalidRange(fn, 'minDelta', 'a number >= 0', given.minDelta);
  if (given.restoreBest !== undefined && typeof given.restoreBest !== 'boolean')
    throw invalidType(fn, 'restoreBest', 'true or false', given.restoreBest);
  return out;
}

export type { BatchLogs, Callback, EarlyStoppingOptions, EpochLogs, FitOptions, History } from './fit-types.js';
export { DivergenceError } from './fit-types.js';

/** What the caller of the loop supplies: how to write a checkpoint (io stays out of the loop). */
export interface TrainHooks {
  saveCheckpoint?(epoch: number, history: History): Promise<void>;
}

/** Trains `model` on x, y; see FitOptions. */
export async function trainModel(
  model: TrainableModel,
  x: MatrixLike,
  y: LabelsLike,
  options: FitOptions = {},
  hooks: TrainHooks = {},
): Promise<History> {
  const compiled = model.requireCompiled('fit');
  checkOptionKeys('fit', 'options', options, FIT_KEYS);
  const backend = model.backend;
  const data = toMatrix(x, 'x', model.inputs);
  checkFinite(data, 'x', backend.findNonFinite);
  const targets = toTargets(y, data.rows, compiled.loss, model.outputWidth, backend.findNonFinite);
  if (data.rows === 0) throw new RangeError('fit: x has no rows');
  const epochs = positiveInteger('epochs', options.epochs ?? 1);
  const batchSize = Math.min(positiveInteger('batchSize', options.batchSize ?? 32), data.rows);
  const validation = options.validationData;
  if (validation !== undefined && (!Array.isArray(validation) || validation.length !== 2)) {
    throw new TypeError('fit: expected [x, y] for validationData');
  }
  const initialEpoch = options.initialEpoch ?? 0;
  if (!(Number.isInteger(initialEpoch) && initialEpoch >= 0)) throw invalidRange('fit', 'initialEpoch', 'an integer >= 0', initialEpoch);
  const checkpoint = options.checkpoint;
  if (checkpoint !== undefined && (typeof checkpoint.dir !== 'string' || checkpoint.dir === '')) {
    throw new TypeError("fit: expected { dir: string, every?: 'epoch' | number } for checkpoint");
  }
  const every = checkpoint?.every ?? 'epoch';
  const checkpointEvery = every === 'epoch' ? 1 : positiveInteger('checkpoint.every', every);
  const saveCheckpoint = checkpoint === undefined ? undefined : hooks.saveCheckpoint;
  if (checkpoint !== undefined && saveCheckpoint === undefined) throw new Error('fit: checkpoint needs a saveCheckpoint hook');
  const callbacks = options.callbacks ?? [];
  const history: History = { epochs: [], history: {}, stopReason: 'completed' };

  // Batch buffers, allocated once: rows of x and targets gathered in shuffled order.
  const order = Uint32Array.from({ length: data.rows }, (_, i) => i);
  const xBatch = new Float32Array(batchSize * data.cols);
  const yBatch: Targets =
    targets.kind === 'labels'
      ? { kind: 'labels', data: new Int32Array(batchSize) }
      : { kind: 'matrix', cols: targets.cols, data: new Float32Array(batchSize * targets.cols) };
  const steps = options.dropRemainder ? Math.floor(data.rows / batchSize) : Math.ceil(data.rows / batchSize);

  if (!Array.isArray(callbacks)) throw invalidType('fit', 'callbacks', 'an array of callbacks (earlyStopping(…))', callbacks);
  for (const c of callbacks)
    c.onTrainBegin?.(model, { validation: validation !== undefined, accuracy: compiled.metrics.includes('accuracy') });
  if (options.signal?.aborted) history.stopReason = 'aborted';
  // Weights at the start of the epoch: the fallback if an update overflowed them (see below).
  const epochStart = { params: new Float32Array(model.params.length), state: new Float32Array(model.state.length) };
  let diverged = '';
  for (let epoch = initialEpoch; epoch < epochs && history.stopReason === 'completed'; epoch++) {
    const started = performance.now();
    epochStart.params.set(model.params);
    epochStart.state.set(model.state);
    // Each epoch's order depends on the PRNG state alone, which a checkpoint saves.
    for (let i = 0; i < order.length; i++) order[i] = i;
    if (options.shuffle !== false) model.random.shuffle(order);
    let lossSum = 0;
    let seen = 0;
    let correct = 0;
    let total = 0;
    for (let step = 0; step < steps; step++) {
      const start = step * batchSize;
      const batch = Math.min(batchSize, data.rows - start);
      backend.gatherRows(batch, data.cols, data.rows, data.data, order.subarray(start, start + batch), xBatch);
      gatherTargets(targets, order, start, batch, yBatch);
      const result = model.lossAndGradients(xBatch, yBatch, batch);
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
      const logs: BatchLogs = { loss: result.lossSum / batch, size: batch };
      if (compiled.metrics.length > 0) {
        const c = countCorrect(compiled.loss, result.probs, batch, model.outputWidth, yBatch, 0);
        correct += c.correct;
        total += c.total;
        logs.accuracy = c.correct / c.total;
      }
      await options.onBatchEnd?.(step, logs);
      await yieldToEventLoop();
      if (options.signal?.aborted) {
        history.stopReason = 'aborted';
        break;
      }
    }
    if (seen === 0) break;
    const fullEpoch = history.stopReason === 'completed';
    const dataLoss = lossSum / seen;
    const l2Loss = model.l2Penalty(batchSize);
    const seconds = (performance.now() - started) / 1e3;
    const logs: EpochLogs = {
      epoch,
      loss: dataLoss + l2Loss,
      dataLoss,
      l2Loss,
      learningRate: compiled.optimizer.learningRate(),
      seconds,
      samplesPerSecond: seen / seconds,
    };
    if (compiled.metrics.length > 0) logs.accuracy = correct / total;
    if (validation !== undefined) {
      const v = model.evaluate(validation[0], validation[1]);
      logs.valLoss = v.loss;
      if (v.accuracy !== undefined) logs.valAccuracy = v.accuracy;
    }
    history.epochs.push(logs);
    for (const [key, value] of Object.entries(logs)) {
      history.history[key] ??= [];
      history.history[key].push(value);
    }
    await options.onEpochEnd?.(epoch, logs);
    for (const c of callbacks)
      if (c.onEpochEnd?.(epoch, logs, model) === 'stop' && history.stopReason === 'completed') history.stopReason = 'earlyStopping';
    if (saveCheckpoint !== undefined && fullEpoch && (epoch + 1) % checkpointEvery === 0) await saveCheckpoint(epoch, history);
  }
  for (const c of callbacks) c.onTrainEnd?.(model);
  if (diverged !== '') throw new DivergenceError(diverged, history);
  return history;
}

/**
 * Stops when `monitor` (default 'valLoss', or 'loss' without validation data) has not improved
 * by more than minDelta for `patience` epochs; restoreBest puts back the best epoch's weights.
 */
export function earlyStopping(given: EarlyStoppingOptions = {}): Callback {
  const options = earlyStoppingOptions(given);
  const patience = options.patience ?? 0;
  const minDelta = options.minDelta ?? 0;
  let best = Number.POSITIVE_INFINITY;
  let wait = 0;
  let snapshot: Float32Array[] | null = null;
  return {
    spec: { kind: 'earlyStopping', options },
    onTrainBegin(_model, run) {
      const monitor = options.monitor;
      if (monitor?.startsWith('val') && !run.validation)
        throw new RangeError(`earlyStopping: monitor '${monitor}' needs fit({ validationData }); without it, monitor 'loss'`);
      if (monitor !== undefined && /accuracy/i.test(monitor) && !run.accuracy)
        throw new RangeError(`earlyStopping: monitor '${monitor}' needs compile({ metrics: ['accuracy'] })`);
      best = Number.POSITIVE_INFINITY;
      wait = 0;
      snapshot = null;
    },
    onEpochEnd(_epoch, logs, model) {
      const key = (options.monitor as keyof EpochLogs | undefined) ?? (logs.valLoss !== undefined ? 'valLoss' : 'loss');
      const raw = logs[key];
      if (typeof raw !== 'number') throw new RangeError(`earlyStopping: the logs have no '${String(key)}'`);
      // Accuracies improve upwards, losses downwards.
      const value = /accuracy/i.test(String(key)) ? -raw : raw;
      if (value < best - minDelta) {
        best = value;
        wait = 0;
        if (options.restoreBest) snapshot = model.getWeights();
        return undefined;
      }
      wait++;
      return wait > patience ? 'stop' : undefined;
    },
    onTrainEnd(model) {
      if (snapshot !== null) model.setWeights(snapshot);
    },
  };
}
