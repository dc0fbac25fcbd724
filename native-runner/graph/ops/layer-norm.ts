// LayerNorm over the last axis with a weight and no bias (ModernBERT norm_bias = false).
// float32: ORT's fused LayerNormalization (one pass; its Mean/InvStdDev outputs are reused by the
// backward). float64: composed from primitives, since LayerNormalization's statistics outputs are
// float32 even for double input, which would spoil exact gradient checks.
// Backward, with x̂ = (x - μ) r, r = 1/√(var + eps):
//   dw = Σ_rows dy ⊙ x̂,   dx = r (ĝ - mean(ĝ) - x̂ mean(ĝ ⊙ x̂)),  ĝ = dy ⊙ w
import { attr, type Graph, type TapeEntry, type Value } from '../builder';
import * as R from '../raw';

export const LAYER_NORM = 'LayerNorm';

export function layerNorm(g: Graph, x: Value, w: Value, eps: number): Value {
  const D = x.shape[x.shape.length - 1];
  if (w.shape.length !== 1 || w.shape[0] !== D) throw new Error(`layerNorm: weight [${w.shape}] for input [${x.shape}]`);
  const statShape = [...x.shape.slice(0, -1), 1];
  let y: Value, mean: Value, rstd: Value;
  if (!g.isF64) {
    [y, mean, rstd] = g.node('LayerNormalization', [x, w], [
      { dtype: x.dtype, shape: x.shape }, { dtype: 'float32', shape: statShape }, { dtype: 'float32', shape: statShape },
    ], { axis: attr.i(-1), epsilon: attr.f(eps) });
  } else {
    mean = R.reduceMean(g, x, [-1]);                                       // [..., 1]
    const xc = R.sub(g, x, mean);
    const variance = R.reduceMean(g, R.mul(g, xc, xc), [-1]);              // [..., 1]
    rstd = R.reciprocal(g, R.sqrt(g, R.add(g, variance, g.scalar(eps))));
    y = R.mul(g, R.mul(g, xc, rstd), w);
  }
  g.record(LAYER_NORM, [x, w], [y], { eps }, { mean, rstd });
  return y;
}

export function layerNormGrad(g: Graph, e: TapeEntry, [dy]: readonly (Value | null)[]): (Value | null)[] {
  const [x, w] = e.inputs;
  const { mean, rstd } = e.saved;
  const xhat = R.mul(g, R.sub(g, x, mean), rstd);                          // [..., D]
  const dw = w.requiresGrad ? R.reduceSum(g, R.mul(g, dy!, xhat), x.shape.slice(0, -1).map((_, i) => i), false) : null;
  let dx: Value | null = null;
  if (x.requiresGrad) {
    const gh = R.mul(g, dy!, w);                                           // ĝ
    const m1 = R.reduceMean(g, gh, [-1]);                                  // [..., 1]
    const m2 = R.reduceMean(g, R.mul(g, gh, xhat), [-1]);                  // [..., 1]
    dx = R.mul(g, R.sub(g, R.sub(g, gh, m1), R.mul(g, xhat, m2)), rstd);
  }
  return [dx, dw];
}
