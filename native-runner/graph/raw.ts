// Raw (untaped) ONNX ops with static shape inference. Forward builders in ops/* and every backward
// builder compose these; nothing here records to the autodiff tape.
import { attr, fmtShape, MS_DOMAIN, numel, sameShape, type DType, type Graph, type Shape, type Value } from './builder';

/** NumPy broadcasting of two static shapes. */
export function broadcastShape(a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`cannot broadcast ${fmtShape(a)} with ${fmtShape(b)}`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

function binary(op: string, g: Graph, a: Value, b: Value, dtype: DType = a.dtype): Value {
  return g.node(op, [a, b], [{ dtype, shape: broadcastShape(a.shape, b.shape) }])[0];
}

function unary(op: string, g: Graph, x: Value, attrs = {}): Value {
  return g.node(op, [x], [{ dtype: x.dtype, shape: x.shape }], attrs)[0];
}

export const add = (g: Graph, a: Value, b: Value) => binary('Add', g, a, b);
export const sub = (g: Graph, a: Value, b: Value) => binary('Sub', g, a, b);
export const mul = (g: Graph, a: Value, b: Value) => binary('Mul', g, a, b);
export const div = (g: Graph, a: Value, b: Value) => binary('Div', g, a, b);
export const max = (g: Graph, a: Value, b: Value) => binary('Max', g, a, b);
export const min = (g: Graph, a: Value, b: Value) => binary('Min', g, a, b);
export const equal = (g: Graph, a: Value, b: Value) => binary('Equal', g, a, b, 'bool');
export const less = (g: Graph, a: Value, b: Value) => binary('Less', g, a, b, 'bool');
export const neg = (g: Graph, x: Value) => unary('Neg', g, x);
export const sqrt = (g: Graph, x: Value) => unary('Sqrt', g, x);
export const exp = (g: Graph, x: Value) => unary('Exp', g, x);
export const reciprocal = (g: Graph, x: Value) => unary('Reciprocal', g, x);
export const erf = (g: Graph, x: Value) => unary('Erf', g, x);
export const identity = (g: Graph, x: Value) => unary('Identity', g, x);
export const scale = (g: Graph, x: Value, s: number) => mul(g, x, g.scalar(s));

/** Elementwise sum of same-shaped values (one variadic Sum node). */
export function sum(g: Graph, xs: readonly Value[]): Value {
  if (xs.length === 1) return xs[0];
  return g.node('Sum', xs, [{ dtype: xs[0].dtype, shape: xs[0].shape }])[0];
}

export function cast(g: Graph, x: Value, to: DType): Value {
  const code = { float32: 1, int32: 6, int64: 7, bool: 9, float64: 11 }[to];
  return g.node('Cast', [x], [{ dtype: to, shape: x.shape }], { to: attr.i(code) })[0];
}

export function where(g: Graph, cond: Value, a: Value, b: Value): Value {
  const shape = broadcastShape(cond.shape, broadcastShape(a.shape, b.shape));
  return g.node('Where', [cond, a, b], [{ dtype: a.dtype, shape }])[0];
}

export function reshape(g: Graph, x: Value, shape: Shape): Value {
  if (numel(shape) !== numel(x.shape)) throw new Error(`reshape ${fmtShape(x.shape)} -> ${fmtShape(shape)}`);
  if (sameShape(shape, x.shape)) return x;
  return g.node('Reshape', [x, g.ints(shape)], [{ dtype: x.dtype, shape }])[0];
}

export function transpose(g: Graph, x: Value, perm: readonly number[]): Value {
  return g.node('Transpose', [x], [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]) }], { perm: attr.ints(perm) })[0];
}

export function invertPerm(perm: readonly number[]): number[] {
  const inv: number[] = [];
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

function normAxes(axes: readonly number[], rank: number): number[] {
  return axes.map((a) => (a < 0 ? a + rank : a)).sort((x, y) => x - y);
}

function reducedShape(shape: Shape, axes: readonly number[], keepdims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

/** ReduceSum/ReduceMean/... (opset 18: axes is an input for all reductions). */
export function reduce(op: 'ReduceSum' | 'ReduceMean' | 'ReduceMax' | 'ReduceSumSquare', g: Graph, x: Value, axes: readonly number[], keepdims: boolean): Value {
  const ax = normAxes(axes, x.shape.length);
  return g.node(op, [x, g.ints(ax)], [{ dtype: x.dtype, shape: reducedShape(x.shape, ax, keepdims) }], { keepdims: attr.i(keepdims ? 1 : 0) })[0];
}

export const reduceSum = (g: Graph, x: Value, axes: readonly number[], keepdims = true) => reduce('ReduceSum', g, x, axes, keepdims);
export const reduceMean = (g: Graph, x: Value, axes: readonly number[], keepdims = true) => reduce('ReduceMean', g, x, axes, keepdims);

export function concat(g: Graph, xs: readonly Value[], axis: number): Value {
  const ax = axis < 0 ? axis + xs[0].shape.length : axis;
  const shape = [...xs[0].shape];
  shape[ax] = xs.reduce((s, v) => s + v.shape[ax], 0);
  return g.node('Concat', xs, [{ dtype: xs[0].dtype, shape }], { axis: attr.i(ax) })[0];
}

export function split(g: Graph, x: Value, axis: number, sizes: readonly number[]): Value[] {
  const ax = axis < 0 ? axis + x.shape.length : axis;
  const outs = sizes.map((s) => {
    const shape = [...x.shape];
    shape[ax] = s;
    return { dtype: x.dtype, shape };
  });
  return g.node('Split', [x, g.ints(sizes)], outs, { axis: attr.i(ax) });
}

/** 2-D Gemm: op(a) · op(b) with transA/transB, optional alpha. Double kernels exist on CPU. */
export function gemm(g: Graph, a: Value, b: Value, transA = false, transB = false, alpha = 1, c?: Value): Value {
  const [m, k] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [k2, n] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (a.shape.length !== 2 || b.shape.length !== 2 || k !== k2) throw new Error(`gemm ${fmtShape(a.shape)}${transA ? 'ᵀ' : ''} x ${fmtShape(b.shape)}${transB ? 'ᵀ' : ''}`);
  const attrs: Record<string, ReturnType<typeof attr.i>> = {};
  if (transA) attrs.transA = attr.i(1);
  if (transB) attrs.transB = attr.i(1);
  if (alpha !== 1) attrs.alpha = attr.f(alpha);
  return g.node('Gemm', c ? [a, b, c] : [a, b], [{ dtype: a.dtype, shape: [m, n] }], attrs)[0];
}

/** Batched matmul over the last two axes with optional transposes. float32 uses com.microsoft
 *  FusedMatMul (no transpose copies); float64 has no FusedMatMul kernel, so it transposes first. */
export function matmul(g: Graph, a: Value, b: Value, transA = false, transB = false): Value {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const [m, k] = transA ? [a.shape[ra - 1], a.shape[ra - 2]] : [a.shape[ra - 2], a.shape[ra - 1]];
  const [k2, n] = transB ? [b.shape[rb - 1], b.shape[rb - 2]] : [b.shape[rb - 2], b.shape[rb - 1]];
  if (k !== k2) throw new Error(`matmul ${fmtShape(a.shape)}${transA ? 'ᵀ' : ''} x ${fmtShape(b.shape)}${transB ? 'ᵀ' : ''}`);
  const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const shape = [...batch, m, n];
  if (!transA && !transB) return g.node('MatMul', [a, b], [{ dtype: a.dtype, shape }])[0];
  if (!g.isF64) {
    return g.node('FusedMatMul', [a, b], [{ dtype: a.dtype, shape }],
      { alpha: attr.f(1), transA: attr.i(transA ? 1 : 0), transB: attr.i(transB ? 1 : 0) }, MS_DOMAIN)[0];
  }
  const swapLast = (r: number) => [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2];
  const aa = transA ? transpose(g, a, swapLast(ra)) : a;
  const bb = transB ? transpose(g, b, swapLast(rb)) : b;
  return g.node('MatMul', [aa, bb], [{ dtype: a.dtype, shape }])[0];
}

/** Reverse one axis (Slice with step -1): one copy pass. */
export function reverseAxis(g: Graph, x: Value, axis: number): Value {
  const ax = axis < 0 ? axis + x.shape.length : axis;
  return g.node('Slice', [x, g.ints([-1]), g.ints([-(2 ** 62)]), g.ints([ax]), g.ints([-1])], [{ dtype: x.dtype, shape: x.shape }])[0];
}

export function unsqueeze(g: Graph, x: Value, axes: readonly number[]): Value {
  const rank = x.shape.length + axes.length;
  const ax = normAxes(axes, rank);
  const shape: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) shape.push(ax.includes(i) ? 1 : x.shape[j++]);
  return reshape(g, x, shape);
}

/** zeros of a given float shape (ConstantOfShape; cheap, no initializer payload). */
export function zeros(g: Graph, shape: Shape, dtype: DType = g.float): Value {
  const value = dtype === 'float64' ? new Float64Array(1) : dtype === 'int64' ? new BigInt64Array(1) : new Float32Array(1);
  return g.node('ConstantOfShape', [g.ints(shape)], [{ dtype, shape }],
    { value: { kind: 'tensor', value: { name: 'value', dtype, dims: [1], data: value } } })[0];
}
