// Rotary position embedding, GPT-NeoX "rotate half" form (HF apply_rotary_pos_emb):
//   y = x cos + rotate_half(x) sin,  rotate_half([x1, x2]) = [-x2, x1]
// With sin = [s, s] this is y = x cos + swap(x) ŝ, swap([x1, x2]) = [x2, x1], ŝ = [-s, s].
// swap is a symmetric permutation, so dx = dy cos + swap(dy ŝ).
// cos/ŝ are constants [T, hd] broadcast over the leading axes of x [..., T, hd].
import type { Graph, TapeEntry, Value } from '../builder';
import * as R from '../raw';

export const ROPE = 'Rope';

/** [x1, x2] -> [x2, x1] along the last axis: view as [..., 2, hd/2] and reverse the size-2 axis
 *  (one Slice pass instead of Split + Concat). */
function swapHalves(g: Graph, x: Value): Value {
  const hd = x.shape[x.shape.length - 1];
  const pairs = R.reshape(g, x, [...x.shape.slice(0, -1), 2, hd / 2]);    // [..., 2, hd/2]
  return R.reshape(g, R.reverseAxis(g, pairs, -2), x.shape);
}

export function rope(g: Graph, x: Value, cos: Value, sinSigned: Value): Value {
  const y = R.add(g, R.mul(g, x, cos), R.mul(g, swapHalves(g, x), sinSigned));
  g.record(ROPE, [x], [y], {}, { cos, sinSigned });
  return y;
}

export function ropeGrad(g: Graph, e: TapeEntry, [dy]: readonly (Value | null)[]): (Value | null)[] {
  const { cos, sinSigned } = e.saved;
  return [R.add(g, R.mul(g, dy!, cos), swapHalves(g, R.mul(g, dy!, sinSigned)))];
}
