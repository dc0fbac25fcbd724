// The settings a probe set's activations were extracted under: what decides the model's inputs
// (tokenizer, truncation) and, for 'tokens' pooling, which positions were sampled. They are stored
// with every activation block (meta.json for the runner's files, a JSON column in SQLite), so that
// two sets are compared only when they saw the same inputs: CKA between texts cut at 64 tokens and
// texts cut at 128 would measure the truncation, not the weights.
import { createHash } from 'node:crypto';

export const DEFAULT_TOKENS_PER_TEXT = 4;
export const DEFAULT_POSITION_SEED = 0;

export interface ExtractionSettings {
  max_length: number | null;    // truncation asked for (tokens incl. [CLS]/[SEP]); null: none (the longest text)
  truncated_to: number;         // the length texts were actually cut at: min(max_length, longest text, max_position_embeddings)
  tokenizer_sha256: string;     // sha256 of the tokenizer.json bytes
  tokenizer_path: string;       // where it was read from (descriptive: not part of the identity)
  input_ids_sha256: string;     // over every text's truncated ids: equal ⇔ the model saw the same inputs
  tokens_per_text: number;      // k of 'tokens' pooling
  position_seed: number;        // seed of the sampled 'tokens' positions
}

/** Sequence length of the extraction: texts longer than this are cut (shared with extract.ts). */
export function truncationLength(ids: number[][], maxLength: number | undefined, maxPositionEmbeddings: number): number {
  const longest = Math.max(...ids.map((x) => x.length));
  return Math.min(maxLength ?? longest, longest, maxPositionEmbeddings);
}

export function extractionSettings(o: {
  ids: number[][];                      // framed token ids of every probe text, before truncation
  maxLength?: number;
  maxPositionEmbeddings: number;
  tokenizer: { path: string; hash: string };
  tokensPerText?: number;
  positionSeed?: number;
}): ExtractionSettings {
  if (o.ids.length === 0) throw new Error('probe set is empty: nothing to run through the model');
  const T = truncationLength(o.ids, o.maxLength, o.maxPositionEmbeddings);
  const h = createHash('sha256');
  for (const x of o.ids) h.update(JSON.stringify(x.slice(0, T))).update('\n');
  return {
    max_length: o.maxLength ?? null,
    truncated_to: T,
    tokenizer_sha256: o.tokenizer.hash,
    tokenizer_path: o.tokenizer.path,
    input_ids_sha256: h.digest('hex'),
    tokens_per_text: o.tokensPerText ?? DEFAULT_TOKENS_PER_TEXT,
    position_seed: o.positionSeed ?? DEFAULT_POSITION_SEED,
  };
}

/** Validates settings read back from a file or the database; `where` names the source in errors. */
export function parseExtractionSettings(v: unknown, where: string): ExtractionSettings {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${where}: extraction settings must be an object, got ${JSON.stringify(v)}`);
  const o = v as Record<string, unknown>;
  const posInt = (k: string, min: number) => {
    if (!Number.isInteger(o[k]) || (o[k] as number) < min) throw new Error(`${where}: extraction.${k} must be an integer >= ${min}, got ${JSON.stringify(o[k])}`);
    return o[k] as number;
  };
  const str = (k: string) => {
    if (typeof o[k] !== 'string' || o[k] === '') throw new Error(`${where}: extraction.${k} must be a non-empty string, got ${JSON.stringify(o[k])}`);
    return o[k] as string;
  };
  return {
    max_length: o.max_length === null ? null : posInt('max_length', 1),
    truncated_to: posInt('truncated_to', 1),
    tokenizer_sha256: str('tokenizer_sha256'),
    tokenizer_path: str('tokenizer_path'),
    input_ids_sha256: str('input_ids_sha256'),
    tokens_per_text: posInt('tokens_per_text', 1),
    position_seed: posInt('position_seed', 0),
  };
}

/** The fields that identify an extraction (the tokenizer's path is only where it was found). */
export function extractionIdentity(s: ExtractionSettings): Omit<ExtractionSettings, 'tokenizer_path'> {
  const { tokenizer_path: _path, ...identity } = s;
  void _path;
  return identity;
}

export function sameExtraction(a: ExtractionSettings, b: ExtractionSettings): boolean {
  return JSON.stringify(extractionIdentity(a)) === JSON.stringify(extractionIdentity(b));
}

export interface SettingDifference {
  setting: 'max_length' | 'tokenizer' | 'input ids' | 'tokens_per_text' | 'position_seed';
  a: string; // how side a was logged, e.g. "max_length 64"
  b: string;
}

function describeTruncation(s: ExtractionSettings): string {
  if (s.max_length === s.truncated_to) return `max_length ${s.max_length}`;
  return `max_length ${s.max_length ?? 'unset'} (texts cut at ${s.truncated_to} tokens)`;
}

/**
 * The first setting under which two extractions of the same probe set saw different inputs, or null
 * when they are comparable. The truncated ids decide: other max_length values or tokenizer files that
 * give the very same ids (no text was long enough to be cut; a re-saved tokenizer) are no difference.
 * The sampling settings matter only for 'tokens' pooling.
 */
export function extractionDifference(a: ExtractionSettings, b: ExtractionSettings, pooling: string): SettingDifference | null {
  if (a.input_ids_sha256 !== b.input_ids_sha256) {
    if (a.truncated_to !== b.truncated_to) return { setting: 'max_length', a: describeTruncation(a), b: describeTruncation(b) };
    if (a.tokenizer_sha256 !== b.tokenizer_sha256) {
      const t = (s: ExtractionSettings) => `tokenizer ${s.tokenizer_path} (sha256 ${s.tokenizer_sha256.slice(0, 12)}…)`;
      return { setting: 'tokenizer', a: t(a), b: t(b) };
    }
    const ids = (s: ExtractionSettings) => `input ids sha256 ${s.input_ids_sha256.slice(0, 12)}…`;
    return { setting: 'input ids', a: ids(a), b: ids(b) };
  }
  if (pooling === 'tokens') {
    if (a.tokens_per_text !== b.tokens_per_text) return { setting: 'tokens_per_text', a: `tokens_per_text ${a.tokens_per_text}`, b: `tokens_per_text ${b.tokens_per_text}` };
    if (a.position_seed !== b.position_seed) return { setting: 'position_seed', a: `position_seed ${a.position_seed}`, b: `position_seed ${b.position_seed}` };
  }
  return null;
}
