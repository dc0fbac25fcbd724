// Byte-level BPE trainer producing a ModernBERT-shaped tokenizer.json.
//
// Why our own: no npm package trains a BPE with a chosen vocabulary size. @huggingface/tokenizers
// (tokenizers.js) only loads and encodes; the `tokenizers` package (Rust binding, 64 MB of prebuilt
// .node files) exposes `Tokenizer.train(files)` with no trainer argument - its Trainer class has no
// constructor or options, so vocab_size / special tokens / min_frequency cannot be set.
//
// Algorithm (as in HF's BpeTrainer): pre-tokenize with the ByteLevel regex, count distinct words,
// start from the 256 byte symbols, then repeatedly merge the most frequent adjacent pair (ties: the
// lexicographically smallest pair of token strings, so training is deterministic), updating pair
// counts only in the words that contain the merged pair.

import { BYTE_TO_CHAR, preTokenize } from './byte-level';
import { DataError } from './errors';
import { buildTokenizerJson, MODERNBERT_SPECIALS, type TokenizerJson } from './tokenizer-json';

export interface BpeTrainOptions {
  vocabSize: number;               // total ids including the 256 bytes and the 5 special tokens
  minFrequency?: number;           // a pair must occur at least this often to be merged (2)
  onProgress?: (merges: number, target: number) => void;
}

/** Counts distinct byte-level pre-tokens of a stream of documents (the trainer's only input). */
export class WordCounter {
  readonly counts = new Map<string, number>();
  add(text: string): void {
    for (const w of preTokenize(text)) this.counts.set(w, (this.counts.get(w) ?? 0) + 1);
  }
}

const PAIR_SHIFT = 2 ** 20;        // pair key = a * 2^20 + b; ids stay below 2^20
const pairKey = (a: number, b: number) => a * PAIR_SHIFT + b;

/** Max-heap on (count desc, token-string pair asc) with lazy deletion of stale entries. */
class PairHeap {
  private readonly items: { key: number; count: number }[] = [];
  constructor(private readonly tokens: string[]) {}
  private better(x: { key: number; count: number }, y: { key: number; count: number }): boolean {
    if (x.count !== y.count) return x.count > y.count;
    const xa = this.tokens[Math.floor(x.key / PAIR_SHIFT)], ya = this.tokens[Math.floor(y.key / PAIR_SHIFT)];
    if (xa !== ya) return xa < ya;
    return this.tokens[x.key % PAIR_SHIFT] < this.tokens[y.key % PAIR_SHIFT];
  }
  push(key: number, count: number): void {
    const it = this.items;
    it.push({ key, count });
    let i = it.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.better(it[i], it[p])) break;
      [it[i], it[p]] = [it[p], it[i]];
      i = p;
    }
  }
  pop(): { key: number; count: number } | undefined {
    const it = this.items;
    if (!it.length) return undefined;
    const top = it[0];
    const last = it.pop()!;
    if (it.length) {
      it[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < it.length && this.better(it[l], it[m])) m = l;
        if (r < it.length && this.better(it[r], it[m])) m = r;
        if (m === i) break;
        [it[i], it[m]] = [it[m], it[i]];
        i = m;
      }
    }
    return top;
  }
}

/** Train merges on word counts; returns the BPE vocabulary (ids 0..n-1) and merges in rank order. */
export function trainBpe(wordCounts: Map<string, number>, opts: BpeTrainOptions): { tokens: string[]; merges: [string, string][] } {
  const minFreq = opts.minFrequency ?? 2;
  const target = opts.vocabSize - MODERNBERT_SPECIALS.length - 256;
  if (target < 0) throw new DataError(`vocabulary size ${opts.vocabSize} is below 256 bytes + ${MODERNBERT_SPECIALS.length} special tokens`);
  if (opts.vocabSize >= PAIR_SHIFT) throw new DataError(`vocabulary size ${opts.vocabSize} is too large (max ${PAIR_SHIFT - 1})`);
  const tokens = [...BYTE_TO_CHAR];
  const byteId = new Map(BYTE_TO_CHAR.map((c, i) => [c, i]));
  const words: number[][] = [];
  const freq: number[] = [];
  for (const [w, c] of wordCounts) {
    words.push(Array.from(w, (ch) => byteId.get(ch)!));
    freq.push(c);
  }
  const pairCount = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const addWord = (wi: number, sign: 1 | -1, touched: Set<number>) => {
    const w = words[wi];
    for (let i = 0; i < w.length - 1; i++) {
      const k = pairKey(w[i], w[i + 1]);
      pairCount.set(k, (pairCount.get(k) ?? 0) + sign * freq[wi]);
      touched.add(k);
      if (sign > 0) {
        let s = where.get(k);
        if (!s) where.set(k, (s = new Set()));
        s.add(wi);
      }
    }
  };
  const heap = new PairHeap(tokens);
  const initial = new Set<number>();
  for (let wi = 0; wi < words.length; wi++) addWord(wi, 1, initial);
  for (const k of initial) heap.push(k, pairCount.get(k)!);

  const merges: [string, string][] = [];
  while (merges.length < target) {
    const top = heap.pop();
    if (!top) break;
    if (pairCount.get(top.key) !== top.count) continue; // stale entry
    if (top.count < minFreq) break;
    const a = Math.floor(top.key / PAIR_SHIFT), b = top.key % PAIR_SHIFT;
    const id = tokens.length;
    tokens.push(tokens[a] + tokens[b]);
    merges.push([tokens[a], tokens[b]]);
    const touched = new Set<number>();
    for (const wi of where.get(top.key) ?? []) {
      const w = words[wi];
      let has = false;
      for (let i = 0; i < w.length - 1; i++) if (w[i] === a && w[i + 1] === b) { has = true; break; }
      if (!has) continue;
      addWord(wi, -1, touched);
      const merged: number[] = [];
      for (let i = 0; i < w.length; i++) {
        if (i < w.length - 1 && w[i] === a && w[i + 1] === b) { merged.push(id); i++; }
        else merged.push(w[i]);
      }
      words[wi] = merged;
      addWord(wi, 1, touched);
    }
    where.delete(top.key);
    for (const k of touched) {
      const c = pairCount.get(k)!;
      if (c > 0) heap.push(k, c);
      else pairCount.delete(k);
    }
    opts.onProgress?.(merges.length, target);
  }
  return { tokens, merges };
}

/** Train from documents and return the tokenizer.json object (specials follow the BPE vocabulary). */
export async function trainTokenizer(docs: AsyncIterable<string> | Iterable<string>, opts: BpeTrainOptions): Promise<TokenizerJson> {
  const counter = new WordCounter();
  for await (const d of docs) counter.add(d);
  if (counter.counts.size === 0) throw new DataError('cannot train a tokenizer on an empty corpus');
  const { tokens, merges } = trainBpe(counter.counts, opts);
  return buildTokenizerJson(tokens, merges);
}
