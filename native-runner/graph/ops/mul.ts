// Mul (broadcasting): d/da = dy*b, d/db = dy*a, each unbroadcast to its input's shape.
import type { Graph, TapeEntry, Value } from '../builder';
import * as R from '../raw';
import { unbroadcast } from '../unbroadcast';

export const MUL = 'Mul';

export function mul(g: Graph, a: Value, b: Value): Value {
  const y = R.mul(g, a, b);
  g.record(MUL, [a, b], [y]);
  return y;
}

export function mulGrad(g: Graph, e: TapeEntry, [dy]: readonly (Value | null)[]): (Value | null)[] {
  const [a, b] = e.inputs;
  return [
    a.requiresGrad ? unbroadcast(g, R.mul(g, dy!, b), a.shape) : null,
    b.requiresGrad ? unbroadcast(g, R.mul(g, dy!, a), b.shape) : null,
  ];
}
