// Exact (erf) GELU, as HF's ACT2FN["gelu"]: y = x Φ(x), Φ(x) = ½(1 + erf(x/√2)).
// dy/dx = Φ(x) + x φ(x), φ(x) = exp(-x²/2)/√(2π). Φ is saved from the forward pass.
import type { Graph, TapeEntry, Value } from '../builder';
import { erf64 } from '../erf64';
import * as R from '../raw';

export const GELU = 'Gelu';

export function gelu(g: Graph, x: Value): Value {
  const u = R.scale(g, x, Math.SQRT1_2);
  const e = g.isF64 ? erf64(g, u) : R.erf(g, u);
  const cdf = R.add(g, R.scale(g, e, 0.5), g.scalar(0.5));                // Φ(x)
  const y = R.mul(g, x, cdf);
  g.record(GELU, [x], [y], {}, { cdf });
  return y;
}

export function geluGrad(g: Graph, e: TapeEntry, [dy]: readonly (Value | null)[]): (Value | null)[] {
  const x = e.inputs[0];
  const pdf = R.scale(g, R.exp(g, R.mul(g, R.mul(g, x, x), g.scalar(-0.5))), 1 / Math.sqrt(2 * Math.PI));
  const d = R.add(g, e.saved.cdf, R.mul(g, x, pdf));                      // Φ(x) + x φ(x)
  return [R.mul(g, dy!, d)];
}
