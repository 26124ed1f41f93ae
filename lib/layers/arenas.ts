// The arenas a network's layers live in: every parameter layer after layer in one array, their
// gradients and the non-trainable state (batch-norm statistics) alike, each layer bound to its
// slices. Adopted arenas (a worker's fit, shared memory) must have the layers' sizes.
import type { Runtime, SharedArenas } from '../model-types.js';
import type { Layer } from './layer.js';

export interface Arenas {
  params: Float32Array;
  grads: Float32Array;
  state: Float32Array;
}

export function bindArenas(layers: readonly Layer[], runtime: Runtime, adopt?: SharedArenas): Arenas {
  const paramCount = layers.reduce((n, l) => n + l.paramCount, 0);
  const stateCount = layers.reduce((n, l) => n + l.stateCount, 0);
  const arenaAlloc = runtime.arenaAlloc ?? runtime.alloc;
  const params = adopt?.params ?? arenaAlloc(paramCount);
  const grads = runtime.alloc(paramCount);
  const state = adopt?.state ?? arenaAlloc(stateCount);
  if (params.length !== paramCount || state.length !== stateCount) {
    throw new RangeError(
      `sequential: the shared arenas hold ${params.length} + ${state.length} floats, the layers need ${paramCount} + ${stateCount}`,
    );
  }
  let p = 0;
  let s = 0;
  for (const layer of layers) {
    const slice = {
      params: params.subarray(p, p + layer.paramCount),
      grads: grads.subarray(p, p + layer.paramCount),
      state: state.subarray(s, s + layer.stateCount),
    };
    layer.bind(slice, adopt === undefined);
    p += layer.paramCount;
    s += layer.stateCount;
  }
  return { params, grads, state };
}
