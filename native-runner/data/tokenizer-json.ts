// The Hugging Face tokenizer.json format (tokenizers' serialisation), as far as byte-level BPE goes:
// types, a writer for the ModernBERT-shaped file our trainer produces, and a reader that finds the
// special tokens. Layout mirrors answerdotai/ModernBERT-base: no normalizer, ByteLevel pre-tokenizer
// and decoder, TemplateProcessing "[CLS] $A [SEP]", special tokens as added tokens after the BPE
// vocabulary, [MASK] with lstrip (so "a [MASK]" encodes like "a" + [MASK]).

import { DataError } from './errors';

export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

export interface BpeModelJson {
  type: 'BPE';
  dropout: number | null;
  unk_token: string | null;
  continuing_subword_prefix: string | null;
  end_of_word_suffix: string | null;
  fuse_unk: boolean;
  byte_fallback: boolean;
  ignore_merges: boolean;
  vocab: Record<string, number>;
  merges: string[] | [string, string][];
}

export interface TokenizerJson {
  version: string;
  truncation: unknown;
  padding: unknown;
  added_tokens: AddedTokenJson[];
  normalizer: { type: string; [k: string]: unknown } | null;
  pre_tokenizer: { type: string; [k: string]: unknown } | null;
  post_processor: { type: string; [k: string]: unknown } | null;
  decoder: { type: string; [k: string]: unknown } | null;
  model: BpeModelJson | { type: string; [k: string]: unknown };
}

/** Ids of the special tokens an encoder needs (ModernBERT names; BERT/RoBERTa spellings accepted). */
export interface SpecialTokenIds {
  unk: number | null;
  cls: number;
  sep: number;
  pad: number;
  mask: number;
}

/** ModernBERT's special tokens, in the order they follow the BPE vocabulary (ids 50280..50284 there). */
export const MODERNBERT_SPECIALS = ['[UNK]', '[CLS]', '[SEP]', '[PAD]', '[MASK]'] as const;

const SPECIAL_SPELLINGS: Record<keyof SpecialTokenIds, string[]> = {
  unk: ['[UNK]', '<unk>'],
  cls: ['[CLS]', '<s>', '<|endoftext|>'],
  sep: ['[SEP]', '</s>', '<|endoftext|>'],
  pad: ['[PAD]', '<pad>', '<|padding|>'],
  mask: ['[MASK]', '<mask>'],
};

/** Find the special-token ids among added tokens (falling back to the model vocabulary). */
export function findSpecialIds(json: TokenizerJson, file: string): SpecialTokenIds {
  const byContent = new Map<string, number>();
  const vocab = (json.model as BpeModelJson).vocab ?? {};
  for (const [k, v] of Object.entries(vocab)) byContent.set(k, v);
  for (const t of json.added_tokens ?? []) byContent.set(t.content, t.id);
  const find = (role: keyof SpecialTokenIds): number | null => {
    for (const s of SPECIAL_SPELLINGS[role]) if (byContent.has(s)) return byContent.get(s)!;
    return null;
  };
  const ids = { unk: find('unk'), cls: find('cls'), sep: find('sep'), pad: find('pad'), mask: find('mask') };
  for (const role of ['cls', 'sep', 'pad', 'mask'] as const) {
    if (ids[role] === null) {
      throw new DataError(`${file}: tokenizer has no ${role} token (looked for ${SPECIAL_SPELLINGS[role].join(', ')})`, file);
    }
  }
  return ids as SpecialTokenIds;
}

/** Size of the id space: max id + 1 over vocabulary and added tokens. */
export function idSpaceSize(json: TokenizerJson): number {
  let max = -1;
  for (const v of Object.values((json.model as BpeModelJson).vocab ?? {})) if (v > max) max = v;
  for (const t of json.added_tokens ?? []) if (t.id > max) max = t.id;
  return max + 1;
}

/**
 * Build a ModernBERT-shaped tokenizer.json from a byte-level BPE vocabulary (ids 0..n-1, byte
 * characters and merged strings) and its merges in rank order. Special tokens get ids n..n+4.
 */
export function buildTokenizerJson(tokens: string[], merges: [string, string][]): TokenizerJson {
  const vocab: Record<string, number> = {};
  tokens.forEach((t, i) => { vocab[t] = i; });
  const added: AddedTokenJson[] = MODERNBERT_SPECIALS.map((content, k) => ({
    id: tokens.length + k,
    content,
    single_word: false,
    lstrip: content === '[MASK]',
    rstrip: false,
    normalized: false,
    special: true,
  }));
  const cls = added[1].id;
  const sep = added[2].id;
  const seq = (id: 'A' | 'B', type_id: number) => ({ Sequence: { id, type_id } });
  const sp = (id: string, type_id: number) => ({ SpecialToken: { id, type_id } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: {
      type: 'TemplateProcessing',
      single: [sp('[CLS]', 0), seq('A', 0), sp('[SEP]', 0)],
      pair: [sp('[CLS]', 0), seq('A', 0), sp('[SEP]', 0), seq('B', 1), sp('[SEP]', 1)],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [cls], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [sep], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      // "a b" strings: readable by every tokenizers version (byte-level tokens never hold a space).
      merges: merges.map(([a, b]) => `${a} ${b}`),
    },
  };
}

/** tokenizer_config.json companion (transformers' AutoTokenizer and tokenizers.js read it). */
export function buildTokenizerConfig(modelMaxLength: number): Record<string, unknown> {
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    clean_up_tokenization_spaces: false,
    model_max_length: modelMaxLength,
    model_input_names: ['input_ids', 'attention_mask'],
    unk_token: '[UNK]',
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    mask_token: '[MASK]',
  };
}
