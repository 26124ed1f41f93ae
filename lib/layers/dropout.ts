// Inverted dropout: in training, keep each unit with probability 1 − rate and
// scale kept ones by 1/(1 − rate); the same mask drives the backward pass. In
// inference the layer is the identity (no copy).
import type { Layer, LayerContext, LayerSpec, Weight } from './layer.js';
import { Workspace } from './layer.js';

type DropoutSpec = Extract<LayerSpec, { type: 'dropout' }>;

export class Dropout implements Layer {
  readonly outputWidth: number;
  readonly paramCount = 0;
  readonly stateCount = 0;
  private mask = new Uint8Array(0);
  /** When set (gradient checks, tests), used instead of drawing a new mask. */
  fixedMask: Uint8Array | null = null;
  private active = false;
  private readonly output: Workspace;
  private readonly inputGrad: Workspace;

  constructor(
    readonly spec: DropoutSpec,
    readonly inputWidth: number,
    private readonly ctx: LayerContext,
  ) {
    this.outputWidth = inputWidth;
    this.output = new Workspace(inputWidth, ctx.alloc);
    this.inputGrad = new Workspace(inputWidth, ctx.alloc);
  }

  bind(): void {}

  get keep(): number {
    return 1 - this.spec.rate;
  }

  /** This step's mask for a training forward of `batch` rows, or null when dropout is off (also drawn by a fused step). */
  drawMask(batch: number): Uint8Array | null {
    if (this.spec.rate <= 0) return null;
    const count = batch * this.inputWidth;
    if (this.mask.length < count) this.mask = new Uint8Array(count);
    if (this.fixedMask !== null) this.mask.set(this.fixedMask.subarray(0, count));
    else this.ctx.backend.dropoutMask(count, this.keep, this.ctx.random.words, this.mask);
    return this.mask;
  }

  forward(input: Float32Array, batch: number, training: boolean): Float32Array {
    this.active = training && this.spec.rate > 0;
    if (!this.active) return input;
    const mask = this.drawMask(batch) as Uint8Array;
    const out = this.output.get(batch);
    this.ctx.backend.dropoutApply(batch * this.inputWidth, input, mask, this.keep, out);
    return out;
  }

  backward(dY: Float32Array, batch: number): Float32Array {
    if (!this.active) return dY;
    const dX = this.inputGrad.get(batch);
    this.ctx.backend.dropoutApply(batch * this.inputWidth, dY, this.mask, 1 - this.spec.rate, dX);
    return dX;
  }

  weights(): Weight[] {
    return [];
  }
}
