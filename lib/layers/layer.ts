// What every layer is: a forward that caches what its backward needs, and a
// backward that returns the gradient for the layer below. Parameters are views
// into the model's arenas; workspaces are allocated once per batch size.
import type { Backend } from '../backend/backend.js';
import type { Random } from '../random.js';
import type { WeightPacking } from './kernel-pack.js';

/** A layer as the user declares it (`dn.dense(64)`): plain data, saved with the model. */
export type LayerSpec =
  | {
      type: 'dense';
      units: number;
      init?: 'he' | 'glorot';
      useBias?: boolean;
      activation?: 'linear' | 'relu' | 'leakyRelu' | 'tanh' | 'sigmoid' | 'softmax';
      /** false freezes the kernel and bias: fit leaves them bit for bit (default true). */
      trainable?: boolean;
    }
  | {
      type: 'batchNorm';
      epsilon?: number;
      momentum?: number;
      /** false freezes γ and β; the batch statistics still normalise in training (PyTorch's requires_grad = false). */
      trainable?: boolean;
    }
  | { type: 'dropout'; rate: number }
  | { type: 'activation'; activation: 'linear' | 'relu' | 'leakyRelu' | 'tanh' | 'sigmoid' | 'softmax'; alpha?: number };

/** A named weight of a layer, in Keras order, as a view into an arena. */
export interface Weight {
  name: string;
  shape: number[];
  values: Float32Array;
  trainable: boolean;
}

/** What a layer needs from its model while it runs. */
export interface LayerContext {
  backend: Backend;
  random: Random;
  /** Makes a zeroed array (Float32Array, or Float64Array for gradient checks). */
  alloc: (length: number) => Float32Array;
  /** The model's weight packs for inference (see kernel-pack.ts). */
  packing: WeightPacking;
}

/** Where a layer's parameters live: views into the model's arenas. */
export interface ArenaSlice {
  params: Float32Array;
  grads: Float32Array;
  /** Non-trainable state (batch-norm running statistics). */
  state: Float32Array;
}

export interface Layer {
  readonly spec: LayerSpec;
  readonly inputWidth: number;
  readonly outputWidth: number;
  /** Trainable parameters and non-trainable state, in floats. */
  readonly paramCount: number;
  readonly stateCount: number;
  /** Takes its parameter views and initialises them (He/Glorot, γ = 1, running variance = 1). */
  bind(slice: ArenaSlice, init: boolean): void;
  /** Output for `batch` rows of `input`; training selects batch statistics and dropout. */
  forward(input: Float32Array, batch: number, training: boolean): Float32Array;
  /** Gradient w.r.t. the input (null when not needed), from the gradient w.r.t. the output; writes parameter gradients. */
  backward(dOutput: Float32Array, batch: number, needInputGradient: boolean): Float32Array | null;
  weights(): Weight[];
}

/** Workspaces of one width, one view per batch size, allocated on first use of a size. */
export class Workspace {
  private full: Float32Array | null = null;
  private views = new Map<number, Float32Array>();

  constructor(
    private readonly width: number,
    private readonly alloc: (length: number) => Float32Array,
  ) {}

  /** A batch×width view; growing the batch reallocates (contents are not kept). */
  get(batch: number): Float32Array {
    const cached = this.views.get(batch);
    if (cached !== undefined) return cached;
    const need = batch * this.width;
    if (this.full === null || this.full.length < need) {
      this.full = this.alloc(need);
      this.views.clear();
    }
    const view = this.full.subarray(0, need);
    this.views.set(batch, view);
    return view;
  }
}
