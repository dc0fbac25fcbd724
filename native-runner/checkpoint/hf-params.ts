// The Hugging Face ModernBertForMaskedLM state dict: names and shapes derived from a config, so every
// tensor read from disk can be checked against the model it is meant for.

import type { ModernBertConfig } from '../model/config';
import { parameterSpecs } from '../model/params';

export const DECODER_WEIGHT = 'decoder.weight';
export const TOK_EMBEDDINGS = 'model.embeddings.tok_embeddings.weight';

/**
 * Expected parameters in state-dict order (model/params.ts is the one list of names and shapes; it
 * leaves out the tied decoder.weight and throws for configs our graphs do not implement).
 */
export function expectedParamShapes(c: ModernBertConfig): Map<string, number[]> {
  return new Map(parameterSpecs(c).map((s) => [s.name, s.shape]));
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
