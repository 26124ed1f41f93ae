// What fit() takes and reports, in a leaf the model, the training loop, the
// worker and io/ share without importing one another.
import type { CallbackModel } from './model-types.js';
import type { LabelsLike } from './targets.js';
import type { MatrixLike } from './tensor.js';

/** What one epoch reports (Keras names, camelCase). */
export interface EpochLogs {
  epoch: number;
  /** dataLoss + l2Loss. */
  loss: number;
  /** Mean data loss over the epoch's batches. */
  dataLoss: number;
  /** (λ/2m)·Σ‖W‖² at the end of the epoch, m the batch size. */
  l2Loss: number;
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  learningRate: number;
  seconds: number;
  samplesPerSecond: number;
}

/** What one step reports: its mean data loss, its row count, and its accuracy when compiled with it. */
export interface BatchLogs {
  loss: number;
  size: number;
  accuracy?: number;
}

/** What fit() resolves with. */
export interface History {
  epochs: EpochLogs[];
  /** The same figures as arrays per name, as Keras' History.history. */
  history: Record<string, number[]>;
  stopReason: 'completed' | 'aborted' | 'earlyStopping' | 'diverged';
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

/** A hook into training; returning 'stop' from onEpochEnd ends it after that epoch. */
export interface Callback {
  /** How to rebuild this callback inside a training worker (built-in callbacks only). */
  spec?: { kind: 'earlyStopping'; options: EarlyStoppingOptions };
  /** Before the first epoch: what the run will log, so a callback can refuse a key it will never see. */
  onTrainBegin?(model: CallbackModel, run: { validation: boolean; accuracy: boolean }): void;
  onEpochEnd?(epoch: number, logs: EpochLogs, model: CallbackModel): 'stop' | undefined;
  onTrainEnd?(model: CallbackModel): void;
}

export interface FitOptions {
  epochs?: number;
  /** Rows per step (default 32); more than the data means one full batch. */
  batchSize?: number;
  /** Reshuffle every epoch with the model's PRNG (default true). */
  shuffle?: boolean;
  /** Skip the last partial batch (default false). */
  dropRemainder?: boolean;
  validationData?: [MatrixLike, LabelsLike];
  /** Stops after the current step when aborted. */
  signal?: AbortSignal;
  onEpochEnd?: (epoch: number, logs: EpochLogs) => void | Promise<void>;
  onBatchEnd?: (batch: number, logs: BatchLogs) => void | Promise<void>;
  callbacks?: Callback[];
  /**
   * Train in a worker_thread: the parameter arena is shared memory, so the main thread stays free
   * (and can predict with the weights as they train). Callbacks other than earlyStopping cannot
   * cross threads; onEpochEnd and onBatchEnd are called on the main thread.
   */
  worker?: boolean;
  /** The epoch to start at (Keras' initial_epoch): epochs counts up to `epochs` from here. */
  initialEpoch?: number;
  /**
   * Saves a checkpoint (weights, optimizer moments and step, PRNG state, epoch) to `dir` after
   * every `every` epochs ('epoch' or 1 by default, or a number of epochs), atomically; resumeFrom picks it up.
   */
  checkpoint?: { dir: string; every?: 'epoch' | number };
  /** Continues from a checkpoint directory: the result is bit for bit that of an uninterrupted run. */
  resumeFrom?: string;
}

export interface EarlyStoppingOptions {
  /** A log to watch: 'valLoss' (Keras' 'val_loss'), 'loss', 'valAccuracy', 'accuracy', … */
  monitor?: keyof EpochLogs | 'val_loss' | 'val_accuracy' | 'val_acc' | 'acc';
  patience?: number;
  minDelta?: number;
  restoreBest?: boolean;
}
