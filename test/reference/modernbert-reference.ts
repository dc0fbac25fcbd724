// An independent plain-JS ModernBERT forward in float64, written from HF's modeling_modernbert.py
// (eager attention) with straightforward loops: no ONNX, no shared code with native-runner/graph.
// erf is computed by numerical integration (composite Simpson), not by the series/continued fraction
// the float64 graph uses, so the two cannot share a mistake.
import { isGlobalLayer, type ModernBertConfig } from '../../native-runner/model/config';

export type Params = Map<string, Float64Array>;

export function erfBySimpson(x: number): number {
  if (x === 0) return 0;
  const n = 2000;                                            // even; error ~ (x/n)^4, far below 1e-14 here
  const h = x / n;
  let s = 1 + Math.exp(-x * x);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * Math.exp(-(i * h) * (i * h));
  return (2 / Math.sqrt(Math.PI)) * (h / 3) * s;
}

const gelu = (x: number) => 0.5 * x * (1 + erfBySimpson(x / Math.SQRT2));

function layerNormRows(x: Float64Array, rows: number, D: number, w: Float64Array, eps: number): Float64Array {
  const y = new Float64Array(rows * D);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let d = 0; d < D; d++) mean += x[r * D + d];
    mean /= D;
    let v = 0;
    for (let d = 0; d < D; d++) v += (x[r * D + d] - mean) ** 2;
    v /= D;
    const inv = 1 / Math.sqrt(v + eps);
    for (let d = 0; d < D; d++) y[r * D + d] = (x[r * D + d] - mean) * inv * w[d];
  }
  return y;
}

/** y[n, o] = Σ_i x[n, i] W[o, i]  (nn.Linear, no bias) */
function linear(x: Float64Array, rows: number, inF: number, W: Float64Array, outF: number): Float64Array {
  const y = new Float64Array(rows * outF);
  for (let n = 0; n < rows; n++) {
    for (let o = 0; o < outF; o++) {
      let s = 0;
      for (let i = 0; i < inF; i++) s += x[n * inF + i] * W[o * inF + i];
      y[n * outF + o] = s;
    }
  }
  return y;
}

export interface ReferenceOutput {
  hiddenStates: Float64Array[];   // each [B, T, D]
  logits: Float64Array;           // [B, T, V]
}

export function referenceForward(cfg: ModernBertConfig, P: Params, ids: number[][], mask: number[][], causal: boolean): ReferenceOutput {
  const B = ids.length;
  const T = ids[0].length;
  const D = cfg.hidden_size;
  const H = cfg.num_attention_heads;
  const hd = D / H;
  const F = cfg.intermediate_size;
  const V = cfg.vocab_size;
  const N = B * T;
  const p = (k: string) => P.get(k)!;
  const tok = p('model.embeddings.tok_embeddings.weight');
  let h: Float64Array = new Float64Array(N * D);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) h[(b * T + t) * D + d] = tok[ids[b][t] * D + d];
  h = layerNormRows(h, N, D, p('model.embeddings.norm.weight'), cfg.norm_eps);
  const hiddenStates = [h];
  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    const pre = `model.layers.${l}.`;
    const global = isGlobalLayer(cfg, l);
    const theta = global ? cfg.global_rope_theta : cfg.local_rope_theta;
    const a = l === 0 ? h : layerNormRows(h, N, D, p(pre + 'attn_norm.weight'), cfg.norm_eps);
    const qkv = linear(a, N, D, p(pre + 'attn.Wqkv.weight'), 3 * D);      // row: [q(H·hd) | k | v]
    const get = (which: number, b: number, t: number, hh: number, k: number) => qkv[(b * T + t) * 3 * D + which * D + hh * hd + k];
    const rot = (which: number, b: number, t: number, hh: number): number[] => {
      const out: number[] = [];
      const half = hd / 2;
      for (let k = 0; k < hd; k++) {
        const kk = k % half;
        const ang = t * (1 / theta ** ((2 * kk) / hd));
        const x = get(which, b, t, hh, k);
        const partner = k < half ? -get(which, b, t, hh, k + half) : get(which, b, t, hh, k - half); // rotate_half
        out.push(x * Math.cos(ang) + partner * Math.sin(ang));
      }
      return out;
    };
    const ctx = new Float64Array(N * D);
    for (let b = 0; b < B; b++) {
      for (let hh = 0; hh < H; hh++) {
        const Q = Array.from({ length: T }, (_, t) => rot(0, b, t, hh));
        const K = Array.from({ length: T }, (_, t) => rot(1, b, t, hh));
        for (let i = 0; i < T; i++) {
          const allowed: number[] = [];
          for (let j = 0; j < T; j++) {
            if (mask[b][j] === 0) continue;
            if (!global && Math.abs(i - j) > Math.floor(cfg.local_attention / 2)) continue;
            if (causal && j > i) continue;
            allowed.push(j);
          }
          const s = allowed.map((j) => Q[i].reduce((acc, qv, k) => acc + qv * K[j][k], 0) / Math.sqrt(hd));
          const mx = Math.max(...s);
          const e = s.map((x) => Math.exp(x - mx));
          const z = e.reduce((x, y) => x + y, 0);
          for (let k = 0; k < hd; k++) {
            let acc = 0;
            allowed.forEach((j, idx) => (acc += (e[idx] / z) * get(2, b, j, hh, k)));
            ctx[(b * T + i) * D + hh * hd + k] = acc;
          }
        }
      }
    }
    const attnOut = linear(ctx, N, D, p(pre + 'attn.Wo.weight'), D);
    h = h.map((x, i) => x + attnOut[i]);
    const m = layerNormRows(h, N, D, p(pre + 'mlp_norm.weight'), cfg.norm_eps);
    const wi = linear(m, N, D, p(pre + 'mlp.Wi.weight'), 2 * F);
    const act = new Float64Array(N * F);
    for (let n = 0; n < N; n++) for (let f = 0; f < F; f++) act[n * F + f] = gelu(wi[n * 2 * F + f]) * wi[n * 2 * F + F + f];
    const mlpOut = linear(act, N, F, p(pre + 'mlp.Wo.weight'), D);
    h = h.map((x, i) => x + mlpOut[i]);
    hiddenStates.push(h);
  }
  const last = layerNormRows(h, N, D, p('model.final_norm.weight'), cfg.norm_eps);
  const dense = linear(last, N, D, p('head.dense.weight'), D).map(gelu);
  const headOut = layerNormRows(dense, N, D, p('head.norm.weight'), cfg.norm_eps);
  const logits = linear(headOut, N, D, tok, V);
  const bias = p('decoder.bias');
  for (let n = 0; n < N; n++) for (let v = 0; v < V; v++) logits[n * V + v] += bias[v];
  return { hiddenStates, logits };
}

/** Mean cross-entropy over labels != -100 at non-padding positions. */
export function referenceLoss(logits: Float64Array, V: number, labels: number[][], mask: number[][]): number {
  let total = 0;
  let count = 0;
  const T = labels[0].length;
  labels.forEach((row, b) => row.forEach((lab, t) => {
    if (lab === -100 || mask[b][t] === 0) return;
    const o = (b * T + t) * V;
    let mx = -Infinity;
    for (let v = 0; v < V; v++) mx = Math.max(mx, logits[o + v]);
    let z = 0;
    for (let v = 0; v < V; v++) z += Math.exp(logits[o + v] - mx);
    total += -(logits[o + lab] - mx - Math.log(z));
    count++;
  }));
  return count ? total / count : 0;
}
