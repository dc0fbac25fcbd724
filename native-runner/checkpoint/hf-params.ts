// The Hugging Face ModernBertForMaskedLM state dict: names and shapes derived from a config, so every
// tensor read from disk can be checked against the model it is meant for.

import type { ModernBertConfig } from '../model/config';

export const DECODER_WEIGHT = 'decoder.weight';
export const TOK_EMBEDDINGS = 'model.embeddings.tok_embeddings.weight';

/** Expected parameters in state-dict order. The tied decoder.weight is left out when tie_word_embeddings. */
export function expectedParamShapes(c: ModernBertConfig): Map<string, number[]> {
  const D = c.hidden_size, F = c.intermediate_size, V = c.vocab_size;
  const m = new Map<string, number[]>();
  const norm = (prefix: string) => { m.set(`${prefix}.weight`, [D]); if (c.norm_bias) m.set(`${prefix}.bias`, [D]); };
  const linear = (prefix: string, out: number, inp: number, bias: boolean) => { m.set(`${prefix}.weight`, [out, inp]); if (bias) m.set(`${prefix}.bias`, [out]); };
  m.set(TOK_EMBEDDINGS, [V, D]);
  norm('model.embeddings.norm');
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    if (i !== 0) norm(`${p}.attn_norm`); // layer 0's attn_norm is Identity in HF
    linear(`${p}.attn.Wqkv`, 3 * D, D, c.attention_bias);
    linear(`${p}.attn.Wo`, D, D, c.attention_bias);
    norm(`${p}.mlp_norm`);
    linear(`${p}.mlp.Wi`, 2 * F, D, c.mlp_bias);
    linear(`${p}.mlp.Wo`, D, F, c.mlp_bias);
  }
  norm('model.final_norm');
  linear('head.dense', D, D, c.classifier_bias);
  norm('head.norm');
  if (!c.tie_word_embeddings) m.set(DECODER_WEIGHT, [V, D]);
  if (c.decoder_bias) m.set('decoder.bias', [V]);
  return m;
}

/**
 * Check a set of loaded tensors against the config: every expected name present with its shape, no
 * unknown names. A decoder.weight in a tied model must equal the embeddings (it is then dropped).
 */
export function checkParams(file: string, c: ModernBertConfig, got: Map<string, { shape: number[]; data: Float32Array }>): Map<string, Float32Array> {
  const want = expectedParamShapes(c);
  const problems: string[] = [];
  const out = new Map<string, Float32Array>();
  for (const [name, shape] of want) {
    const t = got.get(name);
    if (!t) { problems.push(`missing tensor "${name}" [${shape}]`); continue; }
    if (t.shape.join(',') !== shape.join(',')) problems.push(`tensor "${name}" has shape [${t.shape}], the config needs [${shape}]`);
    else out.set(name, t.data);
  }
  for (const name of got.keys()) {
    if (want.has(name)) continue;
    if (name === DECODER_WEIGHT && c.tie_word_embeddings) {
      const dec = got.get(name)!, emb = got.get(TOK_EMBEDDINGS);
      if (emb && dec.data.length === emb.data.length && !dec.data.every((x, i) => Object.is(x, emb.data[i])))
        problems.push(`"${name}" differs from "${TOK_EMBEDDINGS}" but the config ties them (tie_word_embeddings)`);
      continue;
    }
    problems.push(`unexpected tensor "${name}" (not a ModernBertForMaskedLM parameter for this config)`);
  }
  if (problems.length) throw new Error(`${file}: does not match the model config:\n  ${problems.slice(0, 20).join('\n  ')}${problems.length > 20 ? `\n  ... and ${problems.length - 20} more` : ''}`);
  return out;
}
