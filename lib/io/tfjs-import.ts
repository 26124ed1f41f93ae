// Reads a TF.js Layers model (ours, or one saved by TensorFlow.js / converted
// from Keras) into an uncompiled densenode Model. Nothing is trusted: the JSON
// is only read through checked accessors (never evaluated), every weight's
// shape is checked against the layer that needs it, and the weight files are
// measured on disk before a single byte is allocated for them. A column spec
// in userDefinedMetadata.preprocessing is validated like a saved model's, and
// a regression's folded target scale is taken back out of the last Dense
// layer (see tfjs.ts), so predict(records) scales the outputs exactly once.
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { readTabularSpec } from '../data/read-spec.js';
import { type Preprocessing, tabularPreprocessing } from '../data/spec.js';
import { checkPath } from '../errors.js';
import { batchNorm, dense, dropout, leakyRelu, linear, relu, sigmoid, softmax, tanh } from '../layers/index.js';
import type { LayerSpec } from '../layers/layer.js';
import type { SequentialConfig } from '../model-types.js';
import { foldableDense, readFloat32LE } from './common.js';
import { JsonReader } from './json-read.js';
import { parseJsonText } from './json-text.js';
import { ModelFileError } from './model-file-error.js';
import { modelFileSize, readModelFile } from './read-file.js';
import { arenaSizes, metadataMismatch, tabularCounts } from './validate-manifest.js';

const maxJsonBytes = 64 * 1024 * 1024;
const maxWeightBytes = 2 ** 31 - 1;
const maxWidth = 2 ** 24;

/** A weight the model needs, in getWeights() order: read from the manifest, or a constant (BatchNormalization without center/scale). */
type Needed = { layer: string; name: string; shape: number[] } | { fill: number; length: number };

interface Plan {
  inputs: number;
  outputs: number;
  layers: LayerSpec[];
  weights: Needed[];
  /** Each densenode layer's Keras name. */
  names: string[];
}

interface Entry {
  shape: number[];
  group: number;
  /** Byte offset in the group's concatenated files. */
  offset: number;
}

interface Group {
  files: string[];
  bytes: number;
}

const activations: Record<string, () => LayerSpec> = { linear, relu, sigmoid, softmax, tanh };
const supported = 'Dense, BatchNormalization, Dropout, Activation, LeakyReLU and InputLayer';

/** A TF.js model as densenode data: the factory (lib/model-factory.ts) builds the uncompiled Model. */
export interface ImportedModel {
  config: SequentialConfig;
  /** In Model.getWeights() order. */
  weights: Float32Array[];
  preprocessing: Preprocessing | null;
}

/** Reads `dir`/model.json (or the model.json file given) and its weight files. */
export async function readTfjs(dir: string): Promise<ImportedModel> {
  checkPath('importTfjs', 'dir', dir, 'a directory path');
  const given = await stat(dir).catch(() => null);
  const jsonPath = given?.isFile() ? dir : join(dir, 'model.json');
  const where = jsonPath;
  const text = await readModelFile(jsonPath, {
    dir: dirname(jsonPath),
    fn,
    missing: 'no model here (the file is missing)',
    limit: maxJsonBytes,
  });
  const root = new JsonReader(`${fn}: ${jsonPath}`, parseJsonText(text.toString('utf8'), jsonPath, fn), '', (what) =>
    fileError(where, what),
  );
  const format = root.at('format').string('layers-model');
  if (format !== 'layers-model')
    throw fileError(where, `format is '${format}', only 'layers-model' (a Keras/Layers model) can be imported`);

  const plan = planLayers(root.at('modelTopology'), where);
  const { entries, groups } = readManifest(root.at('weightsManifest'), dirname(jsonPath), where);
  checkAgainstPlan(plan, entries, where);
  // The same bound as load, before a byte of the weights is read.
  arenaSizes(plan.inputs, plan.layers, jsonPath, fn);
  const data: Uint8Array[] = [];
  for (const g of groups) data.push(await readGroup(g, jsonPath));

  const meta = root.at('userDefinedMetadata');
  const tabular = meta.isMissing || meta.at('preprocessing').isMissing ? null : readTabular(meta, plan, where);
  const values = plan.weights.map((w) => {
    if ('fill' in w) return new Float32Array(w.length).fill(w.fill);
    const e = entries.get(w.name) as Entry;
    return decode(data[e.group] as Uint8Array, e, w.name, groups[e.group] as Group);
  });
  if (tabular?.folded) unfoldTarget(plan, values, tabular.preprocessing, where);
  return {
    config: { inputs: plan.inputs, seed: 0, layers: plan.layers },
    weights: values,
    preprocessing: tabular?.preprocessing ?? readMetadata(meta, plan, where),
  };
}

const fn = 'importTfjs';

function fileError(file: string, what: string): ModelFileError {
  return new ModelFileError(file, what, fn);
}

// The Keras Sequential topology as densenode layers and the weights they need.
function planLayers(topology: JsonReader, where: string): Plan {
  const top = topology.at('model_config').isMissing ? topology : topology.at('model_config');
  const cls = top.at('class_name').string();
  if (cls !== 'Sequential') throw fileError(where, `only Sequential models can be imported, this model is a ${cls}`);
  const config = top.at('config');
  const list = Array.isArray(config.value) ? config.items() : config.at('layers').items();
  const plan: Plan = { inputs: 0, outputs: 0, layers: [], weights: [], names: [] };
  let width = 0;
  list.forEach((entry, index) => {
    const layerClass = entry.at('class_name').string();
    const c = entry.at('config');
    const name = c.at('name').string();
    const declared = c.atAny('batch_input_shape', 'batch_shape');
    if (!declared.isMissing) {
      const dims = declared.items();
      if (dims.length !== 2) throw declared.fail('a 2-D [batch, features] input shape');
      const n = (dims[1] as JsonReader).integer(1, maxWidth);
      if (width !== 0 && n !== width) throw fileError(where, `layer '${name}' declares ${n} inputs, the layer before it outputs ${width}`);
      width = n;
      if (plan.inputs === 0) plan.inputs = n;
    }
    if (width === 0) throw fileError(where, `the first layer ('${name}') declares no batch_input_shape, so the input width is unknown`);
    const need = (weight: string, shape: number[]) => plan.weights.push({ layer: name, name: `${name}/${weight}`, shape });
    const before = plan.layers.length;
    switch (layerClass) {
      case 'InputLayer':
        if (index !== 0) throw fileError(where, `InputLayer '${name}' must be the first layer`);
        break;
      case 'Dense': {
        const units = c.at('units').integer(1, maxWidth);
        const useBias = c.at('use_bias').boolean(true);
        const activation = activationOf(c.at('activation'), name, where);
        const trainable = c.at('trainable').boolean(true);
        plan.layers.push(dense(units, { useBias, ...(trainable ? {} : { trainable }) }));
        need('kernel', [width, units]);
        if (useBias) need('bias', [units]);
        if (activation !== 'linear') plan.layers.push((activations[activation] as () => LayerSpec)());
        width = units;
        break;
      }
      case 'BatchNormalization': {
        const axis = c.at('axis');
        const axes = axis.isMissing ? [-1] : Array.isArray(axis.value) ? axis.items().map((a) => a.integer(-1, 1)) : [axis.integer(-1, 1)];
        if (axes.length !== 1 || axes[0] === 0) throw axis.fail('the feature axis (-1 or 1) of a 2-D input');
        const epsilon = c.at('epsilon').number(Number.MIN_VALUE, 1, 1e-3);
        const momentum = c.at('momentum').number(0, 1, 0.99);
        const trainable = c.at('trainable').boolean(true);
        plan.layers.push(batchNorm({ epsilon, momentum, ...(trainable ? {} : { trainable }) }));
        if (c.at('scale').boolean(true)) need('gamma', [width]);
        else plan.weights.push({ fill: 1, length: width });
        if (c.at('center').boolean(true)) need('beta', [width]);
        else plan.weights.push({ fill: 0, length: width });
        need('moving_mean', [width]);
        need('moving_variance', [width]);
        break;
      }
      case 'Dropout':
        // The identity in inference; kept so fine-tuning regularises as the original did.
        plan.layers.push(dropout(c.at('rate').number(0, 1, undefined, true)));
        break;
      case 'Activation':
        plan.layers.push((activations[activationOf(c.at('activation'), name, where)] as () => LayerSpec)());
        break;
      case 'LeakyReLU':
        // tfjs and Keras 2 call the slope alpha (default 0.3), Keras 3 negative_slope.
        plan.layers.push(leakyRelu(c.atAny('alpha', 'negative_slope').number(0, 1, 0.3, true)));
        break;
      default:
        throw fileError(where, `layer ${index} ('${name}') is a ${layerClass}, which densenode cannot import (it supports ${supported})`);
    }
    while (plan.names.length < plan.layers.length) plan.names.push(plan.names.length === before ? name : `${name} (activation)`);
  });
  if (plan.layers.length === 0) throw fileError(where, `the model has no layers to import`);
  plan.outputs = width;
  return plan;
}

function activationOf(r: JsonReader, layer: string, where: string): string {
  const name = r.string('linear');
  if (!Object.hasOwn(activations, name)) {
    throw fileError(where, `layer '${layer}' uses activation '${name}'; densenode supports ${Object.keys(activations).join(', ')}`);
  }
  return name;
}

// Every weight's place in its group; only float32, unquantised weights of bounded size.
function readManifest(manifest: JsonReader, dir: string, where: string): { entries: Map<string, Entry>; groups: Group[] } {
  const entries = new Map<string, Entry>();
  const groups: Group[] = [];
  const list = manifest.isMissing ? [] : manifest.items();
  list.forEach((g, gi) => {
    const files = g
      .at('paths')
      .items()
      .map((p) => join(dir, safePath(p, where)));
    let offset = 0;
    for (const w of g.at('weights').items()) {
      const name = w.at('name').string();
      const dtype = w.at('dtype').string('float32');
      if (dtype !== 'float32') throw fileError(where, `weight '${name}' is ${dtype}; only float32 weights can be imported`);
      if (!w.at('quantization').isMissing) throw fileError(where, `weight '${name}' is quantized; only float32 weights can be imported`);
      const shape = w
        .at('shape')
        .items()
        .map((d) => d.integer(0, maxWidth));
      const bytes = shape.reduce((n, d) => Math.min(n * d, Number.MAX_SAFE_INTEGER), 4);
      if (entries.has(name)) throw fileError(where, `the weightsManifest lists '${name}' twice`);
      entries.set(name, { shape, group: gi, offset });
      offset += bytes;
      if (offset > maxWeightBytes) throw fileError(where, `the weightsManifest's group ${gi} needs more than ${maxWeightBytes} bytes`);
    }
    // Found by the fuzzer: with no files, the size error named none (an empty file name).
    if (files.length === 0 && offset > 0)
      throw fileError(where, `the weightsManifest's group ${gi} lists weights but no files (paths is empty)`);
    groups.push({ files, bytes: offset });
  });
  return { entries, groups };
}

// A shard path must stay inside the model's directory.
function safePath(r: JsonReader, where: string): string {
  const p = r.string();
  const n = normalize(p);
  if (p === '' || p.includes('\0') || isAbsolute(p) || n === '..' || n.startsWith('../') || n.startsWith('..\\')) {
    throw fileError(where, `weight file '${p}' is not a relative path inside the model's directory`);
  }
  return n;
}

function checkAgainstPlan(plan: Plan, entries: Map<string, Entry>, where: string): void {
  const used = new Set<string>();
  for (const w of plan.weights) {
    if ('fill' in w) continue;
    const e = entries.get(w.name);
    if (e === undefined)
      throw fileError(where, `layer '${w.layer}' needs weight '${w.name}' [${w.shape}], which the weightsManifest does not list`);
    if (e.shape.join() !== w.shape.join()) {
      throw fileError(where, `weight '${w.name}' has shape [${e.shape}] in the weightsManifest, layer '${w.layer}' needs [${w.shape}]`);
    }
    used.add(w.name);
  }
  for (const name of entries.keys()) {
    if (!used.has(name)) throw fileError(where, `the weightsManifest lists '${name}', which no layer uses`);
  }
}

// The group's files, concatenated; their sizes on disk must add up to what the manifest describes before anything is allocated.
async function readGroup(group: Group, jsonPath: string): Promise<Uint8Array> {
  const dir = dirname(jsonPath);
  const options = { dir, fn, missing: `a weight file listed in ${jsonPath} is missing`, limit: maxWeightBytes };
  const sizes: number[] = [];
  for (const file of group.files) sizes.push(await modelFileSize(file, options));
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== group.bytes) {
    const hint = total < group.bytes ? 'truncated, or a manifest that does not match' : 'longer than the manifest says';
    throw fileError(group.files.join(', '), `${jsonPath} needs ${group.bytes} bytes of weights here, found ${total} (${hint})`);
  }
  const out = new Uint8Array(group.bytes);
  let at = 0;
  for (const [i, file] of group.files.entries()) {
    // Read again with the size just measured: a file that changed meanwhile is refused.
    const bytes = await readModelFile(file, { ...options, size: sizes[i] as number });
    out.set(bytes, at);
    at += bytes.byteLength;
  }
  return out;
}

function decode(bytes: Uint8Array, e: Entry, name: string, group: Group): Float32Array {
  const count = e.shape.reduce((a, b) => a * b, 1);
  return readFloat32LE(bytes, e.offset, count, (i, v) => {
    const file = group.files.length === 1 ? group.files[0] : group.files.join(' + ');
    return fileError(file as string, `weight '${name}' value ${i} is ${v}`);
  });
}

/** The column spec of a tabular export, checked against the layers, and whether the target's scale is folded into them. */
function readTabular(meta: JsonReader, plan: Plan, where: string): { preprocessing: Preprocessing; folded: boolean } {
  const path = 'userDefinedMetadata.preprocessing';
  let spec: ReturnType<typeof readTabularSpec>;
  try {
    spec = readTabularSpec(meta.at('preprocessing').value, fn, path);
  } catch (error) {
    throw fileError(where, (error as Error).message.replace(/^importTfjs: /, ''));
  }
  const mismatch = metadataMismatch(tabularCounts(spec), plan.inputs, plan.outputs, path);
  if (mismatch !== null) throw fileError(where, mismatch);
  const flag = meta.at('outputsInTargetUnits');
  const folded = flag.boolean(false);
  if (folded && spec.target?.kind !== 'values') throw flag.fail(`false or absent (${path} has no regression target)`);
  return { preprocessing: tabularPreprocessing(spec), folded };
}

// Back from the target's units to the standardised outputs the spec trained on: W/std and (b − mean)/std in the last Dense.
function unfoldTarget(plan: Plan, values: Float32Array[], pre: Preprocessing, where: string): void {
  const target = pre.tabular?.target;
  if (target?.kind !== 'values') return;
  const layer = foldableDense(plan.layers);
  const name = plan.names[layer];
  const at = (weight: string) => plan.weights.findIndex((w) => 'name' in w && w.name === `${name}/${weight}`);
  const [kernel, bias] = [at('kernel'), at('bias')];
  if (layer < 0 || bias < 0)
    throw fileError(
      where,
      `outputsInTargetUnits is true, but the model does not end in a Dense layer with a bias followed only by linear activations or dropout, where the target's scale is folded`,
    );
  values[kernel] = Float32Array.from(values[kernel] as Float32Array, (w) => w / target.std);
  values[bias] = Float32Array.from(values[bias] as Float32Array, (b) => (b - target.mean) / target.std);
}

// What our exporter keeps of the preprocessing (classes, features, target), held to the model as load holds it; mean/std are already folded into the weights.
function readMetadata(meta: JsonReader, plan: Plan, where: string): Preprocessing | null {
  if (meta.isMissing) return null;
  const out: Preprocessing = {};
  if (!meta.at('classes').isMissing) out.classes = meta.at('classes').strings();
  if (!meta.at('features').isMissing) out.features = meta.at('features').strings();
  if (!meta.at('target').isMissing) out.target = meta.at('target').string();
  const counts = { features: out.features?.length, classes: out.classes?.length };
  const mismatch = metadataMismatch(counts, plan.inputs, plan.outputs, 'userDefinedMetadata');
  if (mismatch !== null) throw fileError(where, mismatch);
  return Object.keys(out).length > 0 ? out : null;
}
