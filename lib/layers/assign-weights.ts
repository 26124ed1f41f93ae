// model.setWeights' rule: every array checked (count, lengths, finite values) before any is
// written, so a bad call leaves the model exactly as it was.
import { invalidArgument } from '../errors.js';
import type { Weight } from './layer.js';

/** Copies weights[i] into targets[i] (getWeights() order) after checking them all. */
export function assignWeights(targets: readonly Weight[], weights: ArrayLike<number>[]): void {
  if (weights.length !== targets.length)
    throw invalidArgument(RangeError, 'setWeights', 'weights', `${targets.length} arrays`, String(weights.length));
  targets.forEach((t, i) => {
    const w = weights[i] as ArrayLike<number>;
    if (w.length !== t.values.length) {
      throw new RangeError(
        `setWeights: array ${i} (${t.name} [${t.shape.join(', ')}]) needs ${t.values.length} values, received ${w.length}`,
      );
    }
    for (let j = 0; j < w.length; j++) {
      if (!Number.isFinite(w[j])) throw new RangeError(`setWeights: array ${i} (${t.name}) value ${j} is ${w[j]}`);
    }
  });
  targets.forEach((t, i) => {
    t.values.set(weights[i] as ArrayLike<number>);
  });
}
