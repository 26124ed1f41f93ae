// Where a fit's batches come from, epoch by epoch: in-memory rows shuffled with the model's PRNG, a
// source read on this thread, or batches handed over by another thread (a worker whose source stays
// on the main thread). A plan can start an epoch part way through, for a mid-epoch checkpoint.
import { type BatchSource, isSource, sourceBatches } from './batch-source.js';
import { checkPositiveInteger, invalidArgument } from './errors.js';
import { evaluator } from './evaluate.js';
import { type FitData, validationArrays, type WeightedData } from './fit-data.js';
import type { EpochResume, FitOptions } from './fit-types.js';
import type { Targets } from './losses.js';
import type { Evaluation, TrainableModel } from './model-types.js';
import { gatherTargets } from './targets.js';

/** One step's input: rows of x (batch×inputs), their targets and weights (rows 0..rows−1). */
export interface StepInput {
  rows: number;
  x: Float32Array;
  targets: Targets;
  weights: Float32Array | null;
  /**
   * In-memory plans: starts gathering the next batch's rows beside this step's kernels (on an idle
   * pool worker) and returns the settle to call before any user code or await.
   */
  readAhead?: () => () => void;
}

/** Batches and validation supplied from elsewhere (the worker's view of a main-thread source). */
export interface RemoteSource {
  batches(epoch: number): AsyncIterable<WeightedData>;
  validate: (() => Promise<Evaluation>) | null;
}

export interface EpochPlan {
  /** One epoch's batches; with `resume`, from batch resume.step on, as the uninterrupted epoch would go. */
  batches(epoch: number, resume: EpochResume | null): AsyncIterable<StepInput> | Iterable<StepInput>;
  /** Steps per epoch when known (in memory, or a source's stepsPerEpoch), else null. */
  steps: number | null;
  /** Whether the batches come from a source (one that gives none is an error). */
  fromSource: boolean;
  /** The m of the logged L2 term (λ/2m)·Σ‖W‖²: the batch size. */
  batchSize: number;
  /** null without validation. */
  validate: (() => Promise<Evaluation>) | null;
}

/**
 * The smallest batch (rows × columns) that fit gathers ahead, beside the step before it: a smaller
 * one is gathered in a few µs, about what reading it ahead costs in calls (30-16-8-1 at batch 32:
 * 11.4 against 10.8 µs a step).
 */
export const READ_AHEAD_FLOATS = 16384;

export function memoryPlan(model: TrainableModel, data: FitData, options: FitOptions, batchSize: number): EpochPlan {
  const { x: inputs, targets, weights, validation } = data;
  const rows = inputs.rows;
  // Batch buffers, allocated once: rows of x, targets and weights gathered in shuffled order; a
  // second x buffer once a step reads ahead, the next batch's rows going there meanwhile.
  const order = Uint32Array.from({ length: rows }, (_, i) => i);
  const xBuffers = [new Float32Array(batchSize * inputs.cols)];
  const xBuffer = (step: number): Float32Array => {
    const i = step & 1;
    xBuffers[i] ??= new Float32Array(batchSize * inputs.cols);
    return xBuffers[i];
  };
  const yBatch: Targets =
    targets.kind === 'labels'
      ? { kind: 'labels', data: new Int32Array(batchSize) }
      : { kind: 'matrix', cols: targets.cols, data: new Float32Array(batchSize * targets.cols) };
  const wBatch = weights === null ? null : new Float32Array(batchSize);
  const { backend } = model;
  const settle = () => backend.gatherRowsSettle();
  const readsAhead = batchSize * inputs.cols >= READ_AHEAD_FLOATS;
  const steps = options.dropRemainder ? Math.floor(rows / batchSize) : Math.ceil(rows / batchSize);
  checkMemoryOptions(options);
  return {
    steps,
    fromSource: false,
    batchSize,
    *batches(_epoch, resume) {
      // Each epoch's order depends on the PRNG state alone: a resumed epoch redraws it from the
      // state at the epoch's start, then goes on from the state the checkpoint saved (dropout's).
      const now = resume === null ? null : model.random.getState();
      if (resume !== null) model.random.setState(resume.epochRandom);
      for (let i = 0; i < order.length; i++) order[i] = i;
      if (options.shuffle !== false) model.random.shuffle(order);
      if (now !== null) model.random.setState(now);
      let gathered = -1; // the step whose rows a read-ahead put in its buffer
      for (let step = resume?.step ?? 0; step < steps; step++) {
        const start = step * batchSize;
        const batch = Math.min(batchSize, rows - start);
        const x = xBuffer(step);
        if (gathered === step) settle();
        else backend.gatherRows(batch, inputs.cols, rows, inputs.data, order.subarray(start, start + batch), x);
        gatherTargets(targets, order, start, batch, yBatch);
        if (wBatch !== null && weights !== null) for (let i = 0; i < batch; i++) wBatch[i] = weights[order[start + i] as number] as number;
        const next = step + 1;
        const readAhead =
          next < steps && readsAhead
            ? () => {
                const from = next * batchSize;
                const count = Math.min(batchSize, rows - from);
                backend.gatherRowsAhead(count, inputs.cols, rows, inputs.data, order.subarray(from, from + count), xBuffer(next));
                gathered = next;
                return settle;
              }
            : undefined;
        yield { rows: batch, x, targets: yBatch, weights: wBatch, readAhead };
      }
    },
    validate: validation === null ? null : async () => model.evaluateData(validation.x, validation.targets, validation.weights),
  };
}

const SOURCE_REFUSES = ['validationSplit', 'shuffle', 'dropRemainder', 'batchSize', 'sampleWeight'] as const;

/**
 * Refuses the in-memory options a source cannot take (its batches are given as they come), and an
 * endless source (a pipeline after repeat()) without stepsPerEpoch, whose epoch would never end.
 */
export function checkSourceOptions(options: FitOptions, source: unknown = null): number | null {
  for (const key of SOURCE_REFUSES) {
    if (options[key] !== undefined)
      throw invalidArgument(TypeError, 'fit', key, 'no such option with a source (its batches are given as they come)', 'one');
  }
  const steps = options.stepsPerEpoch === undefined ? null : checkPositiveInteger('fit', 'stepsPerEpoch', options.stepsPerEpoch);
  if (steps === null && (source as { endless?: unknown } | null)?.endless === true)
    throw invalidArgument(RangeError, 'fit', 'stepsPerEpoch', 'a number of batches per epoch for an endless source (repeat())', 'none');
  return steps;
}

/** Refuses stepsPerEpoch with arrays, whose epoch is their rows. */
export function checkMemoryOptions(options: FitOptions): void {
  if (options.stepsPerEpoch !== undefined)
    throw invalidArgument(TypeError, 'fit', 'stepsPerEpoch', 'no such option with arrays (an epoch is every row once)', 'one');
}

/** Evaluates validationData given as arrays or as a source (read again at every call). */
export function sourceValidation(model: TrainableModel, given: unknown): (() => Promise<Evaluation>) | null {
  if (isSource(given)) {
    return async () => {
      const e = evaluator(model, 'fit');
      for await (const part of sourceBatches(model, given, 'fit (validationData)')) e.add(part.x, part.targets, part.weights);
      return e.result();
    };
  }
  if (given === undefined) return null;
  const v = validationArrays(model, given, ' or a source');
  return async () => model.evaluateData(v.x, v.targets, v.weights);
}

/**
 * A source's batches as steps, or a remote one's. A resumed epoch reads and drops the batches the
 * checkpoint had already trained on: that is right for a source that gives the same batches each epoch.
 */
export function sourcePlan(model: TrainableModel, source: BatchSource | null, options: FitOptions, remote?: RemoteSource): EpochPlan {
  const limit = checkSourceOptions(options, source);
  const read = (epoch: number): AsyncIterable<WeightedData> =>
    remote !== undefined ? remote.batches(epoch) : sourceBatches(model, source as BatchSource, 'fit', options.classWeight, epoch);
  const plan: EpochPlan = {
    steps: limit,
    fromSource: true,
    batchSize: 0,
    async *batches(epoch, resume) {
      let skip = resume?.step ?? 0;
      let taken = 0;
      for await (const part of read(epoch)) {
        plan.batchSize = Math.max(plan.batchSize, part.x.rows);
        if (skip > 0) skip--;
        else yield { rows: part.x.rows, x: part.x.data, targets: part.targets, weights: part.weights };
        // Leaving the loop closes the source (its return()): an epoch of stepsPerEpoch batches reads no more.
        if (limit !== null && ++taken >= limit) return;
      }
      if (skip > 0) throw new RangeError(`fit: the source ended ${skip} batches before the step the checkpoint was taken at`);
    },
    validate: remote?.validate ?? sourceValidation(model, options.validationData),
  };
  return plan;
}
