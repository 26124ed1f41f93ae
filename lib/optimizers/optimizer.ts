// An optimizer is a spec (plain data, saved with the model) plus state arenas
// of the parameter arena's length; a step is one fused kernel call over the
// whole arena (or one per trainable segment).
//
// Gradient clipping, before the update, in the order of legacy Keras (tf.keras OptimizerV2,
// keras/optimizers/optimizer_v2/optimizer_v2.py, _transform_gradients: clipvalue, then clipnorm,
// then global_clipnorm): each gradient element is clamped to ±clipValue, then every gradient is
// scaled by min(1, clipNorm/‖g‖₂), ‖g‖₂ the GLOBAL norm of the clamped gradients over every
// trainable parameter (Keras' global_clipnorm, as tf.clipByGlobalNorm; Keras' clipnorm would
// scale each variable by its own norm). Keras 3 (keras/src/optimizers/base_optimizer.py) refuses
// more than one of the three options; we take both and apply them in the legacy order.
// Cost: one read of the gradients for the norm (sumOfSquares, in float64), and the clamp and
// scale inside the update kernels as they read each gradient, so no pass writes a clipped copy.
import type { Backend } from '../backend/backend.js';
import { addToGradients, type L2Term, l2Pieces, type Span } from './l2-term.js';
import { learningRateAt, type Schedule } from './schedules.js';

export interface OptimizerSpec {
  name: 'sgd' | 'momentum' | 'rmsprop' | 'adam' | 'adamw';
  learningRate: number | Schedule;
  /** Momentum's and Adam's first-moment decay. */
  beta1: number;
  /** RMSprop's and Adam's second-moment decay. */
  beta2: number;
  epsilon: number;
  /** Decoupled weight decay (AdamW style); 0 for off. */
  weightDecay: number;
  /** Scale the gradients by min(1, clipNorm/‖g‖₂), ‖g‖₂ over all trainable parameters (absent: off). */
  clipNorm?: number;
  /** Clamp each gradient element to [−clipValue, clipValue], before clipNorm (absent: off). */
  clipValue?: number;
}

/** The update kernels' trailing (gradScale, clipValue), or none when the spec does not clip. */
type Clipping = [gradScale: number, clipValue: number] | [];

/** One update call of a step: its views of the arenas, and whether the L2 term applies there. */
interface Call {
  params: Float32Array;
  grads: Float32Array;
  slots: Float32Array[];
  penalised: boolean;
}

/** The optimizer's state for one model: moment arenas and the step count. */
export class Optimizer {
  /** Updates applied so far (Adam's t). */
  step = 0;
  /** Momentum's velocity, RMSprop's mean square, Adam's m and v, as present. */
  readonly slots: Float32Array[];
  /** Multiplies the spec's learning rate (reduceLrOnPlateau, model.learningRate = …). */
  learningRateFactor = 1;
  /**
   * The [start, end) ranges of the arena that train (frozen layers' parameters are left out, so
   * they and their slots stay bit for bit as they are); null: the whole arena in one call.
   */
  segments: readonly (readonly [number, number])[] | null = null;
  // The calls of a step, remade when the segments, the kernels' ranges or the arenas change (views
  // made per step cost ~25 µs of a 2.3 ms Fashion-MNIST step).
  private calls: { key: readonly unknown[]; calls: Call[] } | null = null;

  constructor(
    readonly spec: OptimizerSpec,
    readonly count: number,
    alloc: (length: number) => Float32Array,
  ) {
    const slotCount = { sgd: 0, momentum: 1, rmsprop: 1, adam: 2, adamw: 2 }[spec.name];
    this.slots = Array.from({ length: slotCount }, () => alloc(count));
  }

  /** The learning rate the next update will use. */
  learningRate(): number {
    return learningRateAt(this.spec.learningRate, this.step) * this.learningRateFactor;
  }

  /** Scales the schedule so that the next update uses `lr` (a schedule at 0 stays as it is). */
  setLearningRate(lr: number): void {
    const scheduled = this.learningRate() / this.learningRateFactor;
    this.learningRateFactor = scheduled > 0 ? lr / scheduled : 1;
  }

  /**
   * params −= update(grads + l2), over the whole arena in one call (or one per trainable segment, cut
   * where the L2 term starts and ends). Returns false when an updated parameter is NaN or ±Infinity
   * (the update kernels check the weights they write).
   */
  apply(backend: Backend, params: Float32Array, grads: Float32Array, l2: L2Term | null = null): boolean {
    const lr = this.learningRate();
    this.step++;
    // The clip norm is of the gradient with its L2 term, so with clipNorm the term goes into grads first.
    if (l2 !== null && this.spec.clipNorm !== undefined) {
      addToGradients(backend, params, grads, l2);
      l2 = null;
    }
    const clip = this.clipping(backend, grads);
    let finite = true;
    for (const call of this.callsFor(params, grads, l2?.ranges ?? null)) {
      const decay = call.penalised ? (l2 as L2Term).coefficient : 0;
      if (this.update(backend, call.params.length, call.params, call.grads, call.slots, lr, decay, clip) >= 0) finite = false;
    }
    return finite;
  }

  private callsFor(params: Float32Array, grads: Float32Array, ranges: readonly Span[] | null): Call[] {
    const key = [this.segments, ranges, params, grads];
    if (this.calls?.key.every((k, i) => k === key[i])) return this.calls.calls;
    const calls = l2Pieces(this.segments ?? [[0, this.count]], ranges).map(([start, end, penalised]) => {
      const view = (a: Float32Array) => (start === 0 && end === a.length ? a : a.subarray(start, end));
      return { params: view(params), grads: view(grads), slots: this.slots.map(view), penalised };
    });
    this.calls = { key, calls };
    return calls;
  }

  // This step's clipping. The norm is over the trainable segments only (a frozen layer's gradient
  // does not shrink the others'). A non-finite norm comes only from a NaN or ±Infinity gradient
  // (finite float32s' squares sum to at most 2^31·FLT_MAX² in float64), which fit() reports before
  // it calls apply; such a norm scales nothing rather than turning every weight into NaN.
  private clipping(backend: Backend, grads: Float32Array): Clipping {
    const { clipNorm, clipValue = 0 } = this.spec;
    if (clipNorm === undefined && clipValue === 0) return [];
    let scale = 1;
    if (clipNorm !== undefined) {
      let squares = 0;
      if (this.segments === null) squares = backend.sumOfSquares(this.count, grads, clipValue);
      else for (const [start, end] of this.segments) squares += backend.sumOfSquares(end - start, grads.subarray(start, end), clipValue);
      const norm = Math.sqrt(squares);
      if (Number.isFinite(norm) && norm > clipNorm) scale = clipNorm / norm;
    }
    return [scale, clipValue];
  }

  private update(
    backend: Backend,
    n: number,
    params: Float32Array,
    grads: Float32Array,
    slots: Float32Array[],
    lr: number,
    l2: number,
    clip: Clipping,
  ): number {
    const { beta1, beta2, epsilon, weightDecay } = this.spec;
    const [first, second] = slots as [Float32Array, Float32Array];
    switch (this.spec.name) {
      case 'sgd':
        return backend.sgdUpdate(n, params, grads, lr, weightDecay, l2, ...clip);
      case 'momentum':
        return backend.momentumUpdate(n, params, grads, first, lr, beta1, weightDecay, l2, ...clip);
      case 'rmsprop':
        return backend.rmspropUpdate(n, params, grads, first, lr, beta2, epsilon, weightDecay, l2, ...clip);
      case 'adam':
      case 'adamw':
        return backend.adamUpdate(n, params, grads, first, second, lr, beta1, beta2, epsilon, this.step, weightDecay, l2, ...clip);
    }
  }
}
