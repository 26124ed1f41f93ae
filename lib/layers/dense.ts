// Dense: Z = X·W + b with W [in, out] (the Keras kernel layout), so forward is
// one GEMM with a bias epilogue and backward is dW = Xᵀ·dZ, db = Σ rows of dZ,
// dX = dZ·Wᵀ. The 1/m of the mean loss is already in dZ.
import { KernelPack } from './kernel-pack.js';
import type { ArenaSlice, Layer, LayerContext, LayerSpec, Weight } from './layer.js';
import { Workspace } from './layer.js';

type DenseSpec = Extract<LayerSpec, { type: 'dense' }>;

export class Dense implements Layer {
  readonly outputWidth: number;
  readonly paramCount: number;
  readonly stateCount = 0;
  kernel!: Float32Array;
  bias: Float32Array | null = null;
  kernelGrad!: Float32Array;
  private biasGrad: Float32Array | null = null;
  private input: Float32Array | null = null;
  private readonly output: Workspace;
  private readonly inputGrad: Workspace;
  private readonly pack: KernelPack;

  constructor(
    readonly spec: DenseSpec,
    readonly inputWidth: number,
    private readonly ctx: LayerContext,
    /** 'he' when a ReLU follows (set by the model), unless the spec says otherwise. */
    private readonly defaultInit: 'he' | 'glorot',
  ) {
    this.outputWidth = spec.units;
    this.paramCount = inputWidth * spec.units + (spec.useBias === false ? 0 : spec.units);
    this.output = new Workspace(spec.units, ctx.alloc);
    this.inputGrad = new Workspace(inputWidth, ctx.alloc);
    this.pack = new KernelPack(ctx.packing, ctx.backend);
  }

  bind({ params, grads }: ArenaSlice, init: boolean): void {
    const n = this.inputWidth * this.outputWidth;
    this.kernel = params.subarray(0, n);
    this.kernelGrad = grads.subarray(0, n);
    if (this.spec.useBias !== false) {
      this.bias = params.subarray(n, n + this.outputWidth);
      this.biasGrad = grads.subarray(n, n + this.outputWidth);
    }
    if (!init) return;
    const random = this.ctx.random;
    if ((this.spec.init ?? this.defaultInit) === 'he') {
      // He normal: variance 2/fan_in keeps ReLU activations' scale across layers.
      const std = Math.sqrt(2 / this.inputWidth);
      for (let i = 0; i < n; i++) this.kernel[i] = random.normal() * std;
    } else {
      // Glorot uniform: variance 2/(fan_in + fan_out), Keras' default.
      const limit = Math.sqrt(6 / (this.inputWidth + this.outputWidth));
      for (let i = 0; i < n; i++) this.kernel[i] = (2 * random.uniform() - 1) * limit;
    }
    this.bias?.fill(0);
  }

  forward(input: Float32Array, batch: number): Float32Array {
    return this.forwardFused(input, batch, false);
  }

  /** forward, with a following ReLU applied in the GEMM's epilogue when relu is set. */
  forwardFused(input: Float32Array, batch: number, relu: boolean): Float32Array {
    this.input = input;
    const out = this.output.get(batch);
    const { inputWidth: k, outputWidth: n } = this;
    this.ctx.backend.gemm(false, false, batch, n, k, 1, input, k, this.kernel, n, 0, out, n, {
      bias: this.bias,
      activation: relu ? 'relu' : 'none',
      packedB: this.pack.get(this.kernel, batch, n, k),
    });
    return out;
  }

  backward(dZ: Float32Array, batch: number, needInputGradient: boolean): Float32Array | null {
    const { inputWidth: k, outputWidth: n } = this;
    const backend = this.ctx.backend;
    backend.gemm(true, false, k, n, batch, 1, this.input as Float32Array, k, dZ, n, 0, this.kernelGrad, n);
    if (this.biasGrad !== null) backend.columnSums(batch, n, dZ, n, 1, 0, this.biasGrad);
    if (!needInputGradient) return null;
    const dX = this.inputGrad.get(batch);
    backend.gemm(false, true, batch, k, n, 1, dZ, n, this.kernel, n, 0, dX, k);
    return dX;
  }

  weights(): Weight[] {
    const out: Weight[] = [{ name: 'kernel', shape: [this.inputWidth, this.outputWidth], values: this.kernel, trainable: true }];
    if (this.bias !== null) out.push({ name: 'bias', shape: [this.outputWidth], values: this.bias, trainable: true });
    return out;
  }
}
