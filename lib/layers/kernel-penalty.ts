// The L2 penalty over a network's Dense kernels (biases and batch-norm parameters carry none):
// its value in a cost over m samples, and its gradient term (λ/m)·W, which fit hands to the
// optimizer to add inside its update (optimizers/l2-term.ts).
import { sumOfSquares } from '../losses.js';
import { kernelRanges, type L2Term, type Span } from '../optimizers/l2-term.js';
import { Dense } from './dense.js';
import type { Layer } from './layer.js';

export class KernelPenalty {
  /** The Dense kernels: views of the parameter arena. */
  readonly kernels: readonly Float32Array[];
  // Made once (the layers never change), so the optimizer can keep its calls for these ranges.
  private readonly ranges: readonly Span[];

  /** layers: bound to params already. */
  constructor(layers: readonly Layer[], params: Float32Array) {
    this.kernels = layers.filter((l): l is Dense => l instanceof Dense).map((l) => l.kernel);
    this.ranges = kernelRanges(params, this.kernels);
  }

  /** (λ/2m)·Σ‖W‖², 0 without L2 or without samples. */
  value(l2: number, m: number): number {
    return l2 > 0 && m > 0 ? (l2 / (2 * m)) * sumOfSquares(this.kernels) : 0;
  }

  /** The gradient term of a batch of m rows, null without L2. */
  term(l2: number, m: number): L2Term | null {
    return l2 > 0 ? { coefficient: l2 / m, ranges: this.ranges } : null;
  }
}
