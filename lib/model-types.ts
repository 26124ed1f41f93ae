// The model's plain types, in a leaf that io/, train.ts and the CLI can import
// without importing the Model class.
import type { Backend } from './backend/backend.js';
import type { Preprocessing } from './data/spec.js';
import type { Layer, LayerSpec } from './layers/layer.js';
import type { LossName, Targets } from './losses.js';
import type { MetricSpec, NamedMetric } from './metrics/index.js';
import type { OPTIMIZERS } from './optimizers/index.js';
import type { L2Term } from './optimizers/l2-term.js';
import type { Optimizer, OptimizerSpec } from './optimizers/optimizer.js';
import type { Random } from './random.js';
import type { LabelsLike } from './targets.js';
import type { Matrix, MatrixLike } from './tensor.js';

/** The architecture: input width, seed and layers. */
export interface SequentialConfig {
  inputs: number;
  /** Seeds initialisation, shuffling and dropout (default 0). */
  seed?: number;
  layers: LayerSpec[];
}

/** A loss in TypeScript (see custom-loss.ts): per-row losses and ∂lossᵢ/∂yPred (batch×outputs, row-major). */
export type CustomLoss = (yTrue: Matrix, yPred: Matrix) => { losses: ArrayLike<number>; gradient: ArrayLike<number> };

/** How the model learns. */
export interface CompileOptions {
  /**
   * binaryCrossEntropy (sigmoid output), crossEntropy (softmax), meanSquaredError, huber,
   * meanAbsoluteError (linear), or a function (yTrue, yPred) => { losses, gradient } (see CustomLoss).
   */
  loss: LossName | CustomLoss;
  /** Huber's δ (loss 'huber' only; default 1, as Keras). */
  delta?: number;
  /** An optimizer (dn.adam({ … })) or its name for its defaults ('adam'); default: adam(). */
  optimizer?: OptimizerSpec | keyof typeof OPTIMIZERS;
  /** λ of the L2 penalty (λ/2m)·Σ‖W‖² over the dense kernels (default 0). */
  l2?: number;
  /** 'accuracy', 'auc', 'precision', 'recall', 'f1' (classifiers), 'mae', 'rmse', 'r2' (regressors), or functions (yTrue, yPred) => number. */
  metrics?: MetricSpec[];
}

/** Where a model computes: the backend and how arrays are made (float64 for gradient checks). */
export interface Runtime {
  backend: Backend;
  alloc: (length: number) => Float32Array;
  /** For the parameter, state and optimizer arenas (default: alloc). */
  arenaAlloc?: (length: number) => Float32Array;
}

/** Arenas a model adopts instead of allocating and initialising its own (a training worker's view). */
export interface SharedArenas {
  params: Float32Array;
  state: Float32Array;
}

/** evaluate()'s options. */
export interface EvaluateOptions {
  /** Rows per forward pass (default 1024). */
  batchSize?: number;
  /** A weight >= 0 per row, in the loss and the metrics. */
  sampleWeight?: ArrayLike<number>;
}

/** What evaluate() returns: the cost and its parts, and every compiled metric under its name. */
export interface Evaluation {
  [metric: string]: number | undefined;
  loss: number;
  dataLoss: number;
  l2Loss: number;
  accuracy?: number;
  /** Regressions always report these: 1 − SSE/SST, mean absolute and root-mean-square error. */
  r2?: number;
  mae?: number;
  rmse?: number;
}

export interface Compiled {
  /** The built-in loss, or for a custom one the loss its output implies (how targets and metrics are read). */
  loss: LossName;
  /** A loss function given to compile (run on the JS side), or null. */
  custom: CustomLoss | null;
  /** Huber's δ (unused by the other losses). */
  delta: number;
  optimizer: Optimizer;
  l2: number;
  metrics: NamedMetric[];
  /** Whether the last layer (sigmoid/softmax) is fused into the loss, which then takes logits. */
  fused: boolean;
}

/** What a callback sees of the model it is training (the Model class has all of it). */
export interface CallbackModel {
  readonly inputs: number;
  readonly outputWidth: number;
  /** Copies of every weight in Keras order (see Model.getWeights). */
  getWeights(): Float32Array[];
  /** The learning rate the next step uses. */
  getLearningRate(): number;
  /** Sets the learning rate from the next step on (a schedule keeps its shape, scaled). */
  setLearningRate(learningRate: number): void;
  /** Loads weights in getWeights() order; allowed inside callbacks, between steps. */
  setWeights(weights: ArrayLike<number>[]): void;
  predict(x: MatrixLike): Matrix;
  evaluate(x: MatrixLike, y: LabelsLike): Evaluation;
}

/**
 * What io/ reads off a model to save or export it: plain fields, so io never imports the Model
 * class (the class satisfies this structurally; its internal members leave the published types).
 */
export interface ModelData {
  readonly config: SequentialConfig;
  readonly inputs: number;
  readonly outputWidth: number;
  readonly layers: readonly Layer[];
  readonly params: Float32Array;
  readonly state: Float32Array;
  readonly random: Random;
  readonly compiled: Compiled | null;
  preprocessing: Preprocessing | null;
}

/** What the training loop (train.ts, worker-fit.ts) drives: ModelData plus the step's mechanics. */
export interface TrainableModel extends ModelData, CallbackModel {
  readonly backend: Backend;
  readonly grads: Float32Array;
  requireCompiled(fn: string): Compiled;
  lossAndGradients(
    x: Float32Array,
    targets: Targets,
    batch: number,
    weights?: Float32Array | null,
    withL2?: boolean,
  ): { lossSum: number; probs: Float32Array };
  l2Penalty(m: number): number;
  l2Term(m: number): L2Term | null;
  logitsEnd(): number;
  forward(x: Float32Array, batch: number, training: boolean, end?: number): Float32Array;
  probsFor(batch: number): Float32Array;
  /** Goes with every write to params: the inference packs of the dense kernels are remade. */
  weightsChanged(): void;
  /** evaluate() on prepared data (the loop's validation). */
  evaluateData(x: Matrix, targets: Targets, weights: Float32Array | null): Evaluation;
  /** True while a training worker waits for a main-thread hook (setWeights is safe then). */
  workerWaits: boolean;
}
