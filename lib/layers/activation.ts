// Activations: forward keeps its output, backward works from it (ReLU, leaky
// ReLU, tanh, sigmoid, row-wise softmax; linear is the identity).
import type { Layer, LayerContext, LayerSpec, Weight } from './layer.js';
import { Workspace } from './layer.js';

type ActivationSpec = Extract<LayerSpec, { type: 'activation' }>;

export class Activation implements Layer {
  readonly outputWidth: number;
  readonly paramCount = 0;
  readonly stateCount = 0;
  private output: Float32Array | null = null;
  private readonly outputs: Workspace;
  private readonly inputGrad: Workspace;

  constructor(
    readonly spec: ActivationSpec,
    readonly inputWidth: number,
    private readonly ctx: LayerContext,
  ) {
    this.outputWidth = inputWidth;
    this.outputs = new Workspace(inputWidth, ctx.alloc);
    this.inputGrad = new Workspace(inputWidth, ctx.alloc);
  }

  bind(): void {}

  forward(input: Float32Array, batch: number): Float32Array {
    const { activation } = this.spec;
    if (activation === 'linear') return input;
    const out = this.outputs.get(batch);
    if (activation === 'softmax') this.ctx.backend.softmaxForward(batch, this.inputWidth, input, out);
    else this.ctx.backend.activationForward(activation, batch * this.inputWidth, input, out, this.spec.alpha ?? 0.01);
    this.output = out;
    return out;
  }

  /** Takes y as this layer's forward output (a producer computed it in place: see DenseReluStep). */
  adoptOutput(y: Float32Array): void {
    this.output = y;
  }

  backward(dY: Float32Array, batch: number): Float32Array {
    const { activation } = this.spec;
    if (activation === 'linear') return dY;
    const dX = this.inputGrad.get(batch);
    const y = this.output as Float32Array;
    if (activation === 'softmax') this.ctx.backend.softmaxBackward(batch, this.inputWidth, y, dY, dX);
    else this.ctx.backend.activationBackward(activation, batch * this.inputWidth, y, dY, dX, this.spec.alpha ?? 0.01);
    return dX;
  }

  weights(): Weight[] {
    return [];
  }
}
