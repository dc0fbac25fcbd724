// Graph builder: static-shape ONNX graphs whose values carry dtype and shape, plus the autodiff tape.
// Differentiable ops (graph/ops/*) emit their ONNX nodes through `node()` and record one tape entry
// each; their backward builders (run by autodiff.ts) emit more nodes into the same graph.
import { encodeModel, type AttrValue, type DType, type GraphData, type NodeData, type TensorData, type ValueInfoData } from '../onnx/model-proto';

export type { DType } from '../onnx/model-proto';
export type FloatDType = 'float32' | 'float64';
export type Shape = readonly number[];

/** A tensor in the graph. `requiresGrad` marks values that depend on a differentiated input. */
export interface Value {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: Shape;
  requiresGrad: boolean;
}

/** One recorded differentiable op: enough for its backward builder to emit the gradient. */
export interface TapeEntry {
  readonly op: string;
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
  readonly attrs: Readonly<Record<string, unknown>>;
  readonly saved: Readonly<Record<string, Value>>;   // intermediates the backward reuses
}

/** Attribute constructors (ONNX needs the attribute's type; JS numbers don't say int vs float). */
export const attr = {
  i: (value: number): AttrValue => ({ kind: 'int', value }),
  f: (value: number): AttrValue => ({ kind: 'float', value }),
  s: (value: string): AttrValue => ({ kind: 'string', value }),
  ints: (value: readonly number[]): AttrValue => ({ kind: 'ints', value }),
};

export const MS_DOMAIN = 'com.microsoft';
export const OPSET = 18;

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function fmtShape(s: Shape): string {
  return `[${s.join(', ')}]`;
}

type Data = TensorData['data'];

interface NodeRec {
  opType: string;
  domain: string;
  name: string;
  inputs: (Value | null)[];        // names resolved at serialization, so outputs can be renamed
  outputs: Value[];
  attrs: Record<string, AttrValue>;
}

export class Graph {
  readonly nodes: NodeRec[] = [];
  readonly inputs: ValueInfoData[] = [];
  readonly outputs: ValueInfoData[] = [];
  readonly initializers: TensorData[] = [];
  readonly tape: TapeEntry[] = [];
  private readonly values = new Map<string, Value>();
  private readonly constCache = new Map<string, Value>();
  private readonly producers = new Set<string>();     // values produced by a node (renamable)
  private readonly exposed = new Set<string>();       // values already exposed as graph outputs
  private counter = 0;

  /** `float` is the dtype of every floating tensor: float32 for training, float64 for checks. */
  constructor(readonly float: FloatDType, readonly name = 'graph') {}

  get isF64(): boolean {
    return this.float === 'float64';
  }

  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  private register(v: Value): Value {
    if (this.values.has(v.name)) throw new Error(`graph value "${v.name}" defined twice`);
    this.values.set(v.name, v);
    return v;
  }

  /** A graph input. Differentiable parameters pass requiresGrad = true. */
  input(name: string, dtype: DType, shape: Shape, requiresGrad = false): Value {
    this.inputs.push({ name, dtype, dims: [...shape] });
    return this.register({ name, dtype, shape: [...shape], requiresGrad });
  }

  /** Expose `v` as a graph output named `name`. A node's own output is renamed in place (no copy);
   *  graph inputs, initializers and values already exposed get an Identity node. */
  output(v: Value, name: string = v.name): Value {
    let out = v;
    if (name !== v.name) {
      const renamable = this.producers.has(v.name) && !this.exposed.has(v.name);
      if (renamable && !this.values.has(name)) {
        this.values.delete(v.name);
        this.producers.delete(v.name);
        (v as { name: string }).name = name;
        this.values.set(name, v);
        this.producers.add(name);
      } else {
        out = this.node('Identity', [v], [{ dtype: v.dtype, shape: v.shape }], {}, '', name)[0];
      }
    }
    this.exposed.add(out.name);
    this.outputs.push({ name: out.name, dtype: out.dtype, dims: [...out.shape] });
    return out;
  }

  /** Emit one ONNX node; output names are fresh unless `outName` is given (single-output nodes). */
  node(
    opType: string,
    inputs: readonly (Value | null)[],
    outs: readonly { dtype: DType; shape: Shape }[],
    attrs: Record<string, AttrValue> = {},
    domain = '',
    outName?: string,
  ): Value[] {
    const outputs = outs.map((o, i) => this.register({
      name: outName && outs.length === 1 ? outName : this.fresh(`${opType}${i ? `_o${i}` : ''}`),
      dtype: o.dtype,
      shape: [...o.shape],
      requiresGrad: false,
    }));
    for (const o of outputs) this.producers.add(o.name);
    this.nodes.push({ opType, domain, name: this.fresh(`n_${opType}`), inputs: [...inputs], outputs, attrs });
    return outputs;
  }

  /** A value of the enclosing graph that this graph (a Scan body) reads by name: ONNX subgraphs may
   *  use outer-scope values directly, so frozen parameters need not travel as loop state. */
  outer(name: string, dtype: DType, shape: Shape, requiresGrad = false): Value {
    return this.register({ name, dtype, shape: [...shape], requiresGrad });
  }

  /** An initializer (constant tensor). */
  constant(data: Data, shape: Shape, dtype: DType, name = this.fresh('const')): Value {
    if (data.length !== numel(shape)) throw new Error(`constant ${name}: ${data.length} values for shape ${fmtShape(shape)}`);
    this.initializers.push({ name, dtype, dims: [...shape], data });
    return this.register({ name, dtype, shape: [...shape], requiresGrad: false });
  }

  /** A floating constant in the graph's float dtype. */
  floatConst(values: ArrayLike<number>, shape: Shape, name?: string): Value {
    const data = this.isF64 ? Float64Array.from(values) : Float32Array.from(values);
    return this.constant(data, shape, this.float, name);
  }

  /** A cached scalar ([] shape) of the graph's float dtype. */
  scalar(x: number): Value {
    const key = `f:${x}`;
    let v = this.constCache.get(key);
    if (!v) {
      v = this.floatConst([x], []);
      this.constCache.set(key, v);
    }
    return v;
  }

  /** A cached int64 1-D constant (shapes, axes, split sizes). */
  ints(values: readonly number[]): Value {
    const key = `i:${values.join(',')}`;
    let v = this.constCache.get(key);
    if (!v) {
      v = this.constant(BigInt64Array.from(values.map((x) => BigInt(x))), [values.length], 'int64');
      this.constCache.set(key, v);
    }
    return v;
  }

  /** Record a differentiable op. Outputs require grad when any input does; only those are taped. */
  record(op: string, inputs: readonly Value[], outputs: readonly Value[], attrs: Record<string, unknown> = {}, saved: Record<string, Value> = {}): void {
    const needs = inputs.some((v) => v.requiresGrad);
    for (const o of outputs) o.requiresGrad = needs;
    if (needs) this.tape.push({ op, inputs, outputs, attrs, saved });
  }

  /** Nodes with value names resolved (for serialization and structure tests). */
  nodeData(): NodeData[] {
    return this.nodes.map((n) => ({
      opType: n.opType,
      domain: n.domain,
      name: n.name,
      inputs: n.inputs.map((v) => (v ? v.name : '')),
      outputs: n.outputs.map((v) => v.name),
      attrs: n.attrs,
    }));
  }

  /** The graph as data (also how a Scan body travels, as a graph attribute). */
  graphData(): GraphData {
    return { name: this.name, nodes: this.nodeData(), inputs: this.inputs, outputs: this.outputs, initializers: this.initializers };
  }

  /** Serialize (opset 18 + com.microsoft 1). */
  toModel(): Uint8Array {
    return encodeModel({
      graph: this.graphData(),
      opsets: [{ domain: '', version: OPSET }, { domain: MS_DOMAIN, version: 1 }],
    });
  }
}
