// Transpose: the gradient is transposed by the inverse permutation.
import type { Graph, TapeEntry, Value } from '../builder';
import * as R from '../raw';

export const TRANSPOSE = 'Transpose';

export function transpose(g: Graph, x: Value, perm: readonly number[]): Value {
  const y = R.transpose(g, x, perm);
  g.record(TRANSPOSE, [x], [y], { perm });
  return y;
}

export function transposeGrad(g: Graph, e: TapeEntry, [dy]: readonly (Value | null)[]): (Value | null)[] {
  return [R.transpose(g, dy!, R.invertPerm(e.attrs.perm as number[]))];
}
