// Loading a Hugging Face tokenizer.json (a file, or a directory holding tokenizer.json and optionally
// tokenizer_config.json). Two encoders sit behind one interface:
//  - "bpe": our ByteLevelBpeEncoder, used when the file is plain byte-level BPE (ModernBERT's shape);
//  - "hf":  @huggingface/tokenizers (pure JS, no binaries), used for everything else.
// Both give the same ids on the files the first accepts (tested); `engine` forces one.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { ByteLevelBpeEncoder, unsupportedReason } from './bpe-encoder';
import { DataError } from './errors';
import { parseJsonText } from './json-text';
import { buildTokenizerConfig, findSpecialIds, idSpaceSize, type SpecialTokenIds, type TokenizerJson } from './tokenizer-json';

export type TokenizerEngine = 'bpe' | 'hf';

export interface TextTokenizer {
  readonly path: string;                // the tokenizer.json it was loaded from
  readonly engine: TokenizerEngine;
  readonly vocabSize: number;           // id space (max id + 1): the model's vocab_size lower bound
  readonly specialIds: SpecialTokenIds;
  readonly hash: string;                // sha256 of the tokenizer.json bytes: part of shard cache keys
  /** Ids without [CLS]/[SEP] framing (packing adds those); special-token strings in text still match. */
  encode(text: string): number[];
  /** [CLS] ids [SEP], as the HF post-processor frames a single sequence. */
  encodeWithSpecials(text: string): number[];
  decode(ids: number[]): string;
}

/** Resolve a file or directory to its tokenizer.json path. */
export function tokenizerJsonPath(path: string): string {
  if (!existsSync(path)) throw new DataError(`${path}: no such tokenizer file or directory`, path);
  return statSync(path).isDirectory() ? join(path, 'tokenizer.json') : path;
}

function readJson(file: string): unknown {
  if (!existsSync(file)) throw new DataError(`${file}: no such file`, file);
  return parseJsonText(readFileSync(file, 'utf8'), file);
}

/** Load a tokenizer.json (or a directory with one) for encoding. */
export function loadTokenizer(path: string, engine?: TokenizerEngine): TextTokenizer {
  const file = tokenizerJsonPath(path);
  const bytes = readFileSync(file);
  const json = readJson(file) as TokenizerJson;
  if (!json || typeof json !== 'object' || !json.model) throw new DataError(`${file}: not a tokenizer.json (no "model")`, file);
  const cfgFile = join(dirname(file), 'tokenizer_config.json');
  const config = existsSync(cfgFile) ? (readJson(cfgFile) as object) : {};
  const specialIds = findSpecialIds(json, file);
  const hash = createHash('sha256').update(bytes).digest('hex');
  const chosen: TokenizerEngine = engine ?? (unsupportedReason(json) === null ? 'bpe' : 'hf');
  const hf = new HfTokenizer(json, config);
  const base = { path: file, vocabSize: idSpaceSize(json), specialIds, hash };
  const decode = (ids: number[]) => (ids.length ? hf.decode(ids, { skip_special_tokens: false }) : '');
  if (chosen === 'bpe') {
    const enc = new ByteLevelBpeEncoder(json, file);
    return {
      ...base, engine: 'bpe', decode,
      encode: (text) => enc.encode(text),
      encodeWithSpecials: (text) => [specialIds.cls, ...enc.encode(text), specialIds.sep],
    };
  }
  return {
    ...base, engine: 'hf', decode,
    encode: (text) => hf.encode(text, { add_special_tokens: false }).ids,
    encodeWithSpecials: (text) => hf.encode(text, { add_special_tokens: true }).ids,
  };
}

/** Write tokenizer.json + tokenizer_config.json into `dir` atomically (temp file, then rename). */
export function saveTokenizer(dir: string, json: TokenizerJson, modelMaxLength = 512): string {
  mkdirSync(dir, { recursive: true });
  const write = (name: string, value: unknown) => {
    const tmp = join(dir, `.${name}.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify(value, null, 1) + '\n');
    renameSync(tmp, join(dir, name));
  };
  write('tokenizer_config.json', buildTokenizerConfig(modelMaxLength));
  write('tokenizer.json', json);
  return join(dir, 'tokenizer.json');
}
