// What both exporters share: the model's standardisation (checked once), the
// metadata carried into the exported file, where a target's scale can be
// folded, and the producer string.
import { createRequire } from 'node:module';
import type { Preprocessing } from '../data/spec.js';
import type { LayerSpec } from '../layers/layer.js';
import type { ModelData } from '../model-types.js';

/** What the exporters read of a model here: its input width and preprocessing. */
type ExportedModel = Pick<ModelData, 'inputs' | 'preprocessing'>;

/** Per-feature (x − mean) / std, in float64 so folding it into weights rounds once. */
export interface Standardisation {
  mean: Float64Array;
  std: Float64Array;
}

/** The model's standardisation, or null without one; `fn` names the caller in errors. */
export function standardisation(model: ExportedModel, fn: string): Standardisation | null {
  const p = model.preprocessing;
  if (p === null || (p.mean === undefined && p.std === undefined)) return null;
  if (p.mean === undefined || p.std === undefined) {
    throw new RangeError(`${fn}: model.preprocessing has ${p.mean === undefined ? 'std without mean' : 'mean without std'}`);
  }
  const check = (values: unknown, name: 'mean' | 'std'): Float64Array => {
    if (!Array.isArray(values) || values.length !== model.inputs) {
      throw new RangeError(`${fn}: expected ${model.inputs} values (one per input) for preprocessing.${name}`);
    }
    const out = Float64Array.from(values as number[]);
    out.forEach((v, i) => {
      const ok = Number.isFinite(v) && (name === 'mean' || v > 0);
      if (!ok)
        throw new RangeError(`${fn}: preprocessing.${name}[${i}] is ${values[i]}, expected a finite number${name === 'std' ? ' > 0' : ''}`);
    });
    return out;
  };
  return { mean: check(p.mean, 'mean'), std: check(p.std, 'std') };
}

/** What an exported file keeps of the preprocessing besides the folded standardisation. */
export type ExportedMetadata = Pick<Preprocessing, 'features' | 'target' | 'classes'>;

export function exportedMetadata(model: ExportedModel, fn: string): ExportedMetadata {
  const p = model.preprocessing;
  const out: ExportedMetadata = {};
  if (p === null) return out;
  for (const key of ['features', 'classes'] as const) {
    const v = p[key];
    if (v === undefined) continue;
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string'))
      throw new TypeError(`${fn}: expected an array of strings for preprocessing.${key}`);
    out[key] = [...v];
  }
  if (p.features !== undefined && p.features.length !== model.inputs) {
    throw new RangeError(`${fn}: preprocessing.features names ${p.features.length} features, the model has ${model.inputs} inputs`);
  }
  if (p.target !== undefined) {
    if (typeof p.target !== 'string') throw new TypeError(`${fn}: expected a string for preprocessing.target`);
    out.target = p.target;
  }
  return out;
}

/** The last dense layer when only linear activations and dropout follow it (which commute with an affine map), else -1. */
export function foldableDense(layers: readonly LayerSpec[]): number {
  const last = layers.map((l) => l.type).lastIndexOf('dense');
  const identity = (l: LayerSpec) => l.type === 'dropout' || (l.type === 'activation' && l.activation === 'linear');
  return last >= 0 && layers.slice(last + 1).every(identity) ? last : -1;
}

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };

/** "densenode <version>", for the files' producer fields. */
export const producer = { name: 'densenode', version: pkg.version };

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Reads `count` little-endian float32 values from bytes at byteOffset, whatever the host's byte
 * order (a view of `bytes` where they are already aligned native floats, else a copy); a NaN or
 * ±Infinity is refused with the error `nonFinite` makes for its index and value.
 */
export function readFloat32LE(
  bytes: Uint8Array,
  byteOffset: number,
  count: number,
  nonFinite: (index: number, value: number) => Error,
): Float32Array {
  const start = bytes.byteOffset + byteOffset;
  if (LITTLE_ENDIAN && start % 4 === 0) {
    // The bytes are already the values: check them in place rather than copy up to 3 GiB.
    const values = new Float32Array(bytes.buffer, start, count);
    for (let i = 0; i < count; i++) if (!Number.isFinite(values[i] as number)) throw nonFinite(i, values[i] as number);
    return values;
  }
  const view = new DataView(bytes.buffer, start, 4 * count);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const v = view.getFloat32(4 * i, true);
    if (!Number.isFinite(v)) throw nonFinite(i, v);
    out[i] = v;
  }
  return out;
}

/** Writes float32 values little-endian, whatever the host's byte order. */
export function float32LE(values: ArrayLike<number>, out: Uint8Array = new Uint8Array(4 * values.length), offset = 0): Uint8Array {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0; i < values.length; i++) view.setFloat32(offset + 4 * i, values[i] as number, true);
  return out;
}

/** A float32 array's bytes in little-endian order: a view of the array itself on a little-endian host (no copy of a 3 GiB arena), else a copy. */
export function littleEndianBytes(values: Float32Array): Uint8Array {
  return LITTLE_ENDIAN ? new Uint8Array(values.buffer, values.byteOffset, values.byteLength) : float32LE(values);
}
