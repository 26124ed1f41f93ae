// Which parts of the parameter arena train: every layer's parameters but those of layers
// declared trainable: false, as [start, end) ranges with neighbours merged (one optimizer
// call per range; a model with nothing frozen is one range, the whole arena).
import { invalidArgument, invalidRange, invalidType } from '../errors.js';
import type { Layer, LayerSpec } from './layer.js';

export function trainableSegments(layers: readonly Layer[], specs: readonly LayerSpec[]): [number, number][] | null {
  const segments: [number, number][] = [];
  let offset = 0;
  let frozen = false;
  layers.forEach((layer, i) => {
    const spec = specs[i] as LayerSpec;
    const trains = !('trainable' in spec && spec.trainable === false);
    if (!trains) frozen ||= layer.paramCount > 0;
    const last = segments[segments.length - 1];
    if (trains && layer.paramCount > 0) {
      if (last !== undefined && last[1] === offset) last[1] += layer.paramCount;
      else segments.push([offset, offset + layer.paramCount]);
    }
    offset += layer.paramCount;
  });
  return frozen ? segments : null;
}

/** model.setTrainable: marks specs[index] (a dense or batch-norm layer) frozen or not. */
export function setTrainableSpec(specs: LayerSpec[], index: number, trainable: boolean): void {
  const fn = 'setTrainable';
  if (!(Number.isInteger(index) && index >= 0 && index < specs.length))
    throw invalidRange(fn, 'index', `a layer index in [0, ${specs.length})`, index);
  if (typeof trainable !== 'boolean') throw invalidType(fn, 'trainable', 'true or false', trainable);
  const spec = specs[index] as LayerSpec;
  if (spec.type !== 'dense' && spec.type !== 'batchNorm')
    throw invalidArgument(
      RangeError,
      fn,
      'index',
      'a dense or batchNorm layer (the others have no weights)',
      `${index}, a ${spec.type} layer`,
    );
  const { trainable: _old, ...rest } = spec;
  specs[index] = trainable ? rest : { ...rest, trainable: false };
}
