// fit({ worker: true }): the same training loop in a worker_thread. The
// parameter, state and optimizer arenas are SharedArrayBuffers, so the worker
// trains them in place and the main thread stays free; the PRNG state and step
// count travel back at the end, so the run is the same as an in-process one.
// Callbacks run on the main thread: the worker waits for them at the start of
// training and of each epoch and at each epoch's end (so a 'stop' or a new
// learning rate lands at the same step every run); batch hooks only observe.
// The built-in callbacks (earlyStopping, reduceLrOnPlateau) run inside the worker.
// fit settles only once the worker has exited: until then it may still be stepping the arenas.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type BatchSource, isSource } from './batch-source.js';
import type { Preprocessing } from './data/spec.js';
import {
  type BatchLogs,
  type BuiltInCallback,
  DivergenceError,
  type EpochLogs,
  type EpochResume,
  type FitOptions,
  type History,
  type RunInfo,
} from './fit-types.js';
import { builtInMetrics, type MetricName } from './metrics/index.js';
import type { SequentialConfig, TrainableModel } from './model-types.js';
import type { OptimizerSpec } from './optimizers/optimizer.js';
import type { LabelsLike } from './targets.js';
import type { MatrixLike } from './tensor.js';
import { call as callHooks, runCallbacks } from './train.js';
import { checkSourceOptions } from './train-plans.js';
import { type SourceRequest, sourceFeeder } from './worker-source.js';

/** What the worker needs to rebuild the model around the shared arenas. */
export interface WorkerJob {
  config: SequentialConfig;
  preprocessing: Preprocessing | null;
  compile: { loss: string; delta: number; optimizer: OptimizerSpec; l2: number; metrics: MetricName[] };
  params: Float32Array;
  state: Float32Array;
  slots: Float32Array[];
  step: number;
  learningRateFactor: number;
  random: number[];
  /** null: the batches come from the main thread's source (see worker-source.ts). */
  x: MatrixLike | null;
  y: LabelsLike | null;
  /** With a source, whether validation is a source too (evaluated on the main thread). */
  remoteValidation: boolean;
  /** A mid-epoch checkpoint's position in the first epoch. */
  resume: EpochResume | null;
  options: Omit<FitOptions, 'signal' | 'onEpochEnd' | 'onBatchEnd' | 'callbacks' | 'worker' | 'verbose'>;
  /** Which main-thread hooks exist: the worker only stops for those. */
  relay: { begin: boolean; epochBegin: boolean; epochEnd: boolean; batches: boolean };
  builtIns: BuiltInCallback[];
  /** The caller's signal was aborted before the worker started. */
  aborted: boolean;
}

export type WorkerMessage =
  | { type: 'begin'; run: RunInfo }
  | { type: 'epochBegin'; epoch: number }
  | { type: 'epoch'; epoch: number; logs: EpochLogs; step: number; learningRateFactor: number }
  | { type: 'batchBegin'; batch: number }
  | { type: 'batch'; batch: number; logs: BatchLogs }
  | { type: 'done'; history: History; diverged: string | null; state: TrainedState }
  | { type: 'error'; name: string; message: string; state: TrainedState | null }
  | SourceRequest;

/** What the worker hands back at the end, so the main thread's model matches the arenas it trained. */
export interface TrainedState {
  random: number[];
  step: number;
  learningRateFactor: number;
}

/** What the main thread answers to begin, epochBegin and epoch. */
export interface WorkerReply {
  type: 'continue';
  stop: boolean;
  learningRateFactor: number;
}

// dist/worker.js next to this file; under the TypeScript sources (tests), the built copy.
function workerScript(): string {
  const here = fileURLToPath(import.meta.url);
  const script = here.endsWith('.ts')
    ? fileURLToPath(new URL('../dist/worker.js', import.meta.url))
    : here.replace(/worker-fit\.js$/, 'worker.js');
  if (!existsSync(script)) throw new Error(`fit: the training worker ${script} is missing; run \`npm run build\``);
  return script;
}

function isShared(array: Float32Array): boolean {
  return array.buffer instanceof SharedArrayBuffer;
}

export async function trainInWorker(
  model: TrainableModel,
  x: MatrixLike | BatchSource,
  y: LabelsLike | undefined,
  options: FitOptions,
  resume: EpochResume | null = null,
): Promise<History> {
  const compiled = model.requireCompiled('fit');
  if (!isShared(model.params) || !isShared(model.state) || !compiled.optimizer.slots.every(isShared)) {
    throw new TypeError('fit: worker: true needs a model whose arenas are shared memory (one made by sequential() or mlp())');
  }
  if (compiled.custom !== null)
    throw new TypeError(
      `fit: with worker: true, the custom loss '${compiled.custom.name || 'anonymous'}' cannot run in the worker (functions do not cross threads)`,
    );
  const custom = compiled.metrics.find((m) => typeof m.metric === 'function');
  if (custom !== undefined)
    throw new TypeError(
      `fit: with worker: true, the custom metric '${custom.name}' cannot run in the worker (functions do not cross threads)`,
    );
  const source = isSource(x) ? x : null;
  // The worker sees the batches, not the source: whether it is endless is known here.
  if (source !== null) checkSourceOptions(options, source);
  const validationSource = isSource(options.validationData) ? options.validationData : null;
  if (source === null && validationSource !== null)
    throw new TypeError('fit: with worker: true and arrays, validationData must be arrays (a source is code, it cannot cross threads)');
  const callbacks = runCallbacks(options);
  const builtIns = callbacks.flatMap((c) => (c.spec === undefined ? [] : [c.spec]));
  const main = callbacks.filter((c) => c.spec === undefined);
  const { signal, onEpochEnd: _e, onBatchEnd: _b, callbacks: _c, worker: _w, verbose: _v, ...given } = options;
  // A source's class weights are applied here as it is read, its validation evaluated here.
  const { classWeight: _cw, validationData: _vd, ...sourceRest } = given;
  const rest =
    source === null ? given : { ...sourceRest, ...(validationSource === null && _vd !== undefined ? { validationData: _vd } : {}) };
  const job: WorkerJob = {
    config: model.config,
    preprocessing: model.preprocessing,
    compile: {
      loss: compiled.loss,
      delta: compiled.delta,
      optimizer: compiled.optimizer.spec,
      l2: compiled.l2,
      metrics: builtInMetrics(compiled.metrics),
    },
    params: model.params,
    state: model.state,
    slots: compiled.optimizer.slots,
    step: compiled.optimizer.step,
    learningRateFactor: compiled.optimizer.learningRateFactor,
    random: model.random.getState(),
    x: source === null ? (x as MatrixLike) : null,
    y: source === null ? (y as LabelsLike) : null,
    remoteValidation: validationSource !== null,
    resume,
    options: rest,
    relay: {
      begin: main.some((c) => c.onTrainBegin !== undefined),
      epochBegin: main.some((c) => c.onEpochBegin !== undefined),
      epochEnd: main.some((c) => c.onEpochEnd !== undefined),
      batches: main.some((c) => c.onBatchBegin !== undefined || c.onBatchEnd !== undefined),
    },
    builtIns,
    // Aborted before it starts: the worker trains nothing, as in-process fit (a message would land after a step).
    aborted: signal?.aborted === true,
  };
  return new Promise<History>((resolve, reject) => {
    const worker = new Worker(workerScript(), { workerData: job });
    const feeder = source === null ? null : sourceFeeder(model, source, options.classWeight, validationSource, worker);
    // Once something failed the worker is asked to stop: every question is answered 'stop', no hook runs.
    let failure: Error | null = null;
    let result: { error: Error | null; history?: History } | null = null;
    const abort = () => worker.postMessage({ type: 'abort' });
    signal?.addEventListener('abort', abort, { once: true });
    if (signal?.aborted) abort();
    const fail = (error: unknown) => {
      failure ??= error instanceof Error ? error : new Error(String(error));
      abort();
    };
    const adopt = (state: TrainedState) => {
      model.random.setState(state.random);
      compiled.optimizer.step = state.step;
      compiled.optimizer.learningRateFactor = state.learningRateFactor;
    };
    // Hooks run one message at a time, in order: a chain of promises.
    let queue: Promise<void> = Promise.resolve();
    const then = (run: () => Promise<void>) => {
      queue = queue.then(run).catch(fail);
    };
    // A hook that throws fails the run, and its question is still answered (stop) so the worker ends.
    const hooks = async (run: () => Promise<boolean>): Promise<boolean> => {
      if (failure !== null) return true;
      try {
        return await run();
      } catch (error) {
        fail(error);
        return true;
      }
    };
    // The hooks the worker waits for: it leaves the shared arenas alone meanwhile (setWeights may write them).
    const waited = async (run: () => Promise<boolean>): Promise<boolean> => {
      model.workerWaits = true;
      try {
        return await hooks(run);
      } finally {
        model.workerWaits = false;
      }
    };
    const reply = (stop: boolean) => {
      const message: WorkerReply = {
        type: 'continue',
        stop: stop || failure !== null,
        learningRateFactor: compiled.optimizer.learningRateFactor,
      };
      worker.postMessage(message);
    };
    worker.on('message', (message: WorkerMessage) => {
      switch (message.type) {
        case 'begin':
          then(async () => reply(await waited(() => callHooks(main, (c) => c.onTrainBegin?.(model, message.run)))));
          break;
        case 'epochBegin':
          then(async () => reply(await waited(() => callHooks(main, (c) => c.onEpochBegin?.(message.epoch, model)))));
          break;
        case 'batchBegin':
          then(async () => {
            if (await hooks(() => callHooks(main, (c) => c.onBatchBegin?.(message.batch, model)))) worker.postMessage({ type: 'stop' });
          });
          break;
        case 'batch':
          then(async () => {
            if (await hooks(() => callHooks(main, (c) => c.onBatchEnd?.(message.batch, message.logs, model))))
              worker.postMessage({ type: 'stop' });
          });
          break;
        case 'epoch':
          then(async () => {
            // The main thread's view of the optimizer, for getLearningRate/setLearningRate in the hooks.
            compiled.optimizer.step = message.step;
            compiled.optimizer.learningRateFactor = message.learningRateFactor;
            reply(await waited(() => callHooks(main, (c) => c.onEpochEnd?.(message.epoch, message.logs, model))));
          });
          break;
        case 'done':
          then(async () => {
            adopt(message.state);
            if (failure === null) await callHooks(main, (c) => c.onTrainEnd?.(model, message.history));
            if (message.diverged !== null) result ??= { error: new DivergenceError(message.diverged, message.history) };
            else result ??= { error: null, history: message.history };
          });
          break;
        case 'error': {
          if (message.state !== null) adopt(message.state);
          const ErrorClass = message.name === 'RangeError' ? RangeError : message.name === 'TypeError' ? TypeError : Error;
          result ??= { error: new ErrorClass(message.message) };
          break;
        }
        default:
          // The source's requests are served at once, outside the hook queue (read-ahead overlaps training).
          feeder?.handle(message);
      }
    });
    worker.on('error', (error) => {
      result ??= { error };
    });
    worker.on('exit', (code) => {
      // The worker no longer touches the arenas: settle, after whatever the queue still holds.
      then(async () => {
        signal?.removeEventListener('abort', abort);
        await feeder?.close();
        // The source's own error first (the worker only saw that it failed), then a hook's, then the worker's.
        if (feeder?.failed) reject(feeder.error);
        else if (failure !== null) reject(failure);
        else if (result === null) reject(new Error(`fit: the training worker exited with code ${code} before finishing`));
        else if (result.error !== null) reject(result.error);
        else resolve(result.history as History);
      });
    });
  });
}
