// The TensorFlow.js Layers format: model.json (a Keras Sequential topology and
// a weights manifest) plus little-endian float32 shards, loadable in a browser
// with tf.loadLayersModel. Every densenode layer maps to exactly one Keras
// layer with the same weights under the same names (kernel [in, out], bias,
// gamma, beta, moving_mean, moving_variance), so an export is a relabelling.
//
// Batch-norm conventions, checked against the sources: tf.keras (2.x, the
// non-fused path every 2-D input takes) and tfjs-layers 4.22 normalise a
// training batch with the *biased* variance Σ(x − mean)²/batch (tf.moments)
// and update moving = moving − (moving − batch)·(1 − momentum), i.e.
// moving·momentum + batch·(1 − momentum), feeding it that same biased
// variance. (Keras' fused 4-D path gets the same result: it adds Bessel's
// correction before the fused op and removes it after.) densenode's
// lib/layers/batchnorm.ts, through native/batchnorm.h and
// lib/backend/js/batchnorm.ts, does exactly this with the same defaults
// (momentum 0.99, epsilon 1e-3), so running statistics carry over unchanged;
// test/export-tfjs.test.ts checks one training step against tfjs. PyTorch
// differs (unbiased running variance, momentum weighting the new batch).
//
// A model with a column spec (preprocessing.tabular) exports with the spec's
// encoded features as its input: Layers models cannot impute or one-hot
// strings, so a client encodes records with the spec, which model.json
// carries as userDefinedMetadata.preprocessing (densenode's encodeTable reads
// it as is). A regression spec standardised the target for training; when
// the last Dense layer is followed only by linear activations and dropout,
// out · std + mean is folded into it (W·std, b·std + mean) so the TF.js model
// answers in the target's units, and userDefinedMetadata.outputsInTargetUnits
// says whether that happened (false: the client applies std and mean).
// importTfjs undoes the fold, so the imported model is the trained one again:
// standardised outputs, which predict(records) scales once, and fit on
// encoded records trains on the standardised target as before.
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readTabularSpec } from '../data/read-spec.js';
import { checkPath, invalidRange } from '../errors.js';
import type { LayerSpec } from '../layers/layer.js';
import type { ModelData } from '../model-types.js';
import { writeFileAtomic } from './atomic.js';
import { exportedMetadata, float32LE, foldableDense, producer, type Standardisation, standardisation } from './common.js';

export interface TfjsExportOptions {
  /** Largest weight file in bytes (default 4 MiB, what TF.js itself writes); weights may straddle files. */
  shardBytes?: number;
}

interface KerasLayer {
  class_name: string;
  config: Record<string, unknown>;
}

interface NamedWeight {
  name: string;
  shape: number[];
  values: ArrayLike<number>;
}

const defaultShardBytes = 4 * 1024 * 1024;

/**
 * Writes `dir`/model.json and `dir`/group1-shard*of*.bin; the weight files first, model.json last, each atomically.
 * Shards of an earlier export into the same directory that the new model.json does not list are removed.
 */
export async function exportTfjs(model: ModelData, dir: string, options: TfjsExportOptions = {}): Promise<void> {
  checkPath('exportTfjs', 'dir', dir, 'a directory path');
  const shardBytes = options.shardBytes ?? defaultShardBytes;
  if (!(Number.isInteger(shardBytes) && shardBytes >= 1)) {
    throw invalidRange('exportTfjs', 'shardBytes', 'an integer >= 1', shardBytes);
  }
  const metadata: Record<string, unknown> = exportedMetadata(model, 'exportTfjs');
  const target = tabularMetadata(model, metadata);
  const { layers, weights } = toKeras(model, standardisation(model, 'exportTfjs'), target);

  const total = weights.reduce((n, w) => n + 4 * w.values.length, 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const w of weights) {
    float32LE(w.values, bytes, offset);
    offset += 4 * w.values.length;
  }
  const count = Math.ceil(total / shardBytes);
  const paths = Array.from({ length: count }, (_, i) => `group1-shard${i + 1}of${count}.bin`);

  await mkdir(dir, { recursive: true });
  for (const [i, path] of paths.entries()) {
    await writeFileAtomic(join(dir, path), bytes.subarray(i * shardBytes, Math.min(total, (i + 1) * shardBytes)));
  }
  const modelJson = {
    format: 'layers-model',
    generatedBy: `${producer.name} ${producer.version}`,
    convertedBy: null,
    modelTopology: { class_name: 'Sequential', config: { name: 'sequential', layers } },
    weightsManifest:
      weights.length === 0 ? [] : [{ paths, weights: weights.map(({ name, shape }) => ({ name, shape, dtype: 'float32' })) }],
    ...(Object.keys(metadata).length > 0 ? { userDefinedMetadata: metadata } : {}),
  };
  await writeFileAtomic(join(dir, 'model.json'), JSON.stringify(modelJson));
  const current = new Set(paths);
  for (const name of await readdir(dir)) {
    if (/^group\d+-shard\d+of\d+\.bin$/.test(name) && !current.has(name)) await rm(join(dir, name), { force: true });
  }
}

/** A regression target's scale and the dense layer (index into model.layers) it is folded into. */
interface TargetFold {
  layer: number;
  mean: number;
  std: number;
}

/** Adds the spec (and whether outputs are in the target's units) to `metadata`; returns the fold to make, if any. */
function tabularMetadata(model: ModelData, metadata: Record<string, unknown>): TargetFold | null {
  const p = model.preprocessing;
  if (p?.tabular === undefined) return null;
  if (p.mean !== undefined || p.std !== undefined)
    throw new Error('exportTfjs: model.preprocessing has both a column spec (tabular) and mean/std; the spec alone is the transform');
  const spec = readTabularSpec(p.tabular, 'exportTfjs', 'preprocessing.tabular');
  if (spec.features.length !== model.inputs)
    throw new RangeError(`exportTfjs: preprocessing.tabular makes ${spec.features.length} features, the model has ${model.inputs} inputs`);
  metadata.preprocessing = spec;
  if (spec.target?.kind !== 'values') return null;
  const layer = foldableDense(model.layers.map((l) => l.spec));
  metadata.outputsInTargetUnits = layer >= 0;
  return layer >= 0 ? { layer, mean: spec.target.mean, std: spec.target.std } : null;
}

// One Keras layer per densenode layer, named like Keras (dense_1, batch_normalization_1, …).
function toKeras(
  model: ModelData,
  standardise: Standardisation | null,
  target: TargetFold | null,
): { layers: KerasLayer[]; weights: NamedWeight[] } {
  const counts = new Map<string, number>();
  const nameFor = (prefix: string): string => {
    const n = (counts.get(prefix) ?? 0) + 1;
    counts.set(prefix, n);
    return `${prefix}_${n}`;
  };
  const first = model.layers[0]?.spec.type;
  if (standardise !== null && first !== 'dense') {
    throw new Error(
      `exportTfjs: model.preprocessing has mean/std, which are folded into the first layer; that must be dense, this model starts with ${first}`,
    );
  }
  const layers: KerasLayer[] = [];
  const weights: NamedWeight[] = [];
  model.layers.forEach((layer, index) => {
    const { class_name, prefix, config } = kerasConfig(layer.spec);
    const name = nameFor(prefix);
    let own: NamedWeight[] = layer.weights().map((w) => ({ name: `${name}/${w.name}`, shape: w.shape, values: w.values }));
    if (index === 0 && standardise !== null) {
      const [kernel, bias] = layer.weights();
      const folded = fold(standardise, kernel?.values as Float32Array, bias?.values ?? null, layer.inputWidth, layer.outputWidth);
      own = [
        { name: `${name}/kernel`, shape: [layer.inputWidth, layer.outputWidth], values: folded.kernel },
        { name: `${name}/bias`, shape: [layer.outputWidth], values: folded.bias },
      ];
      config.use_bias = true;
    }
    if (index === target?.layer) {
      // In float64 like fold(), rounded to float32 once when written; a layer without bias gains one for the mean.
      const [kernel, bias] = own;
      own = [
        { ...(kernel as NamedWeight), values: Float64Array.from(kernel?.values as ArrayLike<number>, (w) => w * target.std) },
        {
          name: `${name}/bias`,
          shape: [layer.outputWidth],
          values: Float64Array.from(bias?.values ?? new Float32Array(layer.outputWidth), (b) => b * target.std + target.mean),
        },
      ];
      config.use_bias = true;
    }
    if (index === 0) config.batch_input_shape = [null, model.inputs];
    // A frozen layer stays frozen in Keras (trainable: false), for fine-tuning there too.
    const trainable = !('trainable' in layer.spec && layer.spec.trainable === false);
    layers.push({ class_name, config: { name, trainable, dtype: 'float32', ...config } });
    weights.push(...own);
  });
  return { layers, weights };
}

function kerasConfig(spec: LayerSpec): { class_name: string; prefix: string; config: Record<string, unknown> } {
  switch (spec.type) {
    case 'dense':
      return {
        class_name: 'Dense',
        prefix: 'dense',
        config: { units: spec.units, activation: 'linear', use_bias: spec.useBias !== false },
      };
    case 'batchNorm':
      return {
        class_name: 'BatchNormalization',
        prefix: 'batch_normalization',
        config: { axis: -1, momentum: spec.momentum ?? 0.99, epsilon: spec.epsilon ?? 1e-3, center: true, scale: true },
      };
    case 'dropout':
      return { class_name: 'Dropout', prefix: 'dropout', config: { rate: spec.rate, noise_shape: null, seed: null } };
    case 'activation':
      if (spec.activation === 'leakyRelu') return { class_name: 'LeakyReLU', prefix: 'leaky_re_lu', config: { alpha: spec.alpha ?? 0.01 } };
      return { class_name: 'Activation', prefix: 'activation', config: { activation: spec.activation } };
  }
}

/**
 * Folds (x − mean)/std into the first dense layer, in float64 with one rounding to float32 at the end:
 * W'ᵢⱼ = Wᵢⱼ/stdᵢ and b'ⱼ = bⱼ − Σᵢ (meanᵢ/stdᵢ)·Wᵢⱼ, so the exported layer takes raw features.
 * A layer without bias gains one (b = 0 before folding).
 */
function fold(s: Standardisation, kernel: Float32Array, bias: Float32Array | null, inputs: number, units: number) {
  const k = new Float64Array(inputs * units);
  const b = new Float64Array(units);
  if (bias !== null) b.set(bias);
  for (let i = 0; i < inputs; i++) {
    const std = s.std[i] as number;
    const shift = (s.mean[i] as number) / std;
    for (let j = 0; j < units; j++) {
      const w = kernel[i * units + j] as number;
      k[i * units + j] = w / std;
      b[j] = (b[j] as number) - shift * w;
    }
  }
  return { kernel: k, bias: b };
}
