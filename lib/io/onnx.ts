// ONNX export: one ModelProto (IR version 7, default-domain opset 13) encoded
// with protobufjs from our own subset of onnx.proto (onnx-schema.ts). Opset 13
// is the first whose Softmax normalises one axis like Keras and densenode
// (older opsets flatten to 2-D first), and every runtime of the last years
// reads it. Graph: input 'input' [N, inputs] float32 with a symbolic batch
// dimension → (Sub, Div: the standardisation) → per layer Gemm /
// BatchNormalization / Relu / LeakyRelu / Tanh / Sigmoid / Softmax / Identity
// → 'output' [N, outputs].
import protobuf from 'protobufjs/light.js';
import type { Layer } from '../layers/layer.js';
import { Model } from '../model.js';
import { writeFileAtomic } from './atomic.js';
import { exportedMetadata, float32LE, producer, standardisation } from './common.js';
import { onnxSchema } from './onnx-schema.js';

export const onnxOpset = 13;
export const onnxIrVersion = 7;

export interface OnnxExportOptions {
  /** The batch dimension: a name (symbolic, any batch size; default 'N') or a fixed size for runtimes that need static shapes. */
  batch?: string | number;
}

const FLOAT = 1;
const ATTRIBUTE = { FLOAT: 1, INT: 2 } as const;

interface NodeSpec {
  op_type: string;
  name: string;
  input: string[];
  output: string[];
  attribute?: { name: string; type: number; f?: number; i?: number }[];
}

interface TensorSpec {
  name: string;
  dims: number[];
  data_type: number;
  raw_data: Uint8Array;
}

let modelType: protobuf.Type | null = null;

/** The ModelProto message type, built once from the schema on first use. */
export function onnxModelType(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(onnxSchema).lookupType('onnx.ModelProto');
  return modelType;
}

/** Writes `model` as an ONNX file (atomically). Standardisation in model.preprocessing becomes Sub/Div nodes, so the file takes raw features. */
export async function exportOnnx(model: Model, file: string, options: OnnxExportOptions = {}): Promise<void> {
  await writeFileAtomic(file, encodeOnnx(model, file, options));
}

function encodeOnnx(model: Model, file: string, options: OnnxExportOptions): Uint8Array {
  if (!(model instanceof Model)) throw new TypeError('exportOnnx: expected a densenode Model for model');
  if (typeof file !== 'string' || file === '') throw new TypeError(`exportOnnx: expected a file path for file, received ${String(file)}`);
  const batch = options.batch ?? 'N';
  const batchOk = typeof batch === 'string' ? /^[A-Za-z_][A-Za-z0-9_]*$/.test(batch) : Number.isInteger(batch) && batch >= 1;
  if (!batchOk) throw new RangeError(`exportOnnx: expected an identifier or an integer >= 1 for batch, received ${JSON.stringify(batch)}`);

  const nodes: NodeSpec[] = [];
  const initializer: TensorSpec[] = [];
  const tensor = (name: string, dims: number[], values: ArrayLike<number>): string => {
    initializer.push({ name, dims, data_type: FLOAT, raw_data: float32LE(values) });
    return name;
  };
  let x = 'input';
  // Sub/Div nodes rather than folding into the first Dense: the float32 arithmetic is then exactly the caller's
  // (x − mean)/std, the layer weights stay as trained, and any first layer works.
  const s = standardisation(model, 'exportOnnx');
  if (s !== null) {
    nodes.push({
      op_type: 'Sub',
      name: 'standardise_sub',
      input: [x, tensor('preprocessing.mean', [model.inputs], s.mean)],
      output: ['centred'],
    });
    nodes.push({
      op_type: 'Div',
      name: 'standardise_div',
      input: ['centred', tensor('preprocessing.std', [model.inputs], s.std)],
      output: ['standardised'],
    });
    x = 'standardised';
  }
  model.layers.forEach((layer, i) => {
    const out = i === model.layers.length - 1 ? 'output' : `layer${i}`;
    nodes.push(layerNode(layer, i, x, out, tensor));
    x = out;
  });

  const metadata = exportedMetadata(model, 'exportOnnx');
  const dim = (d: string | number) => (typeof d === 'string' ? { dim_param: d } : { dim_value: d });
  const valueInfo = (name: string, width: number) => ({
    name,
    type: { tensor_type: { elem_type: FLOAT, shape: { dim: [dim(batch), dim(width)] } } },
  });
  const message = {
    ir_version: onnxIrVersion,
    producer_name: producer.name,
    producer_version: producer.version,
    opset_import: [{ version: onnxOpset }], // no domain: the default ('ai.onnx') operator set
    graph: {
      name: 'densenode',
      node: nodes,
      initializer,
      input: [valueInfo('input', model.inputs)],
      output: [valueInfo('output', model.outputWidth)],
    },
    metadata_props: Object.entries(metadata).map(([key, value]) => ({ key, value: JSON.stringify(value) })),
  };
  const type = onnxModelType();
  return type.encode(type.fromObject(message)).finish();
}

function layerNode(
  layer: Layer,
  i: number,
  x: string,
  out: string,
  tensor: (name: string, dims: number[], values: ArrayLike<number>) => string,
): NodeSpec {
  const spec = layer.spec;
  const node = (op_type: string, input: string[], attribute?: NodeSpec['attribute']): NodeSpec => ({
    op_type,
    name: `${op_type.toLowerCase()}_${i}`,
    input,
    output: [out],
    ...(attribute ? { attribute } : {}),
  });
  const weights = layer.weights();
  const input = weights.map((w) => tensor(`layer${i}.${w.name}`, w.shape, w.values));
  switch (spec.type) {
    case 'dense':
      // Gemm: Y = X·B + C with B the [in, out] kernel as stored; C (the bias) is optional since opset 11.
      return node('Gemm', [x, ...input]);
    case 'batchNorm':
      // Inference form: inputs X, scale (γ), B (β), mean, var — our getWeights() order.
      return node('BatchNormalization', [x, ...input], [{ name: 'epsilon', type: ATTRIBUTE.FLOAT, f: spec.epsilon ?? 1e-3 }]);
    case 'dropout':
      return node('Identity', [x]);
    case 'activation':
      switch (spec.activation) {
        case 'linear':
          return node('Identity', [x]);
        case 'leakyRelu':
          return node('LeakyRelu', [x], [{ name: 'alpha', type: ATTRIBUTE.FLOAT, f: spec.alpha ?? 0.01 }]);
        case 'softmax':
          return node('Softmax', [x], [{ name: 'axis', type: ATTRIBUTE.INT, i: -1 }]);
        default:
          return node({ relu: 'Relu', tanh: 'Tanh', sigmoid: 'Sigmoid' }[spec.activation], [x]);
      }
  }
}
