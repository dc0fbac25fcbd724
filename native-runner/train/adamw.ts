// AdamW in the graph with PyTorch semantics (torch.optim.AdamW, single-tensor path):
//   p ← p·(1 - lr·wd)                       (decoupled decay; skipped for norms and biases)
//   m ← β1·m + (1-β1)·g,   v ← β2·v + (1-β2)·g²
//   p ← p - (lr / (1-β1^t)) · m / (√v / √(1-β2^t) + eps)
// with g already scaled by the global-norm clip coefficient c = min(1, max_norm / (‖g‖ + 1e-6))
// (torch.nn.utils.clip_grad_norm_). c is folded into the scalars (1-β1)c and (1-β2)c², so clipping
// costs no extra pass over the gradients. Scalars are computed in float64 from the lr and step
// inputs, as PyTorch computes them in Python floats, then cast to float32.
import type { Graph, Value } from '../graph/builder';
import * as R from '../graph/raw';
import type { AdamWHyper } from './step-api';

export interface AdamWScalars {
  beta1: Value; beta2: Value;  // β1, β2
  a1: Value; a2: Value;        // (1-β1)c, (1-β2)c²
  invSqrtBc2: Value;           // 1/√(1-β2^t)
  eps: Value;
  stepSize: Value;             // lr / (1-β1^t)
  decay: Value;                // 1 - lr·wd
}

/** Scalars of one step. `lr`, `step` are float32 [] inputs; `sumSq` is Σ‖g‖² over trainable grads (float32 []). */
export function adamwScalars(g: Graph, hyper: AdamWHyper, lr: Value, step: Value, sumSq: Value): { scalars: AdamWScalars; gradNorm: Value } {
  const d = (x: number) => g.constant(Float64Array.of(x), [], 'float64');
  const f64 = (v: Value) => (v.dtype === 'float64' ? v : R.cast(g, v, 'float64'));
  const f32 = (v: Value) => (g.float === 'float64' ? v : R.cast(g, v, 'float32'));
  const lr64 = f64(lr);
  const t = f64(step);
  const pow = (b: number) => g.node('Pow', [d(b), t], [{ dtype: 'float64', shape: [] }])[0];
  const bc1 = R.sub(g, d(1), pow(hyper.beta1));
  const bc2 = R.sub(g, d(1), pow(hyper.beta2));
  const norm = R.sqrt(g, f64(sumSq));
  const maxNorm = hyper.clipGradNorm ?? Infinity;
  // clip_grad_norm_: coef = max_norm / (norm + 1e-6), clamped to 1 (max_norm = ∞ when clipping is off)
  const c = R.min(g, d(1), R.div(g, d(maxNorm), R.add(g, norm, d(1e-6))));
  const scalars: AdamWScalars = {
    beta1: g.scalar(hyper.beta1),
    beta2: g.scalar(hyper.beta2),
    a1: f32(R.mul(g, d(1 - hyper.beta1), c)),
    a2: f32(R.mul(g, d(1 - hyper.beta2), R.mul(g, c, c))),
    invSqrtBc2: f32(R.reciprocal(g, R.sqrt(g, bc2))),
    eps: g.scalar(hyper.eps),
    stepSize: f32(R.div(g, lr64, bc1)),
    decay: f32(R.sub(g, d(1), R.mul(g, lr64, d(hyper.weightDecay)))),
  };
  return { scalars, gradNorm: f32(norm) };
}

/** One parameter's update; returns [p', m', v'] (same shapes as p). */
export function adamwUpdate(g: Graph, s: AdamWScalars, p: Value, grad: Value, m: Value, v: Value, decay: boolean): [Value, Value, Value] {
  const m2 = R.add(g, R.mul(g, m, s.beta1), R.mul(g, grad, s.a1));
  const v2 = R.add(g, R.mul(g, v, s.beta2), R.mul(g, R.mul(g, grad, grad), s.a2));
  const denom = R.add(g, R.mul(g, R.sqrt(g, v2), s.invSqrtBc2), s.eps);
  const p1 = decay ? R.mul(g, p, s.decay) : p;
  const p2 = R.sub(g, p1, R.mul(g, R.div(g, m2, denom), s.stepSize));
  return [p2, m2, v2];
}
