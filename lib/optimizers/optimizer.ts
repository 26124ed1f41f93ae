// An optimizer is a spec (plain data, saved with the model) plus state arenas
// of the parameter arena's length; a step is one fused kernel call over the
// whole arena.
import type { Backend } from '../backend/backend.js';
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

  /** params −= update(grads), over the whole arena in one call (or one per trainable segment). */
  apply(backend: Backend, params: Float32Array, grads: Float32Array): void {
    const lr = this.learningRate();
    this.step++;
    if (this.segments === null) {
      this.update(backend, this.count, params, grads, this.slots, lr);
      return;
    }
    for (const [start, end] of this.segments) {
      const view = (a: Float32Array) => a.subarray(start, end);
      this.update(backend, end - start, view(params), view(grads), this.slots.map(view), lr);
    }
  }

  private update(backend: Backend, n: number, params: Float32Array, grads: Float32Array, slots: Float32Array[], lr: number): void {
    const { beta1, beta2, epsilon, weightDecay } = this.spec;
    const [first, second] = slots as [Float32Array, Float32Array];
    switch (this.spec.name) {
      case 'sgd':
        backend.sgdUpdate(n, params, grads, lr, weightDecay);
        break;
      case 'momentum':
        backend.momentumUpdate(n, params, grads, first, lr, beta1, weightDecay);
        break;
      case 'rmsprop':
        backend.rmspropUpdate(n, params, grads, first, lr, beta2, epsilon, weightDecay);
        break;
      case 'adam':
      case 'adamw':
        backend.adamUpdate(n, params, grads, first, second, lr, beta1, beta2, epsilon, this.step, weightDecay);
        break;
    }
  }
}
