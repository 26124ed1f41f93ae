// The training worker (see worker-fit.ts): rebuilds the model around the
// shared arenas, runs the ordinary training loop with the built-in callbacks
// and a relay that hands every event to the main thread's callbacks.
import { parentPort, workerData } from 'node:worker_threads';
import { earlyStopping } from './callbacks/early-stopping.js';
import { reduceLrOnPlateau } from './callbacks/reduce-lr.js';
import type { BuiltInCallback, Callback } from './fit-types.js';
import { DivergenceError } from './fit-types.js';
import type { LossName } from './losses.js';
import { Model } from './model.js';
import { trainModel } from './train.js';
import { checkpointHooks } from './train-checkpoint.js';
import type { TrainedState, WorkerJob, WorkerMessage, WorkerReply } from './worker-fit.js';
import { remoteSource } from './worker-source.js';

const job = workerData as WorkerJob;
const port = parentPort;
if (port === null) throw new Error('densenode/worker: run only as a worker_thread');
const post = (message: WorkerMessage) => port.postMessage(message);
const controller = new AbortController();
if (job.aborted) controller.abort();
let stopRequested = false;
let answer: ((reply: WorkerReply) => void) | null = null;
const remote = job.x === null ? remoteSource(post, job.remoteValidation) : null;
port.on('message', (message: { type: string }) => {
  if (remote?.receive(message)) return;
  if (message.type === 'abort') controller.abort();
  else if (message.type === 'stop') stopRequested = true;
  else if (message.type === 'continue') answer?.(message as WorkerReply);
});

/** Posts an event and waits for the main thread's callbacks to finish with it. */
function ask(message: WorkerMessage): Promise<WorkerReply> {
  return new Promise((resolve) => {
    answer = resolve;
    post(message);
  });
}

const builtIn = (spec: BuiltInCallback): Callback =>
  spec.kind === 'earlyStopping' ? earlyStopping(spec.options) : reduceLrOnPlateau(spec.options);

let trained: (() => TrainedState) | null = null;
try {
  const model = new Model(job.config, undefined, { params: job.params, state: job.state });
  model.preprocessing = job.preprocessing;
  model.compile({
    loss: job.compile.loss as LossName,
    ...(job.compile.loss === 'huber' ? { delta: job.compile.delta } : {}),
    optimizer: job.compile.optimizer,
    l2: job.compile.l2,
    metrics: job.compile.metrics,
  });
  const { optimizer } = model.requireCompiled('fit');
  optimizer.step = job.step;
  optimizer.learningRateFactor = job.learningRateFactor;
  optimizer.slots.forEach((slot, i) => {
    slot.set(job.slots[i] as Float32Array);
  });
  model.random.setState(job.random);
  // The optimizer's moments are trained in worker-local copies: written back to the shared slots
  // with the rest of the state, whether the run ended well or not.
  trained = () => {
    optimizer.slots.forEach((slot, i) => {
      (job.slots[i] as Float32Array).set(slot);
    });
    return { random: model.random.getState(), step: optimizer.step, learningRateFactor: optimizer.learningRateFactor };
  };
  const { relay } = job;
  const stopOr = (reply: WorkerReply) => (reply.stop ? 'stop' : undefined);
  const relayCallback: Callback = {
    async onTrainBegin(_model, run) {
      if (relay.begin && (await ask({ type: 'begin', run })).stop) stopRequested = true;
    },
    async onEpochBegin(epoch) {
      if (stopRequested) return 'stop';
      return relay.epochBegin ? stopOr(await ask({ type: 'epochBegin', epoch })) : undefined;
    },
    onBatchBegin: relay.batches ? (batch) => post({ type: 'batchBegin', batch }) : undefined,
    // A batch hook's 'stop' arrives as a message; the next batch end sees it.
    onBatchEnd: relay.batches
      ? (batch, logs) => {
          post({ type: 'batch', batch, logs });
          return stopRequested ? 'stop' : undefined;
        }
      : undefined,
    async onEpochEnd(epoch, logs) {
      if (!relay.epochEnd) return stopRequested ? 'stop' : undefined;
      const reply = await ask({ type: 'epoch', epoch, logs, step: optimizer.step, learningRateFactor: optimizer.learningRateFactor });
      optimizer.learningRateFactor = reply.learningRateFactor;
      return reply.stop || stopRequested ? 'stop' : undefined;
    },
  };
  const run = trainModel(
    model,
    job.x ?? [],
    job.y ?? undefined,
    { ...job.options, signal: controller.signal, callbacks: [...job.builtIns.map(builtIn), relayCallback] },
    {
      ...checkpointHooks(model, job.options.checkpoint),
      ...(job.resume === null ? {} : { resume: job.resume }),
      ...(remote === null ? {} : { remote: remote.source }),
    },
  );
  // A divergence still hands back the state, so the model stays consistent with its last finite weights.
  const outcome = await run.then(
    (history) => ({ history, diverged: null as string | null }),
    (error: unknown) => {
      if (error instanceof DivergenceError) return { history: error.history, diverged: error.message };
      throw error;
    },
  );
  post({ type: 'done', history: outcome.history, diverged: outcome.diverged, state: trained() });
} catch (error) {
  const e = error instanceof Error ? error : new Error(String(error));
  post({ type: 'error', name: e.name, message: e.message, state: trained?.() ?? null });
}
// The abort listener would keep this thread alive: closing the port lets it exit.
port.close();
