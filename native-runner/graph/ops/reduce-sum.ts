// ReduceSum over some axes: the gradient is the output gradient broadcast back (Expand).
import type { Graph, TapeEntry, Value } from '../builder';
import * as R from '../raw';

export const REDUCE_SUM = 'ReduceSum';

export function reduceSum(g: Graph, x: Value, axes: readonly number[], keepdims = false): Value {
  const y = R.reduceSum(g, x, axes, keepdims);
  g.record(REDUCE_SUM, [x], [y], { axes });
  return y;
}

export function reduceSumGrad(g: Graph, e: TapeEntry, [dy]: readonly (Value | null)[]): (Value | null)[] {
  const x = e.inputs[0];
  const rank = x.shape.length;
  const axes = (e.attrs.axes as number[]).map((a) => (a < 0 ? a + rank : a));
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));                // keepdims shape
  const d = R.reshape(g, dy!, kept);
  return [g.node('Expand', [d, g.ints(x.shape)], [{ dtype: x.dtype, shape: x.shape }])[0]];
}
