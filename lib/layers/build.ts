// A layer object from its spec, with the initialisation its neighbours call for.
import { Activation } from './activation.js';
import { BatchNorm } from './batchnorm.js';
import { Dense } from './dense.js';
import { Dropout } from './dropout.js';
import type { Layer, LayerContext, LayerSpec } from './layer.js';

// Dense layers followed (past batch-norm and dropout) by a ReLU start with He initialisation.
export function buildLayer(spec: LayerSpec, width: number, ctx: LayerContext, specs: LayerSpec[], index: number): Layer {
  switch (spec.type) {
    case 'dense': {
      const next = specs.slice(index + 1).find((s) => s.type === 'activation' || s.type === 'dense');
      const reluNext = next?.type === 'activation' && (next.activation === 'relu' || next.activation === 'leakyRelu');
      return new Dense(spec, width, ctx, reluNext ? 'he' : 'glorot');
    }
    case 'batchNorm':
      return new BatchNorm(spec, width, ctx);
    case 'dropout':
      return new Dropout(spec, width, ctx);
    case 'activation':
      return new Activation(spec, width, ctx);
    default:
      throw new TypeError(`sequential: unknown layer ${JSON.stringify(spec)}`);
  }
}
