// The network: layers over one parameter arena (and arenas of the same shape
// for gradients and optimizer state), forward and backward passes, predict,
// evaluate, and Keras-ordered weights. Training loops live in train.ts.
import type { Backend } from './backend/backend.js';
import { activeSelection } from './backend/select.js';
import { type BatchSource, isSource } from './batch-source.js';
import { compileSettings } from './compile.js';
import { compiledLoss } from './custom-loss.js';
import { errorsInTargetUnits, inTargetUnits, isRecords, predictedNames, recordsInput } from './data/model-records.js';
import type { Preprocessing, TableRecord } from './data/spec.js';
import { checkObject, checkOptionKeys, checkPositiveInteger, invalidRange } from './errors.js';
import { evaluateData, evaluateSource } from './evaluate.js';
import { weightedData } from './fit-data.js';
import type { EpochResume, FitOptions, History } from './fit-types.js';
import type { OnnxExportOptions } from './io/onnx.js';
import type { TfjsExportOptions } from './io/tfjs.js';
import { bindArenas } from './layers/arenas.js';
import { assignWeights } from './layers/assign-weights.js';
import { buildLayer } from './layers/build.js';
import { WeightPacking } from './layers/kernel-pack.js';
import { KernelPenalty } from './layers/kernel-penalty.js';
import type { Layer, LayerContext } from './layers/layer.js';
import { Workspace } from './layers/layer.js';
import { executionPlan, type Step } from './layers/plan.js';
import { summaryTable } from './layers/summary.js';
import { setTrainableSpec, trainableSegments } from './layers/trainable.js';
import type { Targets } from './losses.js';
import type { Compiled, CompileOptions, EvaluateOptions, Evaluation, Runtime, SequentialConfig, SharedArenas } from './model-types.js';
import { addToGradients, type L2Term } from './optimizers/l2-term.js';
import { rate } from './optimizers/schedules.js';
import { Random } from './random.js';
import type { LabelsLike } from './targets.js';
import { checkFinite, type Matrix, type MatrixLike, toMatrix } from './tensor.js';
import { trainModel } from './train.js';
import { checkpointHooks } from './train-checkpoint.js';
import { trainInWorker } from './worker-fit.js';

export type { Compiled, CompileOptions, Evaluation, Runtime, SequentialConfig, SharedArenas } from './model-types.js';

// Parameter arenas live in shared memory, so fit({ worker: true }) can train them in place.
const defaultRuntime = (): Runtime => ({
  backend: activeSelection().backend,
  alloc: (n) => new Float32Array(n),
  arenaAlloc: (n) => new Float32Array(new SharedArrayBuffer(4 * n)),
});

// predict's default options: no keys to check on the serving path.
const NO_OPTIONS: { batchSize?: number } = Object.freeze({});

/**
 * A network of layers and what it was compiled with. Members tagged internal are for the training
 * loop, io/ and tests: stripInternal leaves them out of the published types.
 */
export class Model {
  readonly inputs: number;
  readonly seed: number;
  /** @internal */
  readonly layers: Layer[];
  /** @internal Every trainable parameter, layer after layer (views: see weights()). */
  readonly params: Float32Array;
  /** @internal */
  readonly grads: Float32Array;
  /** @internal Non-trainable state: batch-norm running statistics. */
  readonly state: Float32Array;
  /** @internal */
  readonly random: Random;
  /** The steps forward and backward run (fused batch-norm/ReLU/dropout; see layers/plan.ts). */
  private readonly plan: Step[];
  /** Dense kernels packed for inference, and the weights' version that keeps them current. */
  private readonly packing = new WeightPacking();
  private readonly penalty: KernelPenalty;
  private compiledWith: Compiled | null = null;
  /** Who trains the arenas: setWeights is safe between the steps of an in-process fit, not against a worker. */
  private training: 'in-process' | 'worker' | null = null;
  /**
   * @internal True while the main thread runs a hook a training worker waits for (its train and
   * epoch hooks, worker-fit.ts): the worker leaves the arenas alone, so setWeights is safe then.
   */
  workerWaits = false;
  /** Saved with the model (see Preprocessing); null when the caller prepares data itself. */
  preprocessing: Preprocessing | null = null;
  private readonly probs: Workspace;
  private readonly outputGradient: Workspace;

  /** The architecture (layers as built: a dense layer's activation is a layer of its own). */
  readonly config: SequentialConfig;

  constructor(
    config: SequentialConfig,
    /** @internal */
    readonly runtime: Runtime = defaultRuntime(),
    adopt?: SharedArenas,
  ) {
    if (!Number.isInteger(config.inputs) || config.inputs < 1) {
      throw invalidRange('sequential', 'inputs', 'an integer >= 1', config.inputs);
    }
    if (!Array.isArray(config.layers) || config.layers.length === 0) throw new RangeError('sequential: expected at least one layer');
    // Our own copy: setTrainable changes a layer's spec in it.
    this.config = { ...config, layers: [...config.layers] };
    this.inputs = config.inputs;
    this.seed = config.seed ?? 0;
    this.random = new Random(this.seed);
    const ctx: LayerContext = { backend: runtime.backend, random: this.random, alloc: runtime.alloc, packing: this.packing };
    this.layers = [];
    let width = config.inputs;
    config.layers.forEach((spec, index) => {
      const layer = buildLayer(spec, width, ctx, config.layers, index);
      this.layers.push(layer);
      width = layer.outputWidth;
    });
    this.plan = executionPlan(this.layers);
    const arenas = bindArenas(this.layers, runtime, adopt);
    this.params = arenas.params;
    this.grads = arenas.grads;
    this.state = arenas.state;
    this.penalty = new KernelPenalty(this.layers, this.params);
    this.probs = new Workspace(this.outputWidth, runtime.alloc);
    this.outputGradient = new Workspace(this.outputWidth, runtime.alloc);
  }

  /** Width of the network's output. */
  get outputWidth(): number {
    return (this.layers[this.layers.length - 1] as Layer).outputWidth;
  }

  /** @internal */
  get backend(): Backend {
    return this.runtime.backend;
  }

  /** The loss, optimizer, L2 strength and metrics compile() set, or null before compile(). */
  get compiled(): Readonly<Compiled> | null {
    return this.compiledWith;
  }

  /** Sets the loss, optimizer, L2 strength and metrics (see CompileOptions). */
  compile(options: CompileOptions): this {
    this.notTraining('compile');
    const last = this.layers[this.layers.length - 1] as Layer;
    const activation = last.spec.type === 'activation' ? last.spec.activation : 'linear';
    const alloc = this.runtime.arenaAlloc ?? this.runtime.alloc;
    this.compiledWith = compileSettings(options, { activation, outputWidth: this.outputWidth, paramCount: this.params.length, alloc });
    this.compiledWith.optimizer.segments = trainableSegments(this.layers, this.config.layers);
    return this;
  }

  /**
   * Freezes (false) or unfreezes (true) layer `index` of model.layers (dense and batch-norm layers),
   * for fine-tuning: a frozen layer's parameters are left bit for bit by fit. Saved with the model.
   */
  setTrainable(index: number, trainable: boolean): this {
    this.notTraining('setTrainable');
    setTrainableSpec(this.config.layers, index, trainable);
    if (this.compiledWith !== null) this.compiledWith.optimizer.segments = trainableSegments(this.layers, this.config.layers);
    return this;
  }

  /** The learning rate the next step uses (the schedule's, times any reduction). */
  getLearningRate(): number {
    return this.requireCompiled('getLearningRate').optimizer.learningRate();
  }

  /** Sets the learning rate from the next step on; a schedule keeps its shape, scaled to reach it. */
  setLearningRate(learningRate: number): void {
    rate('setLearningRate', 'learningRate', learningRate);
    this.requireCompiled('setLearningRate').optimizer.setLearningRate(learningRate);
  }

  /**
   * @internal Where the forward pass stops before the loss: a fused sigmoid/softmax output is left
   * to the loss kernel, which takes the logits; otherwise the whole network runs.
   */
  logitsEnd(): number {
    return this.requireCompiled('fit').fused ? this.plan.length - 1 : this.plan.length;
  }

  /** @internal The compiled settings, or an error saying compile() comes first. */
  requireCompiled(fn: string): Compiled {
    if (this.compiledWith === null) throw new Error(`${fn}: call model.compile({ loss, optimizer }) first`);
    return this.compiledWith;
  }

  /** Trains on x, y: shuffled mini-batches, validation, callbacks, AbortSignal, checkpoints (see FitOptions). */
  async fit(x: MatrixLike, y: LabelsLike, options?: FitOptions): Promise<History>;
  /** Trains on a source's batches: `source()` returns a fresh (async) iterable of { x, y, sampleWeight? } each epoch. */
  async fit(source: BatchSource, options?: FitOptions): Promise<History>;
  async fit(x: MatrixLike | BatchSource, y?: LabelsLike | FitOptions, options: FitOptions = {}): Promise<History> {
    this.notTraining('fit');
    const source = isSource(x);
    const opts = (source ? (y ?? {}) : options) as FitOptions;
    checkObject('fit', 'options', opts);
    this.training = opts?.worker ? 'worker' : 'in-process';
    try {
      return await this.fitOnce(x, source ? undefined : (y as LabelsLike), opts);
    } finally {
      this.training = null;
      // A worker's steps wrote the shared arenas from its own thread.
      this.weightsChanged();
    }
  }

  /**
   * Whether a fit() is running: predict/evaluate/save may run meanwhile, compile/fit may not, and
   * setWeights only from a callback of an in-process fit, or from a train or epoch hook of a worker
   * fit (the worker waits for those; it trains the arenas during batch hooks).
   */
  get isTraining(): boolean {
    return this.training !== null;
  }

  private notTraining(fn: string, allowInProcess = false): void {
    if (this.training === null || (allowInProcess && (this.training === 'in-process' || this.workerWaits))) return;
    throw new Error(`${fn}: this model is training; wait for fit() to finish or stop it with its AbortSignal`);
  }

  private async fitOnce(x: MatrixLike | BatchSource, y: LabelsLike | undefined, options: FitOptions): Promise<History> {
    let run = options;
    let resume: EpochResume | null = null;
    if (options.resumeFrom !== undefined) {
      const { restoreCheckpoint } = await import('./io/model-file.js');
      const { resumeFrom, ...rest } = options;
      const at = await restoreCheckpoint(this, resumeFrom);
      run = { ...rest, initialEpoch: at.epoch };
      resume = at.within;
    }
    if (run.worker) return trainInWorker(this, x, y, run, resume);
    return trainModel(this, x, y, run, { ...checkpointHooks(this, run.checkpoint), ...(resume === null ? {} : { resume }) });
  }

  /**
   * Writes the model to `dir`: model.json (architecture, compile settings, preprocessing) and one
   * float32 weights file with its SHA-256. Atomic: a crash leaves the old model or the new one.
   */
  async save(dir: string, options: { history?: History } = {}): Promise<void> {
    checkOptionKeys('save', 'options', options, ['history']);
    const { saveModel } = await import('./io/model-file.js');
    await saveModel(this, dir, options);
  }

  /** @internal Runs the plan's steps [0, end) on `batch` rows of x (end: see logitsEnd). */
  forward(x: Float32Array, batch: number, training: boolean, end = this.plan.length): Float32Array {
    // Packs serve inference, never while a worker's fit writes the shared weights from its thread.
    this.packing.active = !training && this.training !== 'worker';
    let a = x;
    for (let i = 0; i < end; i++) a = (this.plan[i] as Step).forward(a, batch, training);
    return a;
  }

  /** @internal Backpropagates from step `end − 1` down to the first, writing every parameter gradient. */
  backward(dOutput: Float32Array, batch: number, end = this.plan.length): void {
    let d: Float32Array | null = dOutput;
    for (let i = end - 1; i >= 0 && d !== null; i--) d = (this.plan[i] as Step).backward(d, batch, i > 0);
  }

  /** @internal Every write to params goes with this call (an optimizer step, a restore, a load): inference packs are remade. */
  weightsChanged(): void {
    this.packing.changed();
  }

  /** @internal The dense kernels, which the L2 penalty covers. */
  denseKernels(): readonly Float32Array[] {
    return this.penalty.kernels;
  }

  /** @internal The L2 penalty (λ/2m)·Σ‖W‖² over the dense kernels for a cost over m samples (0 without L2). */
  l2Penalty(m: number): number {
    return this.penalty.value(this.backend, this.requireCompiled('l2Penalty').l2, m);
  }

  /**
   * @internal One forward and backward pass on a batch (x: batch×inputs, targets gathered alike):
   * fills the gradient arena, including the L2 term (λ/m)·W unless withL2 is false (fit hands the
   * term to the optimizer instead, l2Term), and returns the summed data loss and the output
   * probabilities (for metrics).
   */
  lossAndGradients(
    x: Float32Array,
    targets: Targets,
    batch: number,
    weights: Float32Array | null = null,
    withL2 = true,
  ): { lossSum: number; probs: Float32Array } {
    const compiled = this.requireCompiled('fit');
    const { fused } = compiled;
    const end = this.logitsEnd();
    const z = this.forward(x, batch, true, end);
    const dz = this.outputGradient.get(batch);
    const probs = fused ? this.probs.get(batch) : z;
    const lossSum = compiledLoss(compiled, this.backend, batch, this.outputWidth, z, targets, 0, fused ? probs : null, dz, weights);
    this.backward(dz, batch, end);
    const term = withL2 ? this.l2Term(batch) : null;
    if (term !== null) addToGradients(this.backend, this.params, this.grads, term);
    return { lossSum, probs };
  }

  /** @internal The L2 term of a batch of m rows, for the optimizer to fuse: null without L2. */
  l2Term(m: number): L2Term | null {
    return this.penalty.term(this.requireCompiled('fit').l2, m);
  }

  /**
   * The outputs for x (batch by batch, inference mode: running batch-norm statistics, no dropout). x is
   * the model's input (a Matrix or rows of numbers), or raw records (objects keyed by column name, as a
   * JSON body or CSV row carries them), which go through `preprocessing` first; for records a regression
   * answers in the target's own units.
   */
  predict(x: MatrixLike | readonly TableRecord[], options: { batchSize?: number } = NO_OPTIONS): Matrix {
    if (options !== NO_OPTIONS) checkOptionKeys('predict', 'options', options, ['batchSize']); // one row takes ~2 µs
    if (isRecords(x))
      return inTargetUnits(this.preprocessing, this.predict(recordsInput(this.preprocessing, x, this.inputs, 'predict').x, options));
    const m = toMatrix(x, 'x', this.inputs);
    checkFinite(m, 'x', this.backend.findNonFinite);
    const out = new Float32Array(m.rows * this.outputWidth);
    const size = options.batchSize ?? 1024;
    checkPositiveInteger('predict', 'batchSize', size);
    for (let start = 0; start < m.rows; start += size) {
      const batch = Math.min(size, m.rows - start);
      const rows = m.data.subarray(start * m.cols, (start + batch) * m.cols);
      out.set(this.forward(rows, batch, false).subarray(0, batch * this.outputWidth), start * this.outputWidth);
    }
    return { rows: m.rows, cols: this.outputWidth, data: out };
  }

  /** The predicted class name of each row or record (preprocessing.classes, else '0', '1', …). */
  predictClasses(x: MatrixLike | readonly TableRecord[], options: { batchSize?: number } = {}): string[] {
    return predictedNames(this.preprocessing, this.predict(x, options));
  }

  /**
   * Cost (weighted data loss + (λ/2n)·Σ‖W‖² over the n samples given) and every compiled metric, in
   * inference mode; a regression always adds r2, mae and rmse. Records (see predict) carry their
   * labels in the target column, and their mae and rmse are in the target's units.
   */
  evaluate(records: readonly TableRecord[], options?: EvaluateOptions): Evaluation;
  evaluate(x: MatrixLike, y: LabelsLike, options?: EvaluateOptions): Evaluation;
  evaluate(x: MatrixLike | readonly TableRecord[], y?: LabelsLike | EvaluateOptions, options: EvaluateOptions = {}): Evaluation {
    this.requireCompiled('evaluate');
    if (isRecords(x)) {
      const input = recordsInput(this.preprocessing, x, this.inputs, 'evaluate');
      if (input.y === null) throw new TypeError(`evaluate: the records lack the target column '${this.preprocessing?.target ?? '?'}'`);
      const result = this.evaluate(input.x, input.y, (y ?? {}) as EvaluateOptions);
      return errorsInTargetUnits(this.preprocessing, result);
    }
    if (y === undefined) throw new TypeError('evaluate: expected labels for y (or records that carry the target)');
    checkOptionKeys('evaluate', 'options', options, ['batchSize', 'sampleWeight']);
    const opts = options as EvaluateOptions;
    const data = weightedData(this, x, y as LabelsLike, opts.sampleWeight, ['x', 'y', 'sampleWeight']);
    return evaluateData(this, data.x, data.targets, data.weights, opts.batchSize);
  }

  /** evaluate() over a source (a dn.dataset, csvDataset's splits, or a function returning batches), read once. */
  evaluateDataset(source: BatchSource): Promise<Evaluation> {
    return evaluateSource(this, source);
  }

  /** @internal evaluate() on prepared data: the training loop's validation. */
  evaluateData(x: Matrix, targets: Targets, weights: Float32Array | null): Evaluation {
    return evaluateData(this, x, targets, weights);
  }

  /** @internal A batch×outputs buffer for the output activation a fused loss writes. */
  probsFor(batch: number): Float32Array {
    return this.probs.get(batch);
  }

  /** Copies of every weight, layer by layer in Keras order (kernel [in,out], bias, γ, β, moving mean, moving variance). */
  getWeights(): Float32Array[] {
    return this.layers.flatMap((l) => l.weights().map((w) => Float32Array.from(w.values)));
  }

  /** Loads weights in getWeights() order; every length must match. */
  setWeights(weights: ArrayLike<number>[]): void {
    this.notTraining('setWeights', true);
    assignWeights(
      this.layers.flatMap((l) => l.weights()),
      weights,
    );
    this.weightsChanged();
  }

  /** Writes a TF.js Layers model (dir/model.json + weight shards) for tf.loadLayersModel; see lib/io/tfjs.ts. */
  async exportTfjs(dir: string, options?: TfjsExportOptions): Promise<void> {
    await (await import('./io/tfjs.js')).exportTfjs(this, dir, options);
  }

  /** Writes an ONNX model (input 'input' [N, inputs], output 'output') for onnxruntime; see lib/io/onnx.ts. */
  async exportOnnx(file: string, options?: OnnxExportOptions): Promise<void> {
    await (await import('./io/onnx.js')).exportOnnx(this, file, options);
  }

  /** A table of layers, output shapes and parameter counts (also printed with print: true). */
  summary(options: { print?: boolean } = {}): string {
    const text = summaryTable(this.inputs, this.layers, this.params.length, this.state.length);
    if (options.print) console.log(text);
    return text;
  }
}
