// Softmax over the last axis: dx = y * (dy - Σ_j dy_j y_j).
import { attr, type Graph, type TapeEntry, type Value } from '../builder';
import * as R from '../raw';

export const SOFTMAX = 'Softmax';

export function softmax(g: Graph, x: Value): Value {
  const y = g.node('Softmax', [x], [{ dtype: x.dtype, shape: x.shape }], { axis: attr.i(-1) })[0];
  g.record(SOFTMAX, [x], [y]);
  return y;
}

export function softmaxGrad(g: Graph, e: TapeEntry, [dy]: readonly (Value | null)[]): (Value | null)[] {
  const y = e.outputs[0];
  const dot = R.reduceSum(g, R.mul(g, dy!, y), [-1], true);                    // [..., 1]
  return [R.mul(g, y, R.sub(g, dy!, dot))];
}
