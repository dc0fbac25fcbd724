// INTERIM data source: packed rows over one plain text file with a character-level vocabulary.
// It exists so the training loop is testable end to end before the real data pipeline (data/:
// tokenizer.json, shards, held-out split) lands; the loop only sees the BatchSource interface, so the
// real source drops in. The whole file is read into memory (fine for fixtures and demos).
//
// Vocabulary: ids 0..4 are [PAD] [CLS] [SEP] [MASK] [UNK], then the file's distinct characters in
// code-point order. Documents are the file's non-empty lines. The token stream is doc [SEP] doc [SEP]
// ...; row r of an epoch is [CLS] followed by the stream's tokens r·(T−1) .. (r+1)·(T−1)−1. Rows are
// visited in a seeded permutation per epoch, so the cursor is just {epoch, index}.

import { readFileSync } from 'node:fs';
import type { Batch, BatchSource } from './step-api';
import { Rng } from '../util/rng';

export const CHAR_SPECIALS = { pad: 0, cls: 1, sep: 2, mask: 3, unk: 4 } as const;
const SPECIAL_TOKENS = ['[PAD]', '[CLS]', '[SEP]', '[MASK]', '[UNK]'];

export interface CharVocab { tokens: string[]; index: Map<string, number> }

export function buildCharVocab(text: string): CharVocab {
  const chars = [...new Set(Array.from(text.replace(/\r?\n/g, '')))].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  const tokens = [...SPECIAL_TOKENS, ...chars];
  return { tokens, index: new Map(tokens.map((t, i) => [t, i])) };
}

export interface CharCursor { epoch: number; index: number }

export class CharTextBatches implements BatchSource<CharCursor> {
  readonly vocab: CharVocab;
  readonly stream: Int32Array;        // doc [SEP] doc [SEP] ...
  readonly rowsPerEpoch: number;
  private epoch = 0;
  private index = 0;
  private order: Uint32Array;

  constructor(readonly path: string, readonly batchSize: number, readonly seqLen: number, readonly seed: number) {
    let text: string;
    try { text = readFileSync(path, 'utf8'); } catch (e) { throw new Error(`cannot read corpus ${path}: ${(e as Error).message}`); }
    if (text.includes('\uFFFD')) throw new Error(`corpus ${path} is not valid UTF-8 text`);
    this.vocab = buildCharVocab(text);
    const ids: number[] = [];
    for (const line of text.split(/\r?\n/)) {
      if (!line.trim()) continue;
      for (const ch of line) ids.push(this.vocab.index.get(ch) ?? CHAR_SPECIALS.unk);
      ids.push(CHAR_SPECIALS.sep);
    }
    this.stream = Int32Array.from(ids);
    this.rowsPerEpoch = Math.floor(this.stream.length / (seqLen - 1));
    if (this.rowsPerEpoch < 1) throw new Error(`corpus ${path} has ${this.stream.length} tokens; a row needs ${seqLen - 1}`);
    this.order = this.permutation(0);
  }

  get vocabSize(): number { return this.vocab.tokens.length; }

  private permutation(epoch: number): Uint32Array {
    const p = Uint32Array.from({ length: this.rowsPerEpoch }, (_, i) => i);
    Rng.seeded(this.seed, `char-rows:${epoch}`).shuffle(p);
    return p;
  }

  next(): Batch {
    const B = this.batchSize, T = this.seqLen;
    const inputIds = new BigInt64Array(B * T);       // [B, T]
    const attentionMask = new BigInt64Array(B * T).fill(1n);
    for (let b = 0; b < B; b++) {
      if (this.index === this.rowsPerEpoch) { this.epoch++; this.index = 0; this.order = this.permutation(this.epoch); }
      const start = this.order[this.index++] * (T - 1);
      inputIds[b * T] = BigInt(CHAR_SPECIALS.cls);
      for (let t = 1; t < T; t++) inputIds[b * T + t] = BigInt(this.stream[start + t - 1]);
    }
    return { batchSize: B, seqLen: T, inputIds, attentionMask, labels: new BigInt64Array(B * T).fill(-100n) };
  }

  cursor(): CharCursor { return { epoch: this.epoch, index: this.index }; }

  seek(c: CharCursor): void {
    if (!Number.isInteger(c?.epoch) || !Number.isInteger(c?.index) || c.index < 0 || c.index > this.rowsPerEpoch)
      throw new Error(`invalid data cursor ${JSON.stringify(c)} for ${this.path} (${this.rowsPerEpoch} rows per epoch)`);
    this.epoch = c.epoch; this.index = c.index; this.order = this.permutation(c.epoch);
  }

  /** Unigram entropy (nats) of the token stream: the loss floor of a context-free model. */
  unigramEntropy(): number {
    const counts = new Map<number, number>();
    for (const t of this.stream) counts.set(t, (counts.get(t) ?? 0) + 1);
    let h = 0;
    for (const c of counts.values()) { const p = c / this.stream.length; h -= p * Math.log(p); }
    return h;
  }
}
