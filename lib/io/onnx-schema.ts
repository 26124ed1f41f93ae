// The part of ONNX's onnx.proto (package onnx, proto2) that the exporter
// writes, as protobufjs JSON for Root.fromJSON: message and field names, types
// and field numbers are the official ones (wire-compatible with every ONNX
// reader); messages and fields the exporter never writes are left out, which
// protobuf allows. A TS module rather than a .json file so tsc puts it in dist/.
import type { INamespace } from 'protobufjs';

const field = (id: number, type: string, rule?: 'repeated') => (rule ? { id, type, rule } : { id, type });

/** @internal */
export const onnxSchema: INamespace = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: field(1, 'string'),
            f: field(2, 'float'),
            i: field(3, 'int64'),
            s: field(4, 'bytes'),
            floats: field(7, 'float', 'repeated'),
            ints: field(8, 'int64', 'repeated'),
            strings: field(9, 'bytes', 'repeated'),
            type: field(20, 'AttributeType'),
          },
          nested: {
            AttributeType: {
              values: { UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 },
            },
          },
        },
        ValueInfoProto: {
          fields: { name: field(1, 'string'), type: field(2, 'TypeProto'), doc_string: field(3, 'string') },
        },
        NodeProto: {
          fields: {
            input: field(1, 'string', 'repeated'),
            output: field(2, 'string', 'repeated'),
            name: field(3, 'string'),
            op_type: field(4, 'string'),
            attribute: field(5, 'AttributeProto', 'repeated'),
            doc_string: field(6, 'string'),
            domain: field(7, 'string'),
          },
        },
        StringStringEntryProto: {
          fields: { key: field(1, 'string'), value: field(2, 'string') },
        },
        ModelProto: {
          fields: {
            ir_version: field(1, 'int64'),
            producer_name: field(2, 'string'),
            producer_version: field(3, 'string'),
            domain: field(4, 'string'),
            model_version: field(5, 'int64'),
            doc_string: field(6, 'string'),
            graph: field(7, 'GraphProto'),
            opset_import: field(8, 'OperatorSetIdProto', 'repeated'),
            metadata_props: field(14, 'StringStringEntryProto', 'repeated'),
          },
        },
        GraphProto: {
          fields: {
            node: field(1, 'NodeProto', 'repeated'),
            name: field(2, 'string'),
            initializer: field(5, 'TensorProto', 'repeated'),
            doc_string: field(10, 'string'),
            input: field(11, 'ValueInfoProto', 'repeated'),
            output: field(12, 'ValueInfoProto', 'repeated'),
          },
        },
        TensorProto: {
          fields: {
            dims: field(1, 'int64', 'repeated'),
            data_type: field(2, 'int32'),
            float_data: { id: 4, type: 'float', rule: 'repeated', options: { packed: true } },
            name: field(8, 'string'),
            raw_data: field(9, 'bytes'),
            doc_string: field(12, 'string'),
          },
          nested: {
            DataType: { values: { UNDEFINED: 0, FLOAT: 1, INT64: 7, STRING: 8, BOOL: 9, DOUBLE: 11 } },
          },
        },
        TensorShapeProto: {
          fields: { dim: field(1, 'Dimension', 'repeated') },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dim_value', 'dim_param'] } },
              fields: { dim_value: field(1, 'int64'), dim_param: field(2, 'string'), denotation: field(3, 'string') },
            },
          },
        },
        TypeProto: {
          oneofs: { value: { oneof: ['tensor_type'] } },
          fields: { tensor_type: field(1, 'Tensor'), denotation: field(6, 'string') },
          nested: {
            Tensor: { fields: { elem_type: field(1, 'int32'), shape: field(2, 'TensorShapeProto') } },
          },
        },
        OperatorSetIdProto: {
          fields: { domain: field(1, 'string'), version: field(2, 'int64') },
        },
      },
    },
  },
};
