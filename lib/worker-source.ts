// fit(source, { worker: true }): the source stays on the main thread (a database cursor cannot
// move), which reads it at most READ_AHEAD batches ahead of the worker and hands each batch over
// by transfer. The batches are copies fit owns (the caller's buffers stay usable, a shared one
// could not be transferred), so the worker trains on exactly the rows an in-process run would.
// A validation source is evaluated here too, on the shared arenas, while the worker waits.
import { type BatchSource, sourceBatches } from './batch-source.js';
import { evaluator } from './evaluate.js';
import type { WeightedData } from './fit-data.js';
import type { ClassWeight } from './fit-types.js';
import type { Targets } from './losses.js';
import type { Evaluation, TrainableModel } from './model-types.js';
import type { RemoteSource } from './train-plans.js';

/** Batches read but not yet trained on: enough to hide the source's latency, bounded in memory. */
export const READ_AHEAD = 2;

/** From the worker: open an epoch's read, a batch taken (a credit back), an early close, a validation. */
export type SourceRequest =
  | { type: 'sourceOpen'; id: number; epoch: number }
  | { type: 'sourceTake'; id: number }
  | { type: 'sourceClose'; id: number }
  | { type: 'validate' };

/** To the worker. */
export type SourceReply =
  | { type: 'sourceBatch'; id: number; rows: number; cols: number; x: Float32Array; targets: Targets; weights: Float32Array | null }
  | { type: 'sourceEnd'; id: number }
  | { type: 'sourceFailed'; id: number }
  | { type: 'validation'; evaluation: Evaluation | null };

interface Port {
  postMessage(message: SourceReply, transfer?: ArrayBuffer[]): void;
}

/** The main thread's side: answers the worker's requests; `error` is the source's own error, if it threw. */
export function sourceFeeder(
  model: TrainableModel,
  source: BatchSource,
  classWeight: ClassWeight | undefined,
  validation: BatchSource | null,
  port: Port,
) {
  let open: { id: number; it: AsyncIterator<WeightedData>; credits: number; pumping: Promise<void> | null; closed: boolean } | null = null;
  const feeder = {
    error: undefined as unknown,
    failed: false,
    handle(message: SourceRequest): void {
      if (message.type === 'sourceOpen') {
        void feeder.close();
        open = {
          id: message.id,
          it: sourceBatches(model, source, 'fit', classWeight, message.epoch)[Symbol.asyncIterator](),
          credits: READ_AHEAD,
          pumping: null,
          closed: false,
        };
        pump(open);
      } else if (message.type === 'sourceTake' && open?.id === message.id) {
        open.credits++;
        pump(open);
      } else if (message.type === 'sourceClose' && open?.id === message.id) {
        void feeder.close();
      } else if (message.type === 'validate') {
        void validate();
      }
    },
    /** Ends the open epoch's read, letting the source release what it holds (its finally blocks). */
    async close(): Promise<void> {
      const current = open;
      open = null;
      if (current === null || current.closed) return;
      current.closed = true;
      await current.pumping;
      await current.it.return?.().catch(() => undefined);
    },
  };
  const fail = (error: unknown) => {
    if (!feeder.failed) feeder.error = error;
    feeder.failed = true;
  };
  function pump(state: NonNullable<typeof open>): void {
    if (state.pumping !== null) return;
    state.pumping = (async () => {
      while (!state.closed && state.credits > 0) {
        let next: IteratorResult<WeightedData>;
        try {
          next = await state.it.next();
        } catch (error) {
          fail(error);
          state.closed = true;
          port.postMessage({ type: 'sourceFailed', id: state.id });
          return;
        }
        if (state.closed) return;
        if (next.done) {
          state.closed = true;
          port.postMessage({ type: 'sourceEnd', id: state.id });
          return;
        }
        state.credits--;
        const { x, targets, weights } = next.value;
        const copy = {
          x: x.data.slice(),
          targets: targets.kind === 'labels' ? { ...targets, data: targets.data.slice() } : { ...targets, data: targets.data.slice() },
          weights: weights === null ? null : weights.slice(),
        };
        const transfer = [copy.x.buffer, copy.targets.data.buffer, ...(copy.weights === null ? [] : [copy.weights.buffer])];
        port.postMessage({ type: 'sourceBatch', id: state.id, rows: x.rows, cols: x.cols, ...copy }, transfer as ArrayBuffer[]);
      }
    })().finally(() => {
      state.pumping = null;
    });
    // A credit that came back while the pump was finishing: go on.
    void state.pumping.then(() => {
      if (!state.closed && state.credits > 0) pump(state);
    });
  }
  async function validate(): Promise<void> {
    if (validation === null) return port.postMessage({ type: 'validation', evaluation: null });
    try {
      const e = evaluator(model, 'fit');
      for await (const part of sourceBatches(model, validation, 'fit (validationData)')) e.add(part.x, part.targets, part.weights);
      port.postMessage({ type: 'validation', evaluation: e.result() });
    } catch (error) {
      fail(error);
      port.postMessage({ type: 'validation', evaluation: null });
    }
  }
  return feeder;
}

/** Thrown in the worker when the main thread's source failed; the main thread rejects with the source's own error. */
export class SourceFailedError extends Error {
  override name = 'SourceFailedError';
}

/** The worker's side: a RemoteSource fed by sourceFeeder's messages (`receive` takes them). */
export function remoteSource(post: (message: SourceRequest) => void, validates: boolean) {
  let id = 0;
  const queue: SourceReply[] = [];
  let wake: (() => void) | null = null;
  let answer: ((evaluation: Evaluation | null) => void) | null = null;
  const next = async (): Promise<SourceReply> => {
    while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return queue.shift() as SourceReply;
  };
  const source: RemoteSource = {
    async *batches(epoch) {
      id++;
      queue.length = 0;
      post({ type: 'sourceOpen', id, epoch });
      let ended = false;
      try {
        for (;;) {
          const m = await next();
          if (m.type === 'sourceEnd') {
            ended = true;
            return;
          }
          if (m.type === 'sourceFailed') {
            ended = true;
            throw new SourceFailedError('fit: the source failed on the main thread');
          }
          if (m.type !== 'sourceBatch') continue;
          post({ type: 'sourceTake', id });
          yield { x: { rows: m.rows, cols: m.cols, data: m.x }, targets: m.targets, weights: m.weights };
        }
      } finally {
        if (!ended) post({ type: 'sourceClose', id });
      }
    },
    validate: validates
      ? () =>
          new Promise<Evaluation>((resolve, reject) => {
            answer = (evaluation) =>
              evaluation === null
                ? reject(new SourceFailedError('fit: the validation source failed on the main thread'))
                : resolve(evaluation);
            post({ type: 'validate' });
          })
      : null,
  };
  return {
    source,
    /** Takes a message from the main thread; false when it is not the source's. */
    receive(message: { type: string }): boolean {
      const m = message as SourceReply;
      if (m.type === 'validation') {
        answer?.(m.evaluation);
        answer = null;
        return true;
      }
      if (m.type !== 'sourceBatch' && m.type !== 'sourceEnd' && m.type !== 'sourceFailed') return false;
      if (m.id === id) {
        queue.push(m);
        wake?.();
        wake = null;
      }
      return true;
    },
  };
}
