// ONNX ModelProto encoder (field numbers from onnx/onnx.proto3). Only the messages a generated
// training graph needs: ModelProto, GraphProto (also as a Scan body attribute), NodeProto,
// AttributeProto, TensorProto (raw_data), ValueInfoProto (static dims, or named ones for a Scan's K),
// and opset imports (default domain + com.microsoft).
import { ProtoWriter } from './protobuf';

/** TensorProto.DataType values. */
export const ONNX_DTYPE = { float32: 1, int32: 6, int64: 7, bool: 9, float64: 11 } as const;
export type DType = keyof typeof ONNX_DTYPE;

export type TypedArrayOf<D extends DType> = D extends 'float32' ? Float32Array
  : D extends 'float64' ? Float64Array
  : D extends 'int64' ? BigInt64Array
  : D extends 'int32' ? Int32Array
  : Uint8Array;

export interface TensorData {
  name: string;
  dtype: DType;
  dims: readonly number[];
  data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;
}

export type AttrValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'tensor'; value: TensorData }
  | { kind: 'graph'; value: GraphData };      // a subgraph (Scan / Loop / If body)

export interface NodeData {
  opType: string;
  domain?: string;               // '' = ai.onnx, 'com.microsoft' for contrib ops
  name: string;
  inputs: readonly string[];     // '' = omitted optional input
  outputs: readonly string[];
  attrs: Record<string, AttrValue>;
}

/** A dimension is a number, or a name (dim_param) for a size fixed only at run time (a Scan's K). */
export interface ValueInfoData { name: string; dtype: DType; dims: readonly (number | string)[] }

export interface GraphData {
  name: string;
  nodes: readonly NodeData[];
  inputs: readonly ValueInfoData[];
  outputs: readonly ValueInfoData[];
  initializers: readonly TensorData[];
}

export interface ModelData {
  graph: GraphData;
  opsets: readonly { domain: string; version: number }[];
  irVersion?: number;            // 8 pairs with opset 17/18
  producer?: string;
}

const ATTR_TYPE = { float: 1, int: 2, string: 3, tensor: 4, graph: 5, floats: 6, ints: 7 } as const;

function writeTensor(w: ProtoWriter, t: TensorData): void {
  w.packedInts(1, t.dims);                 // dims
  w.int(2, ONNX_DTYPE[t.dtype]);           // data_type
  w.string(8, t.name);                     // name
  const d = t.data;
  w.bytes(9, new Uint8Array(d.buffer, d.byteOffset, d.byteLength)); // raw_data, little-endian host order
}

function writeAttr(w: ProtoWriter, name: string, a: AttrValue): void {
  w.string(1, name);
  switch (a.kind) {
    case 'float': w.float(2, a.value); break;
    case 'int': w.int(3, a.value); break;
    case 'string': w.string(4, a.value); break;
    case 'tensor': w.message(5, (m) => writeTensor(m, a.value)); break;
    case 'graph': w.message(6, (m) => writeGraph(m, a.value)); break;
    case 'floats': w.packedFloats(7, a.value); break;
    case 'ints': w.packedInts(8, a.value); break;
  }
  w.int(20, ATTR_TYPE[a.kind]);
}

function writeNode(w: ProtoWriter, n: NodeData): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.opType);
  for (const [k, a] of Object.entries(n.attrs)) w.message(5, (m) => writeAttr(m, k, a));
  if (n.domain) w.string(7, n.domain);
}

function writeValueInfo(w: ProtoWriter, v: ValueInfoData): void {
  w.string(1, v.name);
  w.message(2, (type) =>               // TypeProto
    type.message(1, (tt) => {          // TypeProto.Tensor
      tt.int(1, ONNX_DTYPE[v.dtype]);  // elem_type
      tt.message(2, (shape) => {       // TensorShapeProto
        for (const d of v.dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d))); // dim_value | dim_param
      });
    }));
}

function writeGraph(w: ProtoWriter, g: GraphData): void {
  for (const n of g.nodes) w.message(1, (m) => writeNode(m, n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, (m) => writeTensor(m, t));
  for (const v of g.inputs) w.message(11, (m) => writeValueInfo(m, v));
  for (const v of g.outputs) w.message(12, (m) => writeValueInfo(m, v));
}

/** Serialize a model to the bytes `InferenceSession.create(bytes)` accepts. */
export function encodeModel(model: ModelData): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, model.irVersion ?? 8);                         // ir_version
  w.string(2, model.producer ?? 'encoder-workbench');     // producer_name
  w.message(7, (m) => writeGraph(m, model.graph));        // graph
  for (const o of model.opsets) {
    w.message(8, (m) => {                                 // opset_import
      if (o.domain) m.string(1, o.domain);
      m.int(2, o.version);
    });
  }
  return w.finish();
}
