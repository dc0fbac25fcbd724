// Split along one axis: the gradient concatenates the pieces' gradients (zeros for unused pieces).
import type { Graph, TapeEntry, Value } from '../builder';
import * as R from '../raw';

export const SPLIT = 'Split';

export function split(g: Graph, x: Value, axis: number, sizes: readonly number[]): Value[] {
  const ys = R.split(g, x, axis, sizes);
  g.record(SPLIT, [x], ys, { axis });
  return ys;
}

export function splitGrad(g: Graph, e: TapeEntry, dys: readonly (Value | null)[]): (Value | null)[] {
  const parts = dys.map((d, i) => d ?? R.zeros(g, e.outputs[i].shape));
  return [R.concat(g, parts, e.attrs.axis as number)];
}
