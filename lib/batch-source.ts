// fit(source): training data that arrives in batches — a database cursor, a stream, a
// generator — instead of one matrix. `source` is a function that returns a fresh iterable
// (sync or async) of batches each epoch (called with the epoch's number), or a pipeline; every
// batch is checked as fit checks its data, with the batch's number in the message.

import { giveBack } from './batch-recycling.js';
import { invalidArgument, invalidType } from './errors.js';
import { type WeightedData, weightedData, withClassWeights } from './fit-data.js';
import type { BatchSource, ClassWeight, SourceBatch } from './fit-types.js';
import type { TrainableModel } from './model-types.js';

export type { BatchSource, SourceBatch } from './fit-types.js';

export const isSource = (value: unknown): value is BatchSource =>
  typeof value === 'function' || (value !== null && typeof value === 'object' && Symbol.asyncIterator in value);

// A pipeline is asked for the epoch by number (its seeded shuffle draws that epoch's order); a
// function is called with it.
function iterate(source: BatchSource, fn: string, epoch: number): AsyncIterable<SourceBatch> | Iterable<SourceBatch> {
  const forEpoch = (source as { forEpoch?: unknown }).forEpoch;
  if (typeof source !== 'function' && typeof forEpoch === 'function') return forEpoch.call(source, epoch) as AsyncIterable<SourceBatch>;
  if (typeof source !== 'function') {
    // A generator object is its own iterator: it can be read once, and fit reads every epoch.
    const iterator = source[Symbol.asyncIterator]();
    if ((iterator as unknown) === source)
      throw invalidType(
        fn,
        'source',
        'a function returning the generator (it is read once per epoch) or a dn.dataset',
        'a generator object',
      );
    return { [Symbol.asyncIterator]: () => iterator };
  }
  const it: unknown = source(epoch);
  const iterable = it !== null && typeof it === 'object' && (Symbol.asyncIterator in (it as object) || Symbol.iterator in (it as object));
  if (!iterable) throw invalidType(fn, 'source()', 'an iterable or async iterable of { x, y } batches', it);
  return it as AsyncIterable<SourceBatch> | Iterable<SourceBatch>;
}

/**
 * The source's batches for one epoch, checked and converted (classWeight applied per row; 'balanced'
 * needs the class counts of the whole data, so a source cannot take it).
 */
export async function* sourceBatches(
  model: TrainableModel,
  source: BatchSource,
  fn: string,
  classWeight?: ClassWeight,
  epoch = 0,
): AsyncGenerator<WeightedData> {
  model.requireCompiled(fn);
  if (classWeight === 'balanced')
    throw invalidArgument(
      TypeError,
      fn,
      'classWeight',
      "class weights by index or name with a source ('balanced' needs all the data)",
      "'balanced'",
    );
  let index = 0;
  for await (const batch of iterate(source, fn, epoch)) {
    const at = `batch ${index}`;
    if (batch === null || typeof batch !== 'object' || !('x' in batch) || !('y' in batch))
      throw invalidType(fn, at, 'a { x, y, sampleWeight? } batch', batch);
    const sampled = weightedData(model, batch.x, batch.y, batch.sampleWeight, [`${at}: x`, `${at}: y`, `${at}: sampleWeight`]);
    const data = classWeight === undefined ? sampled : withClassWeights(model, sampled, classWeight);
    index++;
    if (data.x.rows > 0) yield data;
    // Asked for the next batch: the consumer is done with this one.
    giveBack(batch);
  }
}
