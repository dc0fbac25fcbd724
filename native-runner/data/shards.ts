// Tokenize a corpus once into on-disk shards, cached by (corpus content hash, tokenizer hash, split).
//
// Layout of one cache entry <cacheDir>/<corpus16>-<tokenizer16>-h<fraction>-s<seed>/:
//   meta.json                        TokenizedMeta (below)
//   <split>-00000.tok                token ids, little-endian uint16 (vocab <= 65536) or uint32
//   <split>-00000.len                uint32 token count of each document in that shard
// A document never straddles two shards. The entry is built in a sibling temp directory and renamed
// into place as a whole, so a killed build leaves no half shard: only a .wb-shard-build-<pid>-* directory
// (with a marker file naming its builder),
// removed by the next build once its process is gone.

import { hostname } from 'node:os';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CorpusHasher, readDocuments, type CorpusOptions, type CorpusPath } from './corpus';
import { DataError } from './errors';
import type { SpecialTokenIds } from './tokenizer-json';
import type { TextTokenizer } from './tokenizer';

export type SplitName = 'train' | 'heldout';

export interface ShardInfo { file: string; lengths: string; documents: number; tokens: number }

export interface TokenizedMeta {
  version: 1;
  corpusHash: string;
  tokenizerHash: string;
  tokenizerPath: string;
  dtype: 'uint16' | 'uint32';
  vocabSize: number;
  specialIds: SpecialTokenIds;
  heldOutFraction: number;
  splitSeed: number;
  splits: Record<SplitName, { documents: number; tokens: number; shards: ShardInfo[] }>;
}

export interface ShardBuildOptions {
  cacheDir: string;
  heldOutFraction?: number;     // share of documents (by text hash) kept out of training (0)
  splitSeed?: number;           // salt of that hash (0)
  shardTokens?: number;         // close a shard once it holds this many tokens (2^22)
  corpus?: CorpusOptions;
  onProgress?: (phase: 'hash' | 'tokenize', documents: number, tokens: number) => void;
}

/** FNV-1a over UTF-16 units, salted: a document's split depends on its text only (duplicates agree). */
export function heldOutByText(text: string, fraction: number, seed: number): boolean {
  if (fraction <= 0) return false;
  let h = (0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0; // final mix so short texts spread too
  h = (h ^ (h >>> 12)) >>> 0;
  return h / 2 ** 32 < fraction;
}

function cacheName(corpusHash: string, tokenizerHash: string, fraction: number, seed: number): string {
  return `${corpusHash.slice(0, 16)}-${tokenizerHash.slice(0, 16)}-h${fraction}-s${seed}`;
}

function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

// A cache dir may be any folder the user named, holding their own files: a name pattern alone once
// matched (and rm -rf'd) a user's "notes.tmp-999999-keep/". Our temp dirs carry a reserved prefix AND
// a marker file inside naming the builder (pid, host); only those, with that builder gone, are swept.
const SHARD_TEMP_PREFIX = '.wb-shard-build-';
const SHARD_TEMP_MARKER = '.workbench-shard-build.json';

function makeShardTemp(cacheDir: string): string {
  const tmp = join(cacheDir, `${SHARD_TEMP_PREFIX}${process.pid}-${Date.now().toString(36)}`);
  mkdirSync(tmp);
  writeFileSync(join(tmp, SHARD_TEMP_MARKER), JSON.stringify({ pid: process.pid, host: hostname() }) + '\n');
  return tmp;
}

/** Remove temp directories of our builds whose process no longer runs; touch nothing else. */
function sweepStaleTemps(cacheDir: string): void {
  if (!existsSync(cacheDir)) return;
  for (const name of readdirSync(cacheDir)) {
    const m = new RegExp(`^${SHARD_TEMP_PREFIX.replace(/[.-]/g, '\\$&')}(\\d+)-[0-9a-z]+$`).exec(name);
    if (!m) continue;
    let marker: { pid?: unknown; host?: unknown };
    try { marker = JSON.parse(readFileSync(join(cacheDir, name, SHARD_TEMP_MARKER), 'utf8')); } catch { continue; }
    if (marker.pid !== Number(m[1]) || marker.host !== hostname() || pidAlive(Number(m[1]))) continue;
    rmSync(join(cacheDir, name), { recursive: true, force: true });
  }
}

class ShardWriter {
  private buf: Uint32Array;
  private n = 0;
  private lengths: number[] = [];
  readonly shards: ShardInfo[] = [];
  documents = 0;
  tokens = 0;
  constructor(private readonly dir: string, private readonly split: SplitName, private readonly dtype: 'uint16' | 'uint32', private readonly shardTokens: number) {
    this.buf = new Uint32Array(Math.min(shardTokens, 1 << 16) + 1024);
  }
  add(ids: number[]): void {
    if (this.n + ids.length > this.buf.length) {
      const grown = new Uint32Array(Math.max(this.buf.length * 2, this.n + ids.length));
      grown.set(this.buf.subarray(0, this.n));
      this.buf = grown;
    }
    for (let i = 0; i < ids.length; i++) this.buf[this.n + i] = ids[i];
    this.n += ids.length;
    this.lengths.push(ids.length);
    this.documents++;
    this.tokens += ids.length;
    if (this.n >= this.shardTokens) this.flush();
  }
  flush(): void {
    if (!this.lengths.length) return;
    const k = String(this.shards.length).padStart(5, '0');
    const file = `${this.split}-${k}.tok`;
    const lengths = `${this.split}-${k}.len`;
    const data = this.dtype === 'uint16' ? Uint16Array.from(this.buf.subarray(0, this.n)) : this.buf.slice(0, this.n);
    writeFileSync(join(this.dir, file), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    writeFileSync(join(this.dir, lengths), new Uint8Array(Uint32Array.from(this.lengths).buffer));
    this.shards.push({ file, lengths, documents: this.lengths.length, tokens: this.n });
    this.n = 0;
    this.lengths = [];
  }
}

/** Hash the corpus, then tokenize it into shards unless the cache already holds them. Returns the entry dir. */
export async function buildShards(corpusPath: CorpusPath, tokenizer: TextTokenizer, opts: ShardBuildOptions): Promise<string> {
  const fraction = opts.heldOutFraction ?? 0;
  const seed = opts.splitSeed ?? 0;
  if (!(fraction >= 0 && fraction < 1)) throw new DataError(`held-out fraction must be in [0, 1), got ${fraction}`);
  const hasher = new CorpusHasher();
  for await (const d of readDocuments(corpusPath, opts.corpus)) {
    hasher.add(d.text);
    if (hasher.documents % 4096 === 0) opts.onProgress?.('hash', hasher.documents, 0);
  }
  opts.onProgress?.('hash', hasher.documents, 0);
  const corpusHash = hasher.digest();
  const dir = join(opts.cacheDir, cacheName(corpusHash, tokenizer.hash, fraction, seed));
  if (existsSync(join(dir, 'meta.json'))) return dir;

  mkdirSync(opts.cacheDir, { recursive: true });
  sweepStaleTemps(opts.cacheDir);
  const tmp = makeShardTemp(opts.cacheDir);
  try {
    const dtype = tokenizer.vocabSize <= 65536 ? 'uint16' : 'uint32';
    const shardTokens = opts.shardTokens ?? 1 << 22;
    const writers = { train: new ShardWriter(tmp, 'train', dtype, shardTokens), heldout: new ShardWriter(tmp, 'heldout', dtype, shardTokens) };
    const check = new CorpusHasher();
    for await (const d of readDocuments(corpusPath, opts.corpus)) {
      check.add(d.text);
      const ids = tokenizer.encode(d.text);
      writers[heldOutByText(d.text, fraction, seed) ? 'heldout' : 'train'].add(ids);
      if (check.documents % 1024 === 0) opts.onProgress?.('tokenize', check.documents, writers.train.tokens + writers.heldout.tokens);
    }
    opts.onProgress?.('tokenize', check.documents, writers.train.tokens + writers.heldout.tokens);
    if (check.digest() !== corpusHash) throw new DataError(`${String(corpusPath)}: corpus changed while it was being tokenized`);
    writers.train.flush();
    writers.heldout.flush();
    const split = (w: ShardWriter) => ({ documents: w.documents, tokens: w.tokens, shards: w.shards });
    const meta: TokenizedMeta = {
      version: 1, corpusHash, tokenizerHash: tokenizer.hash, tokenizerPath: tokenizer.path, dtype,
      vocabSize: tokenizer.vocabSize, specialIds: tokenizer.specialIds, heldOutFraction: fraction, splitSeed: seed,
      splits: { train: split(writers.train), heldout: split(writers.heldout) },
    };
    writeFileSync(join(tmp, 'meta.json'), JSON.stringify(meta, null, 1) + '\n');
    try {
      renameSync(tmp, dir);
    } catch (e) {
      // Another build finished the same entry first: its content is identical, keep it.
      if (!existsSync(join(dir, 'meta.json'))) throw e;
      rmSync(tmp, { recursive: true, force: true });
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return dir;
}

export function readMeta(dir: string): TokenizedMeta {
  const file = join(dir, 'meta.json');
  if (!existsSync(file)) throw new DataError(`${dir}: not a tokenized corpus (no meta.json)`, file);
  return JSON.parse(readFileSync(file, 'utf8')) as TokenizedMeta;
}

/** Random access to the documents of one split: lengths in memory, tokens read from disk on demand. */
export class DocumentStore {
  readonly meta: TokenizedMeta;
  readonly documents: number;
  readonly tokens: number;
  private readonly starts: Float64Array;     // [documents] token offset of each doc within its shard
  private readonly lengths: Uint32Array;     // [documents]
  private readonly shardOf: Uint32Array;     // [documents]
  private readonly fds: number[];
  private readonly bytes: number;

  constructor(readonly dir: string, readonly split: SplitName) {
    this.meta = readMeta(dir);
    const s = this.meta.splits[split];
    this.documents = s.documents;
    this.tokens = s.tokens;
    this.bytes = this.meta.dtype === 'uint16' ? 2 : 4;
    this.starts = new Float64Array(s.documents);
    this.lengths = new Uint32Array(s.documents);
    this.shardOf = new Uint32Array(s.documents);
    let d = 0;
    s.shards.forEach((sh, k) => {
      const raw = readFileSync(join(dir, sh.lengths));
      const lens = new Uint32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
      let off = 0;
      for (const len of lens) {
        this.starts[d] = off; this.lengths[d] = len; this.shardOf[d] = k;
        off += len; d++;
      }
    });
    this.fds = s.shards.map((sh) => openSync(join(dir, sh.file), 'r'));
  }

  docLength(i: number): number {
    return this.lengths[i];
  }

  /** Token ids of document i. */
  readDoc(i: number): Uint32Array {
    const len = this.lengths[i];
    const buf = Buffer.alloc(len * this.bytes);
    if (len) readSync(this.fds[this.shardOf[i]], buf, 0, buf.length, this.starts[i] * this.bytes);
    return this.bytes === 2
      ? Uint32Array.from(new Uint16Array(buf.buffer, buf.byteOffset, len))
      : new Uint32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
  }

  close(): void {
    for (const fd of this.fds) closeSync(fd);
    this.fds.length = 0;
  }

  /** Short id of the data a cursor refers to. */
  get fingerprint(): string {
    return `${basename(this.dir)}/${this.split}`;
  }
}
