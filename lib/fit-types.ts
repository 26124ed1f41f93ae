// What fit() takes and reports, in a leaf the model, the training loop, the
// worker and io/ share without importing one another.
import type { CallbackModel } from './model-types.js';
import type { LabelsLike } from './targets.js';
import type { MatrixLike } from './tensor.js';

/**
 * What one epoch reports (Keras names, camelCase): the fixed figures below, every compiled metric
 * under its name ('accuracy', 'auc', a custom metric's name) and, with validation, each again as
 * val + Name ('valLoss', 'valAuc').
 */
export interface EpochLogs {
  [metric: string]: number | undefined;
  epoch: number;
  /** dataLoss + l2Loss. */
  loss: number;
  /** Mean (sample-weighted) data loss over the epoch's batches. */
  dataLoss: number;
  /** (λ/2m)·Σ‖W‖² at the end of the epoch, m the batch size. */
  l2Loss: number;
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  /** The learning rate of the epoch's last step (schedules and reduceLrOnPlateau included). */
  learningRate: number;
  seconds: number;
  samplesPerSecond: number;
}

/** What one step reports: its mean (weighted) data loss, its row count, and its accuracy when compiled with it. */
export interface BatchLogs {
  loss: number;
  size: number;
  accuracy?: number;
}

/** What fit() resolves with. */
export interface History {
  epochs: EpochLogs[];
  /** The same figures as arrays per name, as Keras' History.history (learningRate included). */
  history: Record<string, number[]>;
  /** 'callback': a callback returned 'stop' (earlyStopping's is 'earlyStopping'). */
  stopReason: 'completed' | 'aborted' | 'earlyStopping' | 'callback' | 'diverged';
}

/**
 * fit() rejects with this when the loss or a gradient stops being finite: the offending update is
 * skipped, so the model keeps its last finite weights, and `history` holds the epochs completed.
 */
export class DivergenceError extends Error {
  override name = 'DivergenceError';
  constructor(
    message: string,
    readonly history: History,
  ) {
    super(message);
  }
}

/** What a run will log, told to onTrainBegin so a callback can refuse a key it will never see. */
export interface RunInfo {
  validation: boolean;
  /** Every key the epoch logs will carry (metrics and their val twins included). */
  logs: readonly string[];
  epochs: number;
  /** Steps per epoch; null for a source, whose length is not known in advance. */
  steps: number | null;
  /** Kept for callbacks written before `logs`: whether accuracy is logged. */
  accuracy: boolean;
}

/** What a hook may return: 'stop' ends training (before or after this batch or epoch, or before the first). */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook that returns nothing is a void function, which must fit here.
export type HookResult = 'stop' | undefined | void;

/**
 * A hook into training, as Keras's Callback: every method may be async (fit awaits it). Returning
 * 'stop' from any hook but onTrainEnd ends training there. With worker: true the hooks run on the
 * main thread: the train and epoch hooks pause the worker until they return (so 'stop', a learning
 * rate or weights they set take effect at the next epoch, deterministically); batch hooks only
 * observe (their 'stop' lands a few steps later).
 */
export interface Callback {
  /** How to rebuild this callback inside a training worker (built-in callbacks only). */
  spec?: BuiltInCallback;
  onTrainBegin?(model: CallbackModel, run: RunInfo): HookResult | Promise<HookResult>;
  onEpochBegin?(epoch: number, model: CallbackModel): HookResult | Promise<HookResult>;
  onBatchBegin?(batch: number, model: CallbackModel): HookResult | Promise<HookResult>;
  onBatchEnd?(batch: number, logs: BatchLogs, model: CallbackModel): HookResult | Promise<HookResult>;
  onEpochEnd?(epoch: number, logs: EpochLogs, model: CallbackModel): HookResult | Promise<HookResult>;
  onTrainEnd?(model: CallbackModel, history: History): void | Promise<void>;
}

/** The built-in callbacks, as data a worker can rebuild them from. */
export type BuiltInCallback =
  | { kind: 'earlyStopping'; options: EarlyStoppingOptions }
  | { kind: 'reduceLrOnPlateau'; options: ReduceLrOnPlateauOptions };

/** One batch of a source: inputs, labels and optional per-row weights, any number of rows. */
export interface SourceBatch {
  x: MatrixLike;
  y: LabelsLike;
  sampleWeight?: ArrayLike<number>;
}

/**
 * Where fit(source) reads batches, once per epoch: a function returning a fresh iterable (or async
 * iterable), called with the epoch's number, or an async iterable that starts again each time it
 * is iterated (a dn.dataset, read through its forEpoch(epoch)).
 */
export type BatchSource = ((epoch: number) => AsyncIterable<SourceBatch> | Iterable<SourceBatch>) | AsyncIterable<SourceBatch>;

/** Per-class weights: by class index (an array or { 0: w, 1: w }), by class name, or sklearn's 'balanced'. */
export type ClassWeight = readonly number[] | Readonly<Record<string, number>> | 'balanced';

export interface FitOptions {
  epochs?: number;
  /** Rows per step (default 32); more than the data means one full batch. */
  batchSize?: number;
  /** Reshuffle every epoch with the model's PRNG (default true). */
  shuffle?: boolean;
  /** Skip the last partial batch (default false). */
  dropRemainder?: boolean;
  /** [x, y], [x, y, sampleWeight] or a source (see BatchSource) to evaluate after every epoch. */
  validationData?: [MatrixLike, LabelsLike] | [MatrixLike, LabelsLike, ArrayLike<number>] | BatchSource;
  /**
   * Holds out the last fraction of the rows (before any shuffling, as Keras does) as validation
   * data; in (0, 1). Not with validationData.
   */
  validationSplit?: number;
  /**
   * Weights the rows of each class in the data loss and its gradient (multiplying sampleWeight):
   * { [label]: w } by class index or, for a model with class names (dn.tabular), by name; an array
   * by index; 'balanced' for n / (k · n_c). Classification only; validation is not weighted by it.
   */
  classWeight?: ClassWeight;
  /** A weight ≥ 0 per row of x, in the data loss and its gradient (Keras's reduction: Σ wᵢℓᵢ / m). */
  sampleWeight?: ArrayLike<number>;
  /** 0 silent (default), 1 a line per epoch and batch progress on a TTY, 2 a line per epoch. */
  verbose?: 0 | 1 | 2;
  /** Stops after the current step when aborted. */
  signal?: AbortSignal;
  onEpochEnd?: (epoch: number, logs: EpochLogs) => void | Promise<void>;
  onBatchEnd?: (batch: number, logs: BatchLogs) => void | Promise<void>;
  callbacks?: Callback[];
  /**
   * Train in a worker_thread: the parameter arena is shared memory, so the main thread stays free
   * (and can predict with the weights as they train). Callbacks run on the main thread (see Callback).
   * A source is read on the main thread, a bounded number of batches ahead (see worker-source.ts).
   * fit settles only once the worker has stopped.
   */
  worker?: boolean;
  /** The epoch to start at (Keras' initial_epoch): epochs counts up to `epochs` from here. */
  initialEpoch?: number;
  /**
   * Saves a checkpoint (weights, optimizer moments and step, PRNG state, epoch) to `dir` after
   * every `every` epochs ('epoch' or 1 by default, or a number of epochs), atomically; resumeFrom picks it up.
   * `everySteps: n` saves after every n-th optimizer step instead (Keras's save_freq as a batch count,
   * counted over the run, so a resumed run keeps the rhythm), mid-epoch too; with `every` as well, both.
   */
  checkpoint?: { dir: string; every?: 'epoch' | number; everySteps?: number };
  /** Continues from a checkpoint directory: the result is bit for bit that of an uninterrupted run. */
  resumeFrom?: string;
  /**
   * With a source: an epoch is this many batches (the source is read afresh each epoch and closed
   * after them; one that ends sooner ends the epoch). Needed for an endless source (`repeat()`).
   */
  stepsPerEpoch?: number;
}

/**
 * Where a mid-epoch checkpoint left its epoch: what a resumed run needs to continue it bit for bit
 * (the model's PRNG itself is restored to its state after the last step).
 */
export interface EpochResume {
  /** Batches of the epoch already trained on. */
  step: number;
  /** The PRNG state at the epoch's start, so the epoch's shuffle order is drawn again the same. */
  epochRandom: number[];
  /** The epoch's summed data loss and rows so far, so its logged loss covers the whole epoch. */
  lossSum: number;
  seen: number;
  /**
   * The metric accumulators' state, so the epoch's metrics cover it all too; absent when it would
   * be too large for the manifest (auc keeps every score: then the metrics cover the resumed part).
   */
  metrics?: number[][];
}

/** A log to watch: 'valLoss' (Keras' 'val_loss'), 'loss', 'valAccuracy', 'accuracy', any metric or its val twin. */
export type Monitor = 'loss' | 'valLoss' | 'accuracy' | 'valAccuracy' | 'val_loss' | 'val_accuracy' | 'val_acc' | 'acc' | (string & {});

export interface EarlyStoppingOptions {
  monitor?: Monitor;
  patience?: number;
  minDelta?: number;
  restoreBest?: boolean;
  /** 'min' for losses and errors, 'max' for accuracy-like metrics; 'auto' (default) decides by name. */
  mode?: 'auto' | 'min' | 'max';
}

export interface ReduceLrOnPlateauOptions {
  monitor?: Monitor;
  /** The learning rate is multiplied by this (in (0, 1), default 0.1). */
  factor?: number;
  /** Epochs without improvement before reducing (default 10). */
  patience?: number;
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** The learning rate never goes below this (default 0). */
  minLr?: number;
  mode?: 'auto' | 'min' | 'max';
}
