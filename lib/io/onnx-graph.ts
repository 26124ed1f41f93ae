// A graph under construction for the ONNX exporter: nodes and initializers as
// the plain objects protobufjs encodes (field names of onnx-schema.ts), with
// every internal tensor name behind one prefix, so the exporter can move them
// all out of the way of graph inputs named after a table's columns.
import { float32LE } from './common.js';

/** TensorProto.DataType values the exporter uses. */
export const DataType = { FLOAT: 1, INT64: 7, STRING: 8, BOOL: 9, DOUBLE: 11 } as const;

const ATTRIBUTE = { FLOAT: 1, INT: 2, INTS: 7, STRINGS: 8 } as const;

export interface AttributeSpec {
  name: string;
  type: number;
  f?: number;
  i?: number;
  ints?: number[];
  strings?: Uint8Array[];
}

export interface NodeSpec {
  op_type: string;
  name: string;
  input: string[];
  output: string[];
  attribute?: AttributeSpec[];
  domain?: string;
}

export interface TensorSpec {
  name: string;
  dims: number[];
  data_type: number;
  raw_data: Uint8Array;
}

export const attr = {
  float: (name: string, f: number): AttributeSpec => ({ name, type: ATTRIBUTE.FLOAT, f }),
  int: (name: string, i: number): AttributeSpec => ({ name, type: ATTRIBUTE.INT, i }),
  ints: (name: string, ints: number[]): AttributeSpec => ({ name, type: ATTRIBUTE.INTS, ints }),
  strings: (name: string, values: string[]): AttributeSpec => ({
    name,
    type: ATTRIBUTE.STRINGS,
    strings: values.map((s) => new TextEncoder().encode(s)),
  }),
};

export interface NodeOptions {
  /** The output's full name (default: the prefix and a fresh stem). */
  output?: string;
  attribute?: AttributeSpec[];
  domain?: string;
  /** The node's name (default: its operator and index). */
  name?: string;
}

export class OnnxGraph {
  readonly nodes: NodeSpec[] = [];
  readonly initializer: TensorSpec[] = [];
  private fresh = 0;

  constructor(readonly prefix: string) {}

  /** An internal tensor name. */
  name(stem: string): string {
    return `${this.prefix}${stem}`;
  }

  /** Appends a node and returns its output's name. */
  node(op: string, input: string[], options: NodeOptions = {}): string {
    const output = options.output ?? this.name(`t${this.fresh++}`);
    this.nodes.push({
      op_type: op,
      name: options.name ?? `${op.toLowerCase()}_${this.nodes.length}`,
      input,
      output: [output],
      ...(options.attribute ? { attribute: options.attribute } : {}),
      ...(options.domain ? { domain: options.domain } : {}),
    });
    return output;
  }

  float(stem: string, dims: number[], values: ArrayLike<number>): string {
    return this.tensor(stem, dims, DataType.FLOAT, float32LE(values));
  }

  double(stem: string, dims: number[], values: ArrayLike<number>): string {
    const bytes = new Uint8Array(8 * values.length);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat64(8 * i, values[i] as number, true);
    return this.tensor(stem, dims, DataType.DOUBLE, bytes);
  }

  int64(stem: string, dims: number[], values: ArrayLike<number>): string {
    const bytes = new Uint8Array(8 * values.length);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < values.length; i++) view.setBigInt64(8 * i, BigInt(values[i] as number), true);
    return this.tensor(stem, dims, DataType.INT64, bytes);
  }

  /** Every tensor name the graph defines (node outputs and initializers). */
  definedNames(): string[] {
    return [...this.initializer.map((t) => t.name), ...this.nodes.flatMap((n) => n.output)];
  }

  private tensor(stem: string, dims: number[], data_type: number, raw_data: Uint8Array): string {
    const name = this.name(stem);
    this.initializer.push({ name, dims, data_type, raw_data });
    return name;
  }
}
