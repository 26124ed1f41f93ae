// fit(): epochs of shuffled mini-batches, each step forward → loss (+ L2) →
// backward → one optimizer call, then a yield to the event loop so a server
// keeps serving. Stops cleanly on an AbortSignal, early stopping or a callback's
// 'stop'; on divergence (a non-finite loss or gradient) the update is skipped,
// so the weights stay the last finite ones, and fit rejects with a DivergenceError.

import { type BatchSource, isSource } from './batch-source.js';
import { verboseCallback } from './callbacks/verbose.js';
import { checkOptionKeys, checkPositiveInteger, invalidArgument, invalidRange, invalidType, oneOf } from './errors.js';
import { fitData } from './fit-data.js';
import type { BatchLogs, Callback, EpochLogs, EpochResume, FitOptions, History, HookResult, RunInfo } from './fit-types.js';
import { DivergenceError } from './fit-types.js';
import { createMetrics } from './metrics/index.js';
import type { TrainableModel } from './model-types.js';
import { countCorrect, type LabelsLike } from './targets.js';
import type { MatrixLike } from './tensor.js';
import { type EpochPlan, memoryPlan, type RemoteSource, sourcePlan } from './train-plans.js';

export { earlyStopping } from './callbacks/early-stopping.js';
export { reduceLrOnPlateau } from './callbacks/reduce-lr.js';
export type { BatchLogs, Callback, EarlyStoppingOptions, EpochLogs, FitOptions, History } from './fit-types.js';
export { DivergenceError } from './fit-types.js';

const positiveInteger = (name: string, value: unknown) => checkPositiveInteger('fit', name, value);

/** Numbers of metric state a mid-epoch checkpoint's manifest may carry (auc keeps every score). */
const MAX_METRIC_STATE = 1 << 20;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

// fit lets the event loop run once this much training time has passed since it last did: a
// server's timers and requests wait at most about that plus one step, and a small model's steps
// (tens of µs) do not each pay the hop (breast cancer 30-16-8-1: 50 µs a step with a hop after
// each, docs/decisions.md). A step of a large model takes longer, so it still yields after each.
const YIELD_EVERY_MS = 1;

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
  'stepsPerEpoch',
];
const HOOKS = ['onTrainBegin', 'onEpochBegin', 'onBatchBegin', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd'];

/** What the caller of the loop supplies: how to write a checkpoint (io stays out of the loop), and where to resume. */
export interface TrainHooks {
  /** Writes a checkpoint after epoch `epoch`, or within it (`within`: where it stands) for a mid-epoch one. */
  saveCheckpoint?(epoch: number, history: History, within?: EpochResume): Promise<void>;
  /** A mid-epoch checkpoint's position in epoch initialEpoch (see restoreCheckpoint). */
  resume?: EpochResume;
  /** Batches from another thread's source (the training worker's); x is then ignored. */
  remote?: RemoteSource;
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
  if (hooks.remote !== undefined) {
    plan = sourcePlan(model, null, options, hooks.remote);
  } else if (isSource(x)) {
    plan = sourcePlan(model, x, options);
  } else {
    const data = fitData(model, x, y as LabelsLike, options);
    plan = memoryPlan(model, data, options, Math.min(positiveInteger('batchSize', options.batchSize ?? 32), data.x.rows));
  }
  const initialEpoch = options.initialEpoch ?? 0;
  if (!(Number.isInteger(initialEpoch) && initialEpoch >= 0)) throw invalidRange('fit', 'initialEpoch', 'an integer >= 0', initialEpoch);
  const checkpoint = options.checkpoint;
  if (checkpoint !== undefined && (checkpoint === null || typeof checkpoint.dir !== 'string' || checkpoint.dir === '')) {
    throw invalidType('fit', 'checkpoint', "{ dir: string, every?: 'epoch' | number, everySteps?: number }", checkpoint);
  }
  if (checkpoint !== undefined) checkOptionKeys('fit', 'checkpoint', checkpoint, ['dir', 'every', 'everySteps']);
  const everySteps = checkpoint?.everySteps === undefined ? null : positiveInteger('checkpoint.everySteps', checkpoint.everySteps);
  // everySteps alone saves by steps only; every (default 'epoch') saves at epoch ends.
  const every = checkpoint?.every ?? (everySteps === null ? 'epoch' : undefined);
  const checkpointEvery = every === undefined ? null : every === 'epoch' ? 1 : positiveInteger('checkpoint.every', every);
  const resume = hooks.resume ?? null;
  if (resume !== null && resume.step >= (plan.steps ?? Number.POSITIVE_INFINITY))
    throw new RangeError(`fit: the checkpoint was taken at step ${resume.step} of an epoch, this data has ${plan.steps} steps per epoch`);
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
  if (await call(callbacks, (c) => c.onTrainBegin?.(model, run))) history.stopReason = 'callback';
  if (options.signal?.aborted) history.stopReason = 'aborted';
  // Weights, statistics and optimizer state at the start of the epoch: the fallback if an update
  // overflowed the weights or the optimizer's moments (see below).
  const { optimizer } = compiled;
  const epochStart = {
    params: new Float32Array(model.params.length),
    state: new Float32Array(model.state.length),
    slots: optimizer.slots.map((slot) => new Float32Array(slot.length)),
    step: 0,
    learningRateFactor: 1,
  };
  // The state before the step: a forward pass in training mode moves the batch-norm statistics.
  const stepState = new Float32Array(model.state.length);
  const nonFinite = (a: Float32Array) => backend.findNonFinite(a.length, a) >= 0;
  const restoreEpochStart = () => {
    model.params.set(epochStart.params);
    model.weightsChanged();
    model.state.set(epochStart.state);
    optimizer.slots.forEach((slot, i) => {
      slot.set(epochStart.slots[i] as Float32Array);
    });
    optimizer.step = epochStart.step;
    optimizer.learningRateFactor = epochStart.learningRateFactor;
  };
  // A finite gradient of 1e20 or more overflows RMSprop's and Adam's second moment (its square
  // times 1 − β₂): every later step of that weight is then 0, a stall with finite weights. The
  // moments are scanned where they would be kept, at each epoch's end and before a checkpoint,
  // rather than in every update (that cost Adam 8 % on Zen 4); the epoch's start comes back.
  const momentsOverflowed = (epoch: number) => {
    if (!optimizer.slots.some(nonFinite)) return false;
    history.stopReason = 'diverged';
    restoreEpochStart();
    diverged = `fit: training diverged in epoch ${epoch}: the optimizer's moments overflowed (a gradient of 1e20 or more); the model keeps the weights and optimizer state from the start of epoch ${epoch}`;
    return true;
  };
  let diverged = '';
  let lastYield = performance.now();
  for (let epoch = initialEpoch; epoch < epochs && history.stopReason === 'completed'; epoch++) {
    if (await call(callbacks, (c) => c.onEpochBegin?.(epoch, model))) {
      history.stopReason = 'callback';
      break;
    }
    const started = performance.now();
    epochStart.params.set(model.params);
    epochStart.state.set(model.state);
    optimizer.slots.forEach((slot, i) => {
      (epochStart.slots[i] as Float32Array).set(slot);
    });
    epochStart.step = optimizer.step;
    epochStart.learningRateFactor = optimizer.learningRateFactor;
    const within = epoch === initialEpoch ? resume : null;
    const epochRandom = within?.epochRandom ?? model.random.getState();
    metrics.reset();
    if (within?.metrics !== undefined && !metrics.load(within.metrics))
      throw new RangeError("fit: the checkpoint's metric state does not fit this model's metrics (compiled with other metrics?)");
    let lossSum = within?.lossSum ?? 0;
    let seen = within?.seen ?? 0;
    let step = within?.step ?? 0;
    // A step checkpoint is written once the next batch is known (the epoch-end one if there is none).
    let stepSaveDue = false;
    const saveWithin = async () => {
      stepSaveDue = false;
      const state = metrics.save();
      const keep = state.reduce((n, s) => n + s.length, 0) <= MAX_METRIC_STATE && state.every((s) => s.every(Number.isFinite));
      await saveCheckpoint?.(epoch, history, { step, epochRandom, lossSum, seen, ...(keep ? { metrics: state } : {}) });
    };
    for await (const input of plan.batches(epoch, within)) {
      if (stepSaveDue) {
        if (momentsOverflowed(epoch)) break;
        await saveWithin();
      }
      if (batchHooks && (await call(callbacks, (c) => c.onBatchBegin?.(step, model)))) {
        history.stopReason = 'callback';
        break;
      }
      const { rows: batch, targets: yBatch, weights: wBatch } = input;
      stepState.set(model.state);
      // The next batch is gathered beside this step's kernels, settled before any user code runs
      // (a custom loss is user code inside the step, so it reads nothing ahead).
      const settle = compiled.custom === null ? input.readAhead?.() : undefined;
      let result: ReturnType<typeof model.lossAndGradients>;
      let finite: boolean;
      try {
        // The L2 term goes to the optimizer, which adds it as it reads each gradient (l2-term.ts).
        result = model.lossAndGradients(input.x, yBatch, batch, wBatch, false);
        if (!Number.isFinite(result.lossSum) || nonFinite(model.grads) || nonFinite(model.state)) {
          history.stopReason = 'diverged';
          const what = nonFinite(model.state) ? 'the batch-norm moving statistics overflowed' : `loss ${result.lossSum / batch}`;
          diverged = `fit: training diverged at epoch ${epoch}, step ${step} (${what}); the model keeps the last finite weights`;
          model.state.set(stepState);
          break;
        }
        finite = optimizer.apply(backend, model.params, model.grads, model.l2Term(batch));
        model.weightsChanged();
      } finally {
        settle?.();
      }
      // Finite gradients times a huge learning rate can overflow the weights themselves (SGD,
      // momentum): then the last finite state is the epoch's start.
      if (!finite) {
        history.stopReason = 'diverged';
        restoreEpochStart();
        diverged = `fit: training diverged at epoch ${epoch}, step ${step}: the weights overflowed; the model keeps the weights and optimizer state from the start of epoch ${epoch}`;
        break;
      }
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
      if (everySteps !== null && saveCheckpoint !== undefined && optimizer.step % everySteps === 0) stepSaveDue = true;
      if (performance.now() - lastYield >= YIELD_EVERY_MS) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
      if (options.signal?.aborted) history.stopReason = 'aborted';
      if (history.stopReason !== 'completed') break;
    }
    if (history.stopReason !== 'diverged' && momentsOverflowed(epoch)) break;
    // Stopped right after a due step checkpoint: write it (a resumed run continues from there).
    if (stepSaveDue && history.stopReason !== 'completed' && history.stopReason !== 'diverged') await saveWithin();
    if (seen === 0 && plan.fromSource && history.stopReason === 'completed')
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
      learningRate: optimizer.learningRate(),
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
    const epochDue = checkpointEvery !== null && (epoch + 1) % checkpointEvery === 0;
    if (saveCheckpoint !== undefined && fullEpoch && (epochDue || stepSaveDue)) await saveCheckpoint(epoch, history);
  }
  await call(callbacks, (c) => c.onTrainEnd?.(model, history));
  if (diverged !== '') throw new DivergenceError(diverged, history);
  return history;
}
