// fit({ worker: true }): the same training loop in a worker_thread. The
// parameter, state and optimizer arenas are SharedArrayBuffers, so the worker
// trains them in place and the main thread stays free; the PRNG state and step
// count travel back at the end, so the run is the same as an in-process one.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Preprocessing } from './data/spec.js';
import { type BatchLogs, DivergenceError, type EarlyStoppingOptions, type EpochLogs, type FitOptions, type History } from './fit-types.js';
import type { SequentialConfig, TrainableModel } from './model-types.js';
import type { LabelsLike } from './targets.js';
import type { MatrixLike } from './tensor.js';

/** What the worker needs to rebuild the model around the shared arenas. */
export interface WorkerJob {
  config: SequentialConfig;
  preprocessing: Preprocessing | null;
  compile: { loss: string; optimizer: unknown; l2: number; metrics: string[] };
  params: Float32Array;
  state: Float32Array;
  slots: Float32Array[];
  step: number;
  random: number[];
  x: MatrixLike;
  y: LabelsLike;
  options: Omit<FitOptions, 'signal' | 'onEpochEnd' | 'onBatchEnd' | 'callbacks' | 'worker'> & { batchEvents: boolean };
  earlyStopping: EarlyStoppingOptions[];
}

export type WorkerMessage =
  | { type: 'epoch'; epoch: number; logs: EpochLogs }
  | { type: 'batch'; batch: number; logs: BatchLogs }
  | { type: 'done'; history: History; random: number[]; step: number; diverged: string | null }
  | { type: 'error'; name: string; message: string };

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

export async function trainInWorker(model: TrainableModel, x: MatrixLike, y: LabelsLike, options: FitOptions): Promise<History> {
  const compiled = model.requireCompiled('fit');
  if (!isShared(model.params) || !isShared(model.state) || !compiled.optimizer.slots.every(isShared)) {
    throw new TypeError('fit: worker: true needs a model whose arenas are shared memory (one made by sequential() or mlp())');
  }
  const earlyStopping = (options.callbacks ?? []).map((c) => {
    if (c.spec?.kind !== 'earlyStopping')
      throw new TypeError('fit: with worker: true, only earlyStopping() callbacks can run in the worker; use onEpochEnd');
    return c.spec.options;
  });
  const { signal, onEpochEnd, onBatchEnd, callbacks: _callbacks, worker: _worker, ...rest } = options;
  const job: WorkerJob = {
    config: model.config,
    preprocessing: model.preprocessing,
    compile: { loss: compiled.loss, optimizer: compiled.optimizer.spec, l2: compiled.l2, metrics: compiled.metrics },
    params: model.params,
    state: model.state,
    slots: compiled.optimizer.slots,
    step: compiled.optimizer.step,
    random: model.random.getState(),
    x,
    y,
    options: { ...rest, batchEvents: onBatchEnd !== undefined },
    earlyStopping,
  };
  return new Promise<History>((resolve, reject) => {
    const worker = new Worker(workerScript(), { workerData: job });
    const abort = () => worker.postMessage({ type: 'abort' });
    signal?.addEventListener('abort', abort, { once: true });
    if (signal?.aborted) abort();
    let settled = false;
    const finish = (error: Error | null, history?: History) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', abort);
      if (error) reject(error);
      else resolve(history as History);
    };
    // A callback that throws (or rejects) stops the worker and rejects fit(), as in-process.
    const callback = (run: () => void | Promise<void>) => {
      Promise.resolve()
        .then(run)
        .catch((error: unknown) => {
          abort();
          finish(error instanceof Error ? error : new Error(String(error)));
        });
    };
    worker.on('message', (message: WorkerMessage) => {
      switch (message.type) {
        case 'epoch':
          callback(() => onEpochEnd?.(message.epoch, message.logs));
          break;
        case 'batch':
          callback(() => onBatchEnd?.(message.batch, message.logs));
          break;
        case 'done':
          model.random.setState(message.random);
          compiled.optimizer.step = message.step;
          if (message.diverged !== null) finish(new DivergenceError(message.diverged, message.history));
          else finish(null, message.history);
          break;
        case 'error': {
          const ErrorClass = message.name === 'RangeError' ? RangeError : message.name === 'TypeError' ? TypeError : Error;
          finish(new ErrorClass(message.message));
          break;
        }
      }
    });
    worker.on('error', (error) => finish(error));
    worker.on('exit', (code) => finish(code === 0 ? null : new Error(`fit: the training worker exited with code ${code}`)));
  });
}
