// Our byte-level BPE encoder for tokenizer.json files of ModernBERT's shape. It exists for speed when
// sharding whole corpora (a per-pre-token cache, no per-call allocation of token strings) and is held
// to @huggingface/tokenizers by tests (identical ids). Files it cannot reproduce exactly (other
// models, normalizers, non-special added tokens...) are refused here and handled by the library.

import { BYTE_TO_CHAR, preTokenize } from './byte-level';
import { DataError } from './errors';
import type { BpeModelJson, TokenizerJson } from './tokenizer-json';

interface SpecialSplit {
  pattern: RegExp;                      // alternation of the added tokens' contents, longest first
  byContent: Map<string, { id: number; lstrip: boolean; rstrip: boolean }>;
}

/** Why this tokenizer.json is outside what ByteLevelBpeEncoder reproduces, or null if it is inside. */
export function unsupportedReason(json: TokenizerJson): string | null {
  const m = json.model as BpeModelJson;
  if (m?.type !== 'BPE') return `model type ${m?.type} is not BPE`;
  if (m.continuing_subword_prefix || m.end_of_word_suffix) return 'BPE with subword prefix/suffix';
  if (m.byte_fallback || m.ignore_merges || m.dropout) return 'BPE with byte_fallback/ignore_merges/dropout';
  if (json.normalizer !== null && json.normalizer.type !== 'NFC') return `normalizer ${json.normalizer.type}`;
  const pt = json.pre_tokenizer;
  if (pt?.type !== 'ByteLevel' || pt.add_prefix_space || pt.use_regex === false) return 'pre-tokenizer is not ByteLevel(use_regex, no prefix space)';
  for (const t of json.added_tokens ?? []) {
    if (!t.special || t.normalized || t.single_word) return `added token ${JSON.stringify(t.content)} is not a plain special token`;
  }
  return null;
}

export class ByteLevelBpeEncoder {
  private readonly vocab: Map<string, number>;
  private readonly ranks: Map<string, number>;    // "a b" -> merge rank
  private readonly cache = new Map<string, number[]>();
  private readonly specials: SpecialSplit | null;
  private readonly nfc: boolean;
  private static readonly CACHE_LIMIT = 500_000;

  constructor(json: TokenizerJson, file = 'tokenizer.json') {
    const reason = unsupportedReason(json);
    if (reason) throw new DataError(`${file}: not a plain byte-level BPE tokenizer (${reason})`, file);
    const model = json.model as BpeModelJson;
    this.vocab = new Map(Object.entries(model.vocab));
    for (const ch of BYTE_TO_CHAR) {
      if (!this.vocab.has(ch)) throw new DataError(`${file}: byte-level vocabulary lacks byte token ${JSON.stringify(ch)}`, file);
    }
    this.ranks = new Map();
    model.merges.forEach((mg, i) => {
      const key = Array.isArray(mg) ? `${mg[0]} ${mg[1]}` : mg;
      if (!this.ranks.has(key)) this.ranks.set(key, i);
    });
    this.nfc = json.normalizer?.type === 'NFC';
    const added = json.added_tokens ?? [];
    if (added.length) {
      const contents = added.map((t) => t.content).sort((a, b) => b.length - a.length);
      const escaped = contents.map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
      this.specials = {
        pattern: new RegExp(`(${escaped.join('|')})`, 'g'),
        byContent: new Map(added.map((t) => [t.content, { id: t.id, lstrip: t.lstrip, rstrip: t.rstrip }])),
      };
    } else this.specials = null;
  }

  /** Token ids of `text` without template special tokens; special-token strings in text map to their ids. */
  encode(text: string, out: number[] = []): number[] {
    if (!this.specials) {
      this.encodeOrdinary(text, out);
      return out;
    }
    // Same section logic as tokenizers: split on added tokens, lstrip/rstrip eat neighbouring whitespace.
    const sections = text.split(this.specials.pattern);
    for (let i = 1; i < sections.length; i += 2) {
      const sp = this.specials.byContent.get(sections[i])!;
      if (sp.lstrip) sections[i - 1] = sections[i - 1].trimEnd();
      if (sp.rstrip && i + 1 < sections.length) sections[i + 1] = sections[i + 1].trimStart();
    }
    for (let i = 0; i < sections.length; i++) {
      if (i % 2 === 1) out.push(this.specials.byContent.get(sections[i])!.id);
      else if (sections[i].length) this.encodeOrdinary(sections[i], out);
    }
    return out;
  }

  private encodeOrdinary(text: string, out: number[]): void {
    for (const piece of preTokenize(this.nfc ? text.normalize('NFC') : text)) {
      let ids = this.cache.get(piece);
      if (!ids) {
        ids = this.bpe(piece);
        if (this.cache.size >= ByteLevelBpeEncoder.CACHE_LIMIT) this.cache.clear();
        this.cache.set(piece, ids);
      }
      for (let k = 0; k < ids.length; k++) out.push(ids[k]);
    }
  }

  /** Apply merges to one pre-token: repeatedly merge the adjacent pair of lowest rank (leftmost first). */
  private bpe(piece: string): number[] {
    const whole = this.vocab.get(piece);
    let parts = Array.from(piece);
    if (whole !== undefined && parts.length === 1) return [whole];
    while (parts.length > 1) {
      let best = Infinity;
      let at = -1;
      for (let i = 0; i < parts.length - 1; i++) {
        const r = this.ranks.get(parts[i] + ' ' + parts[i + 1]);
        if (r !== undefined && r < best) { best = r; at = i; }
      }
      if (at < 0) break;
      const a = parts[at];
      const b = parts[at + 1];
      const merged: string[] = [];
      for (let i = 0; i < parts.length; i++) {
        if (i < parts.length - 1 && parts[i] === a && parts[i + 1] === b) { merged.push(a + b); i++; }
        else merged.push(parts[i]);
      }
      parts = merged;
    }
    return parts.map((p) => this.vocab.get(p)!);
  }
}
