// ModernBERT forward graph, the same math as HF ModernBertForMaskedLM (eager attention, no dropout):
//   h = LN(tok_embeddings[ids]); per layer: h += Wo·attn(RoPE(q), RoPE(k), v) on LN_attn(h) (layer 0
//   has no attn_norm), h += Wo·(gelu(x_in) ⊙ x_gate) with [x_in, x_gate] = Wi·LN_mlp(h);
//   logits = LN_head(gelu(dense·final_norm(h))) · tok_embeddingsᵀ + decoder.bias.
// Parameters are graph inputs named by their HF state-dict keys. Activations are kept 2-D [B·T, D]
// between layers so every projection is one Gemm.
import type { Graph, Value } from '../graph/builder';
import * as ops from '../graph/index';
import { attentionBiases } from './attention-bias';
import { headDim, isGlobalLayer, type ModernBertConfig } from './config';
import { ropeTables } from './rope';

export interface ModelInputs {
  inputIds: Value;        // [B, T] int64
  attentionMask: Value;   // [B, T] int64, 1 = token, 0 = padding
}

export interface ForwardResult {
  logits: Value;          // [B·T, V]
  hiddenStates: Value[];  // HF hidden_states: embedding output + each layer's output, each [B·T, D]
  lastHiddenState: Value; // after final_norm, [B·T, D]
}

export interface ForwardOptions {
  causal: boolean;        // CLM: causal attention (local layers keep their sliding window)
  withHead?: boolean;     // default true; false stops after final_norm (activation logging)
}

export function modernBertForward(g: Graph, cfg: ModernBertConfig, params: ReadonlyMap<string, Value>, inputs: ModelInputs, opts: ForwardOptions): ForwardResult {
  const [B, T] = inputs.inputIds.shape;
  const D = cfg.hidden_size;
  const H = cfg.num_attention_heads;
  const hd = headDim(cfg);
  const F = cfg.intermediate_size;
  const eps = cfg.norm_eps;
  const p = (name: string): Value => {
    const v = params.get(name);
    if (!v) throw new Error(`modernBertForward: missing parameter ${name}`);
    return v;
  };

  // RoPE tables per theta; q's tables carry the 1/√hd attention scale so no extra Mul is needed.
  const tables = new Map<number, { qc: Value; qs: Value; kc: Value; ks: Value }>();
  const ropeFor = (theta: number) => {
    let t = tables.get(theta);
    if (!t) {
      const s = 1 / Math.sqrt(hd);
      const k = ropeTables(T, hd, theta, g.float);
      const q = ropeTables(T, hd, theta, g.float, s);
      t = { qc: g.floatConst(q.cos, [T, hd]), qs: g.floatConst(q.sinSigned, [T, hd]), kc: g.floatConst(k.cos, [T, hd]), ks: g.floatConst(k.sinSigned, [T, hd]) };
      tables.set(theta, t);
    }
    return t;
  };
  const bias = attentionBiases(g, inputs.attentionMask, cfg.local_attention, opts.causal);

  const emb = ops.embedding(g, p('model.embeddings.tok_embeddings.weight'), inputs.inputIds);   // [B, T, D]
  let h = ops.layerNorm(g, ops.reshape(g, emb, [B * T, D]), p('model.embeddings.norm.weight'), eps); // [B·T, D]
  const hiddenStates = [h];

  for (let i = 0; i < cfg.num_hidden_layers; i++) {
    const pre = `model.layers.${i}.`;
    const global = isGlobalLayer(cfg, i);
    const rt = ropeFor(global ? cfg.global_rope_theta : cfg.local_rope_theta);
    // attention
    const a = i === 0 ? h : ops.layerNorm(g, h, p(pre + 'attn_norm.weight'), eps);
    const qkv = ops.linear(g, a, p(pre + 'attn.Wqkv.weight'));                                 // [B·T, 3D]
    const qkvT = ops.transpose(g, ops.reshape(g, qkv, [B, T, 3, H, hd]), [2, 0, 3, 1, 4]);     // [3, B, H, T, hd]
    const [q0, k0, v] = ops.split(g, qkvT, 0, [1, 1, 1]).map((t) => ops.reshape(g, t, [B, H, T, hd])); // [B, H, T, hd]
    const q = ops.rope(g, q0, rt.qc, rt.qs);                                                   // [B, H, T, hd], scaled
    const k = ops.rope(g, k0, rt.kc, rt.ks);
    const scores = ops.add(g, ops.matmul(g, q, k, false, true), global ? bias.global : bias.local); // [B, H, T, T]
    const ctx = ops.matmul(g, ops.softmax(g, scores), v);                                       // [B, H, T, hd]
    const merged = ops.reshape(g, ops.transpose(g, ctx, [0, 2, 1, 3]), [B * T, D]);             // [B·T, D]
    h = ops.add(g, h, ops.linear(g, merged, p(pre + 'attn.Wo.weight')));
    // GeGLU MLP
    const m = ops.layerNorm(g, h, p(pre + 'mlp_norm.weight'), eps);
    // Wi·m chunked into (input, gate) [B·T, F] each. Same math either way; split whichever is
    // smaller, the activation [B·T, 2F] or the weight [2F, D]: the split and its backward concat
    // move that many floats, and a weight split's two halves are copies that stay alive until the
    // backward (2F·D floats per layer: 148 MiB at ModernBERT-base, where B·T = 512 < D = 768).
    let xin: Value, gate: Value;
    if (B * T <= D) [xin, gate] = ops.split(g, ops.linear(g, m, p(pre + 'mlp.Wi.weight')), 1, [F, F]);
    else {
      const [wIn, wGate] = ops.split(g, p(pre + 'mlp.Wi.weight'), 0, [F, F]);                // [F, D] each
      xin = ops.linear(g, m, wIn);
      gate = ops.linear(g, m, wGate);
    }
    h = ops.add(g, h, ops.linear(g, ops.mul(g, ops.gelu(g, xin), gate), p(pre + 'mlp.Wo.weight')));
    hiddenStates.push(h);
  }

  const last = ops.layerNorm(g, h, p('model.final_norm.weight'), eps);                         // [B·T, D]
  if (opts.withHead === false) return { logits: last, hiddenStates, lastHiddenState: last };
  return { logits: lmHead(g, cfg, params, last), hiddenStates, lastHiddenState: last };
}

/** MLM head + tied decoder on any rows of final-norm output: x [N, D] -> logits [N, V]. */
export function lmHead(g: Graph, cfg: ModernBertConfig, params: ReadonlyMap<string, Value>, x: Value): Value {
  const p = (name: string) => params.get(name)!;
  const head = ops.layerNorm(g, ops.gelu(g, ops.linear(g, x, p('head.dense.weight'))), p('head.norm.weight'), cfg.norm_eps);
  return ops.linear(g, head, p('model.embeddings.tok_embeddings.weight'), p('decoder.bias'));            // [N, V]
}
