// Add (broadcasting): d/da = dy, d/db = dy, each unbroadcast to its input's shape.
import type { Graph, TapeEntry, Value } from '../builder';
import * as R from '../raw';
import { unbroadcast } from '../unbroadcast';

export const ADD = 'Add';

export function add(g: Graph, a: Value, b: Value): Value {
  const y = R.add(g, a, b);
  g.record(ADD, [a, b], [y]);
  return y;
}

export function addGrad(g: Graph, e: TapeEntry, [dy]: readonly (Value | null)[]): (Value | null)[] {
  const [a, b] = e.inputs;
  return [
    a.requiresGrad ? unbroadcast(g, dy!, a.shape) : null,
    b.requiresGrad ? unbroadcast(g, dy!, b.shape) : null,
  ];
}
