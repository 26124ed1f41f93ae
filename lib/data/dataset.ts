// dn.dataset(): a re-iterable pipeline over any (async) iterable — a database cursor, a stream,
// an array — with map, batch, shuffle(bufferSize), take, skip and prefetch, as tf.data has. Each
// iteration starts the source again, so fit(dataset) reads it once per epoch; nothing holds more
// than a shuffle buffer or a prefetch window in memory.
import { checkPositiveInteger, invalidRange, invalidType } from '../errors.js';
import type { SourceBatch } from '../fit-types.js';
import { Random } from '../random.js';
import { checkSpec } from './read-spec.js';
import type { TableRecord, TabularSpec } from './spec.js';
import { checkRecords, encodeTable } from './tabular.js';

type Items<T> = AsyncIterable<T> | Iterable<T>;

export class Pipeline<T> implements AsyncIterable<T> {
  private iterations = 0;

  /**
   * `make(epoch)` returns a fresh iterable each time the dataset is iterated (an array is iterated
   * as is); `epoch` counts the iterations, or is the epoch fit asks for (see forEpoch).
   */
  constructor(
    private readonly make: (epoch: number) => Items<T>,
    /** True after repeat() with no count (and no take() since): fit then needs stepsPerEpoch. */
    readonly endless = false,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.start(this.iterations++);
  }

  /**
   * The items of one given epoch: seeded steps (shuffle) draw that epoch's order, so a run resumed
   * at epoch 3 in a new process reads epoch 3 as the first run did. fit(pipeline) iterates this way.
   */
  forEpoch(epoch: number): AsyncIterable<T> {
    if (!(Number.isInteger(epoch) && epoch >= 0)) throw invalidRange('forEpoch', 'epoch', 'an integer >= 0', epoch);
    this.iterations = epoch + 1;
    return { [Symbol.asyncIterator]: () => this.start(epoch) };
  }

  private start(epoch: number): AsyncIterator<T> {
    return (async function* (items: Items<T>) {
      yield* items;
    })(this.make(epoch))[Symbol.asyncIterator]();
  }

  private pipe<U>(step: (items: AsyncIterable<T>, epoch: number) => AsyncGenerator<U>, endless = this.endless): Pipeline<U> {
    // `this` re-makes its source on every iteration; the step runs over that fresh pass.
    return new Pipeline<U>((epoch) => step(this.forEpoch(epoch), epoch), endless);
  }

  /**
   * The items `count` times over (default: endlessly, as tf.data's repeat()), each pass a fresh
   * iteration of the source; fit over an endless pipeline needs stepsPerEpoch.
   */
  repeat(count?: number): Pipeline<T> {
    if (count !== undefined) checkPositiveInteger('repeat', 'count', count);
    const upstream = this;
    return new Pipeline<T>(
      (epoch) =>
        (async function* () {
          // Pass k of epoch e is the upstream's iteration e·count + k, so every pass is seeded apart.
          const passes = count ?? Number.POSITIVE_INFINITY;
          for (let k = 0; k < passes; k++) {
            let any = false;
            for await (const item of upstream.forEpoch(count === undefined ? epoch * 0x10000 + k : epoch * count + k)) {
              any = true;
              yield item;
            }
            // An empty source repeated forever would spin: it ends instead.
            if (!any) return;
          }
        })(),
      count === undefined,
    );
  }

  /** Each item through fn (which may be async). */
  map<U>(fn: (item: T, index: number) => U | Promise<U>): Pipeline<U> {
    if (typeof fn !== 'function') throw invalidType('map', 'fn', 'a function', fn);
    return this.pipe(async function* (items) {
      let i = 0;
      for await (const item of items) yield await fn(item, i++);
    });
  }

  /** Groups consecutive items into arrays of `size` (the last one may be shorter). */
  batch(size: number): Pipeline<T[]> {
    checkPositiveInteger('batch', 'size', size);
    return this.pipe(async function* (items) {
      let group: T[] = [];
      for await (const item of items) {
        group.push(item);
        if (group.length === size) {
          yield group;
          group = [];
        }
      }
      if (group.length > 0) yield group;
    });
  }

  /**
   * A random order within a window of `bufferSize` items (tf.data's shuffle): each iteration draws
   * a different order from `seed`, the same one in every run.
   */
  shuffle(bufferSize: number, seed = 0): Pipeline<T> {
    checkPositiveInteger('shuffle', 'bufferSize', bufferSize);
    if (!Number.isInteger(seed)) throw invalidType('shuffle', 'seed', 'an integer', seed);
    return this.pipe(async function* (items, epoch) {
      const random = new Random(seed + 0x9e3779b1 * epoch);
      const buffer: T[] = [];
      for await (const item of items) {
        if (buffer.length < bufferSize) {
          buffer.push(item);
          continue;
        }
        const k = random.below(bufferSize);
        yield buffer[k] as T;
        buffer[k] = item;
      }
      while (buffer.length > 0) {
        const k = random.below(buffer.length);
        yield buffer[k] as T;
        buffer[k] = buffer[buffer.length - 1] as T;
        buffer.pop();
      }
    });
  }

  /** The first `count` items. */
  take(count: number): Pipeline<T> {
    checkPositiveInteger('take', 'count', count);
    return this.pipe(async function* (items) {
      let i = 0;
      for await (const item of items) {
        yield item;
        if (++i >= count) return;
      }
    }, false);
  }

  /** All but the first `count` items. */
  skip(count: number): Pipeline<T> {
    if (!(Number.isInteger(count) && count >= 0)) throw invalidRange('skip', 'count', 'an integer >= 0', count);
    return this.pipe(async function* (items) {
      let i = 0;
      for await (const item of items) if (i++ >= count) yield item;
    });
  }

  /** Reads up to `size` items ahead while the consumer works on the current one (I/O overlaps training). */
  prefetch(size: number): Pipeline<T> {
    checkPositiveInteger('prefetch', 'size', size);
    return this.pipe(async function* (items) {
      const it = items[Symbol.asyncIterator]();
      const window: Promise<IteratorResult<T>>[] = [];
      // Reads are chained, so the source sees one next() at a time, in order.
      let last: Promise<IteratorResult<T>> = Promise.resolve({ done: false, value: undefined as T });
      const read = () => {
        last = last.then((r) => (r.done ? r : it.next()));
        // Marked handled: a failed read is thrown where it is awaited, not as an unhandled rejection.
        last.catch(() => undefined);
        window.push(last);
      };
      try {
        for (let i = 0; i < size; i++) read();
        for (;;) {
          const next = await (window.shift() as Promise<IteratorResult<T>>);
          if (next.done) return;
          read();
          yield next.value;
        }
      } finally {
        // A consumer that stops early closes the source (a cursor, a file).
        await it.return?.();
      }
    });
  }
}

/** A dataset over `make(epoch)`'s items (an array, a generator function, a cursor's async iterable…). */
export function dataset<T>(make: ((epoch: number) => Items<T>) | readonly T[]): Pipeline<T> {
  if (Array.isArray(make)) {
    const items = make as readonly T[];
    return new Pipeline(() => items);
  }
  if (typeof make !== 'function') throw invalidType('dataset', 'make', 'an array or a function returning an (async) iterable', make);
  return new Pipeline(make as (epoch: number) => Items<T>);
}

type RecordSource = Pipeline<TableRecord> | readonly TableRecord[] | ((epoch: number) => Items<TableRecord>) | Items<TableRecord>;

const isIterable = (v: object): v is Items<unknown> =>
  typeof (v as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function' ||
  typeof (v as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function';

/** The records as a pipeline read afresh every epoch: a pipeline as is, an array, a function or a re-iterable (async) iterable. */
function recordPipeline(records: unknown, fn: string): Pipeline<TableRecord> {
  if (records instanceof Pipeline) return records as Pipeline<TableRecord>;
  if (Array.isArray(records) || typeof records === 'function') return dataset(records as Parameters<typeof dataset<TableRecord>>[0]);
  const expected = 'an array of records, a dn.dataset, a function returning an (async) iterable, or a re-iterable (async) iterable';
  if (records === null || typeof records !== 'object' || !isIterable(records)) throw invalidType(fn, 'records', expected, records);
  // A generator (any iterator) is read once, and fit reads the records every epoch.
  if (typeof (records as Partial<Iterator<unknown>>).next === 'function')
    throw invalidType(fn, 'records', 'a function returning the generator (it is read once per epoch) or a dn.dataset', records);
  const items = records as Items<TableRecord>;
  return new Pipeline(() => items);
}

/**
 * Records (plain objects, as a database driver returns rows) as training batches encoded by a
 * tabular spec (dn.tabular(sample).spec, or model.preprocessing.tabular): what fit(dataset) takes.
 * `records` is a pipeline, an array, a function returning an (async) iterable, or a re-iterable one.
 */
export function recordBatches(records: RecordSource, spec: TabularSpec, batchSize = 32): Pipeline<SourceBatch> {
  const fn = 'recordBatches';
  const source = recordPipeline(records, fn);
  checkSpec(spec, fn, 'spec');
  if (spec.target === null) throw new TypeError(`${fn}: the spec has no target (fit it with { target }), so batches would have no labels`);
  const target = spec.target.name;
  checkPositiveInteger(fn, 'batchSize', batchSize);
  return source.batch(batchSize).map((rows, i) => {
    const where = (r: number) => `batch ${i}, record ${r}`;
    checkRecords(rows, fn, where);
    const encoded = encodeTable(spec, rows, where);
    if (encoded.y === null) throw new TypeError(`${fn}: batch ${i} lacks the target column '${target}'`);
    return { x: encoded.x, y: encoded.y };
  });
}
