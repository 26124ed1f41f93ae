// ONNX export: one ModelProto (IR version 7, default-domain opset 13) encoded
// with protobufjs from our own subset of onnx.proto (onnx-schema.ts). Opset 13
// is the first whose Softmax normalises one axis like Keras and densenode
// (older opsets flatten to 2-D first), and every runtime of the last years
// reads it. Graph: input 'input' [N, inputs] float32 with a symbolic batch
// dimension → (Sub, Div: the standardisation) → per layer Gemm /
// BatchNormalization / Relu / LeakyRelu / Tanh / Sigmoid / Softmax / Identity
// → 'output' [N, outputs].
//
// A model with a column spec (preprocessing.tabular) takes the raw columns
// instead: one input per column the spec reads (onnx-tabular.ts: numeric
// float32, categorical string, date float64 day counts, each [N, 1]), the
// spec's transform as nodes (ONNX-ML LabelEncoder, opset 2, for the
// categories), Concat in feature order, the layers, and for a regression
// Mul/Add back to the target's units; metadata_props add 'preprocessing'
// (the spec) and 'inputs' (each input's name, kind and type).
//
// protobufjs (2 packages, 5 MB installed) is an optional peer: loaded on the first export, and
// named with its install command when missing, so a user who never exports ONNX does not carry it.
import { createRequire } from 'node:module';
import type * as Protobuf from 'protobufjs/light.js';
import type { TabularSpec } from '../data/spec.js';
import { checkPath, describe, invalidArgument } from '../errors.js';
import type { Layer } from '../layers/layer.js';
import type { ModelData } from '../model-types.js';
import { writeFileAtomic } from './atomic.js';
import { exportedMetadata, producer, standardisation } from './common.js';
import { attr, DataType, OnnxGraph } from './onnx-graph.js';
import { onnxSchema } from './onnx-schema.js';
import { type ColumnInput, columnInputs, exportableSpec, ML_DOMAIN, mlOpset, tabularFeatures } from './onnx-tabular.js';

export const onnxOpset = 13;
export const onnxIrVersion = 7;

export interface OnnxExportOptions {
  /** The batch dimension: a name (symbolic, any batch size; default 'N') or a fixed size for runtimes that need static shapes. */
  batch?: string | number;
}

const require = createRequire(import.meta.url);
let modelType: Protobuf.Type | null = null;

function loadProtobuf(): typeof Protobuf {
  try {
    return require('protobufjs/light.js') as typeof Protobuf;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    const range = (require('../../package.json') as { peerDependencies: Record<string, string> }).peerDependencies.protobufjs;
    throw new Error(
      `exportOnnx: the ONNX export needs the 'protobufjs' package, an optional peer of densenode: npm install protobufjs@'${range}'`,
    );
  }
}

/**
 * The ModelProto message type, built once from the schema on first use (tests decode with it).
 * @internal
 */
export function onnxModelType(): Protobuf.Type {
  modelType ??= loadProtobuf().Root.fromJSON(onnxSchema).lookupType('onnx.ModelProto');
  return modelType;
}

/**
 * Writes `model` as an ONNX file (atomically). Standardisation in model.preprocessing becomes Sub/Div nodes,
 * so the file takes raw features; with a column spec it takes the raw columns (see above).
 */
export async function exportOnnx(model: ModelData, file: string, options: OnnxExportOptions = {}): Promise<void> {
  await writeFileAtomic(file, encodeOnnx(model, file, options));
}

interface Built {
  graph: OnnxGraph;
  inputs: { name: string; elemType: number; width: number; doc?: string }[];
  opsets: { domain?: string; version: number }[];
  props: Record<string, unknown>;
}

function encodeOnnx(model: ModelData, file: string, options: OnnxExportOptions): Uint8Array {
  checkPath('exportOnnx', 'file', file);
  const batch = options.batch ?? 'N';
  const batchOk = typeof batch === 'string' ? /^[A-Za-z_][A-Za-z0-9_]*$/.test(batch) : Number.isInteger(batch) && batch >= 1;
  if (!batchOk)
    throw invalidArgument(RangeError, 'exportOnnx', 'batch', 'an identifier or an integer >= 1', JSON.stringify(batch) ?? describe(batch));

  const tabular = model.preprocessing?.tabular;
  const built = tabular === undefined ? plainGraph(model) : tabularGraph(model, tabular);
  const metadata = { ...exportedMetadata(model, 'exportOnnx'), ...built.props };
  const dim = (d: string | number) => (typeof d === 'string' ? { dim_param: d } : { dim_value: d });
  const valueInfo = (name: string, elemType: number, width: number, doc?: string) => ({
    name,
    type: { tensor_type: { elem_type: elemType, shape: { dim: [dim(batch), dim(width)] } } },
    ...(doc !== undefined ? { doc_string: doc } : {}),
  });
  const message = {
    ir_version: onnxIrVersion,
    producer_name: producer.name,
    producer_version: producer.version,
    opset_import: built.opsets,
    graph: {
      name: 'densenode',
      node: built.graph.nodes,
      initializer: built.graph.initializer,
      input: built.inputs.map((i) => valueInfo(i.name, i.elemType, i.width, i.doc)),
      output: [valueInfo('output', DataType.FLOAT, model.outputWidth)],
    },
    metadata_props: Object.entries(metadata).map(([key, value]) => ({ key, value: JSON.stringify(value) })),
  };
  const type = onnxModelType();
  return type.encode(type.fromObject(message)).finish();
}

// No domain: the default ('ai.onnx') operator set.
const defaultOpset = { version: onnxOpset };

function plainGraph(model: ModelData): Built {
  const g = new OnnxGraph('');
  let x = 'input';
  // Sub/Div nodes rather than folding into the first Dense: the float32 arithmetic is then exactly the caller's
  // (x − mean)/std, the layer weights stay as trained, and any first layer works.
  const s = standardisation(model, 'exportOnnx');
  if (s !== null) {
    const mean = g.float('preprocessing.mean', [model.inputs], s.mean);
    g.node('Sub', [x, mean], { output: 'centred', name: 'standardise_sub' });
    x = g.node('Div', ['centred', g.float('preprocessing.std', [model.inputs], s.std)], {
      output: 'standardised',
      name: 'standardise_div',
    });
  }
  addLayers(g, model, x, 'output');
  return { graph: g, inputs: [{ name: 'input', elemType: DataType.FLOAT, width: model.inputs }], opsets: [defaultOpset], props: {} };
}

function tabularGraph(model: ModelData, raw: TabularSpec): Built {
  if (model.preprocessing?.mean !== undefined || model.preprocessing?.std !== undefined)
    throw new Error('exportOnnx: model.preprocessing has both a column spec (tabular) and mean/std; the spec alone is the transform');
  const spec = exportableSpec(raw, model.inputs, 'exportOnnx');
  const inputs = columnInputs(spec);
  const names = new Set(inputs.map((i) => i.name));
  // Internal names go behind a prefix no column name takes (usually none is needed).
  for (let prefix = ''; ; prefix += '_') {
    const g = new OnnxGraph(prefix);
    const features = tabularFeatures(g, spec);
    const target = spec.target;
    if (target?.kind === 'values') {
      // In float64, as model.predict computes out · std + mean before its float32 rounding.
      const scores = g.node('Cast', [addLayers(g, model, features, g.name('scores'))], { attribute: [attr.int('to', DataType.DOUBLE)] });
      const scaled = g.node('Add', [
        g.node('Mul', [scores, g.double('target.std', [], [target.std])]),
        g.double('target.mean', [], [target.mean]),
      ]);
      g.node('Cast', [scaled], { output: 'output', attribute: [attr.int('to', DataType.FLOAT)] });
    } else addLayers(g, model, features, 'output');
    if (g.definedNames().some((n) => n !== 'output' && names.has(n))) continue;
    const usesMl = inputs.some((i) => i.kind === 'categorical');
    return {
      graph: g,
      inputs: inputs.map((i) => ({ name: i.name, elemType: i.elemType, width: 1, doc: i.doc })),
      opsets: [defaultOpset, ...(usesMl ? [{ domain: ML_DOMAIN, version: mlOpset }] : [])],
      props: { preprocessing: spec, inputs: inputs.map(({ name, kind, dtype, doc }: ColumnInput) => ({ name, kind, dtype, doc })) },
    };
  }
}

/** The layers from tensor `x`; the last writes `out`, which is returned. */
function addLayers(g: OnnxGraph, model: ModelData, x: string, out: string): string {
  model.layers.forEach((layer, i) => {
    x = layerNode(g, layer, i, x, i === model.layers.length - 1 ? out : g.name(`layer${i}`));
  });
  return x;
}

function layerNode(g: OnnxGraph, layer: Layer, i: number, x: string, out: string): string {
  const spec = layer.spec;
  const node = (op: string, input: string[], attribute?: ReturnType<typeof attr.float>[]) =>
    g.node(op, input, { output: out, name: `${op.toLowerCase()}_${i}`, ...(attribute ? { attribute } : {}) });
  const input = layer.weights().map((w) => g.float(`layer${i}.${w.name}`, w.shape, w.values));
  switch (spec.type) {
    case 'dense':
      // Gemm: Y = X·B + C with B the [in, out] kernel as stored; C (the bias) is optional since opset 11.
      return node('Gemm', [x, ...input]);
    case 'batchNorm':
      // Inference form: inputs X, scale (γ), B (β), mean, var — our getWeights() order.
      return node('BatchNormalization', [x, ...input], [attr.float('epsilon', spec.epsilon ?? 1e-3)]);
    case 'dropout':
      return node('Identity', [x]);
    case 'activation':
      switch (spec.activation) {
        case 'linear':
          return node('Identity', [x]);
        case 'leakyRelu':
          return node('LeakyRelu', [x], [attr.float('alpha', spec.alpha ?? 0.01)]);
        case 'softmax':
          return node('Softmax', [x], [attr.int('axis', -1)]);
        default:
          return node({ relu: 'Relu', tanh: 'Tanh', sigmoid: 'Sigmoid' }[spec.activation], [x]);
      }
  }
}
