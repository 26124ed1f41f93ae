// Batch normalisation: batch statistics in training (saving mean and 1/σ for
// backward, updating the running statistics), running statistics in inference.
import type { ArenaSlice, Layer, LayerContext, LayerSpec, Weight } from './layer.js';
import { Workspace } from './layer.js';

type BatchNormSpec = Extract<LayerSpec, { type: 'batchNorm' }>;

export class BatchNorm implements Layer {
  readonly outputWidth: number;
  readonly paramCount: number;
  readonly stateCount: number;
  readonly epsilon: number;
  readonly momentum: number;
  private gamma!: Float32Array;
  private beta!: Float32Array;
  private gammaGrad!: Float32Array;
  private betaGrad!: Float32Array;
  private runningMean!: Float32Array;
  private runningVariance!: Float32Array;
  private readonly savedMean: Float32Array;
  private readonly savedInvStd: Float32Array;
  private input: Float32Array | null = null;
  private readonly output: Workspace;
  private readonly inputGrad: Workspace;

  constructor(
    readonly spec: BatchNormSpec,
    readonly inputWidth: number,
    private readonly ctx: LayerContext,
  ) {
    this.outputWidth = inputWidth;
    this.paramCount = 2 * inputWidth;
    this.stateCount = 2 * inputWidth;
    this.epsilon = spec.epsilon ?? 1e-3;
    this.momentum = spec.momentum ?? 0.99;
    this.savedMean = ctx.alloc(inputWidth);
    this.savedInvStd = ctx.alloc(inputWidth);
    this.output = new Workspace(inputWidth, ctx.alloc);
    this.inputGrad = new Workspace(inputWidth, ctx.alloc);
  }

  bind({ params, grads, state }: ArenaSlice, init: boolean): void {
    const f = this.inputWidth;
    this.gamma = params.subarray(0, f);
    this.beta = params.subarray(f, 2 * f);
    this.gammaGrad = grads.subarray(0, f);
    this.betaGrad = grads.subarray(f, 2 * f);
    this.runningMean = state.subarray(0, f);
    this.runningVariance = state.subarray(f, 2 * f);
    if (!init) return;
    this.gamma.fill(1);
    this.beta.fill(0);
    this.runningMean.fill(0);
    this.runningVariance.fill(1);
  }

  private out: Float32Array | null = null;
  // What the last training forward fused, for its backward.
  private relu = false;
  private keep = 1;

  forward(input: Float32Array, batch: number, training: boolean): Float32Array {
    return this.forwardFused(input, batch, training, false, null);
  }

  /**
   * The forward with a ReLU (and a dropout mask, kept with probability `keep`) applied in the same
   * kernel while the data is in registers: what a BatchNormReluStep runs (see plan.ts).
   */
  forwardFused(
    input: Float32Array,
    batch: number,
    training: boolean,
    relu: boolean,
    dropout: { mask: Uint8Array; keep: number } | null,
  ): Float32Array {
    const out = this.output.get(batch);
    this.relu = relu;
    this.keep = dropout?.keep ?? 1;
    this.out = out;
    const f = this.inputWidth;
    const backend = this.ctx.backend;
    if (training) {
      this.input = input;
      backend.batchNormForwardTrain(
        batch,
        f,
        input,
        this.gamma,
        this.beta,
        this.epsilon,
        this.momentum,
        this.runningMean,
        this.runningVariance,
        this.savedMean,
        this.savedInvStd,
        out,
        relu,
        dropout?.mask ?? null,
        this.keep,
      );
    } else {
      backend.batchNormForwardInfer(
        batch,
        f,
        input,
        this.gamma,
        this.beta,
        this.runningMean,
        this.runningVariance,
        this.epsilon,
        out,
        relu,
      );
    }
    return out;
  }

  backward(dY: Float32Array, batch: number): Float32Array {
    const dX = this.inputGrad.get(batch);
    this.ctx.backend.batchNormBackward(
      batch,
      this.inputWidth,
      this.input as Float32Array,
      this.relu ? this.out : null,
      dY,
      this.gamma,
      this.savedMean,
      this.savedInvStd,
      dX,
      this.gammaGrad,
      this.betaGrad,
      // The fused dropout's 1/keep (1 without one).
      1 / this.keep,
    );
    return dX;
  }

  weights(): Weight[] {
    const shape = [this.inputWidth];
    return [
      { name: 'gamma', shape, values: this.gamma, trainable: true },
      { name: 'beta', shape, values: this.beta, trainable: true },
      { name: 'moving_mean', shape, values: this.runningMean, trainable: false },
      { name: 'moving_variance', shape, values: this.runningVariance, trainable: false },
    ];
  }
}
