// Reshape: the gradient is the output gradient reshaped back.
import type { Graph, Shape, TapeEntry, Value } from '../builder';
import * as R from '../raw';

export const RESHAPE = 'Reshape';

export function reshape(g: Graph, x: Value, shape: Shape): Value {
  const y = R.reshape(g, x, shape);
  if (y === x) return x;
  g.record(RESHAPE, [x], [y]);
  return y;
}

export function reshapeGrad(g: Graph, e: TapeEntry, [dy]: readonly (Value | null)[]): (Value | null)[] {
  return [R.reshape(g, dy!, e.inputs[0].shape)];
}
