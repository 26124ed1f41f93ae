// The training worker (see worker-fit.ts): rebuilds the model around the
// shared arenas, runs the ordinary training loop, and reports back.
import { parentPort, workerData } from 'node:worker_threads';
import type { LossName } from './losses.js';
import { Model } from './model.js';
import type { OptimizerSpec } from './optimizers/optimizer.js';
import { type BatchLogs, DivergenceError, earlyStopping, trainModel } from './train.js';
import { checkpointHooks } from './train-checkpoint.js';
import type { WorkerJob, WorkerMessage } from './worker-fit.js';

const job = workerData as WorkerJob;
const port = parentPort;
if (port === null) throw new Error('densenode/worker: run only as a worker_thread');
const post = (message: WorkerMessage) => port.postMessage(message);
const controller = new AbortController();
port.on('message', (message: { type: string }) => {
  if (message.type === 'abort') controller.abort();
});

try {
  const model = new Model(job.config, undefined, { params: job.params, state: job.state });
  model.preprocessing = job.preprocessing;
  model.compile({
    loss: job.compile.loss as LossName,
    optimizer: job.compile.optimizer as OptimizerSpec,
    l2: job.compile.l2,
    metrics: job.compile.metrics as 'accuracy'[],
  });
  const { optimizer } = model.requireCompiled('fit');
  optimizer.step = job.step;
  optimizer.slots.forEach((slot, i) => {
    slot.set(job.slots[i] as Float32Array);
  });
  model.random.setState(job.random);
  const { batchEvents, ...options } = job.options;
  const run = trainModel(
    model,
    job.x,
    job.y,
    {
      ...options,
      signal: controller.signal,
      callbacks: job.earlyStopping.map(earlyStopping),
      onEpochEnd: (epoch, logs) => post({ type: 'epoch', epoch, logs }),
      ...(batchEvents ? { onBatchEnd: (batch: number, logs: BatchLogs) => post({ type: 'batch', batch, logs }) } : {}),
    },
    checkpointHooks(model, options.checkpoint),
  );
  // A divergence still hands back the state, so the model stays consistent with its last finite weights.
  const outcome = await run.then(
    (history) => ({ history, diverged: null as string | null }),
    (error: unknown) => {
      if (error instanceof DivergenceError) return { history: error.history, diverged: error.message };
      throw error;
    },
  );
  // The optimizer's moments were trained in worker-local copies: write them back to the shared slots.
  optimizer.slots.forEach((slot, i) => {
    (job.slots[i] as Float32Array).set(slot);
  });
  post({ type: 'done', history: outcome.history, random: model.random.getState(), step: optimizer.step, diverged: outcome.diverged });
} catch (error) {
  const e = error instanceof Error ? error : new Error(String(error));
  post({ type: 'error', name: e.name, message: e.message });
}
// The abort listener would keep this thread alive: closing the port lets it exit.
port.close();
