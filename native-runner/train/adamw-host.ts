// AdamW on the host, for the gradients-only train-step graph (train-step-graph.ts, optimizer 'host').
// Same semantics as the graph's AdamW (adamw.ts: torch.optim.AdamW single-tensor path, clipping
// folded into the scalars), with the scalars computed exactly as the graph computes them (float64,
// then rounded to float32), but one fused pass per parameter instead of ~14 elementwise ONNX ops:
// per element it reads p, g, m, v and writes p, m, v, and nothing crosses the session boundary but
// the gradients. Arithmetic is float64 rounded to float32 on store, so results agree with the
// float32 graph to rounding (tested against it in train-step-scan.test.ts).
import type { AdamWHyper } from './step-api';

export interface HostAdamWScalars {
  beta1: number; beta2: number;
  a1: number; a2: number;        // (1-β1)c, (1-β2)c²; c = min(1, max_norm / (‖g‖ + 1e-6))
  invSqrtBc2: number;            // 1/√(1-β2^t)
  eps: number;
  stepSize: number;              // lr / (1-β1^t)
  decay: number;                 // 1 - lr·wd
  gradNorm: number;              // ‖g‖ (float32, as the graph reports it)
}

const f32 = Math.fround;

/** Scalars of step `t` (1-based) from Σ‖g‖² (the graph's float32 grad_sq output). */
export function hostAdamwScalars(h: AdamWHyper, lr: number, t: number, sumSq: number): HostAdamWScalars {
  // the graph feeds lr and step as float32 inputs and computes in float64 from there
  const lr64 = f32(lr);
  const step = f32(t);
  const bc1 = 1 - h.beta1 ** step;
  const bc2 = 1 - h.beta2 ** step;
  const norm = Math.sqrt(sumSq);
  const c = Math.min(1, (h.clipGradNorm ?? Infinity) / (norm + 1e-6));
  return {
    beta1: f32(h.beta1), beta2: f32(h.beta2),
    a1: f32((1 - h.beta1) * c), a2: f32((1 - h.beta2) * (c * c)),
    invSqrtBc2: f32(1 / Math.sqrt(bc2)), eps: f32(h.eps),
    stepSize: f32(lr64 / bc1), decay: f32(1 - lr64 * h.weightDecay),
    gradNorm: f32(norm),
  };
}

/** One parameter's update in place: p, m, v (same length as g). `decay`: weight decay applies. */
export function hostAdamwUpdate(s: HostAdamWScalars, p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, decay: boolean): void {
  const n = p.length;
  if (g.length !== n || m.length !== n || v.length !== n) throw new Error(`AdamW: lengths differ (p ${n}, g ${g.length}, m ${m.length}, v ${v.length})`);
  const { beta1, beta2, a1, a2, invSqrtBc2, eps, stepSize } = s;
  const dec = decay ? s.decay : 1;
  // float64 arithmetic, rounded to float32 once per stored value: at most one float32 ulp from the
  // graph's op-by-op float32 rounding, and ~1.7x faster than rounding every intermediate (Math.fround)
  for (let i = 0; i < n; i++) {
    const gi = g[i];
    const mi = m[i] * beta1 + gi * a1;
    const vi = v[i] * beta2 + gi * gi * a2;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * dec - (m[i] / (Math.sqrt(v[i]) * invSqrtBc2 + eps)) * stepSize;
  }
}
