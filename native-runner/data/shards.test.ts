import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ObjectiveBatchSource } from './masking';
import { evalBatches, PackedBatchSource, type PackCursor } from './packing';
import { buildShards, DocumentStore, heldOutByText } from './shards';
import { loadTokenizer, type TextTokenizer } from './tokenizer';
import { Rng } from '../util/rng';

const dir = mkdtempSync(join(tmpdir(), 'shards-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tok = loadTokenizer('fixtures/demo-tokenizer');
const { cls, sep, pad, mask } = tok.specialIds;
const lines = readFileSync('fixtures/corpus/wordnet-noun-glosses.txt', 'utf8').split('\n').filter(Boolean);
const corpusFile = join(dir, 'glosses.txt');
writeFileSync(corpusFile, lines.join('\n'));

async function build(opts: { cache: string; heldOut?: number; shardTokens?: number; tokenizer?: TextTokenizer }) {
  let tokenized = 0;
  const d = await buildShards(corpusFile, opts.tokenizer ?? tok, {
    cacheDir: join(dir, opts.cache), heldOutFraction: opts.heldOut ?? 0.1, splitSeed: 7, shardTokens: opts.shardTokens ?? 4000,
    corpus: { txtMode: 'line' }, onProgress: (phase) => { if (phase === 'tokenize') tokenized++; },
  });
  return { dir: d, tokenized };
}

const rows = (ids: BigInt64Array, T: number) => Array.from({ length: ids.length / T }, (_, b) => Array.from(ids.subarray(b * T, (b + 1) * T), Number));

describe('token shards', () => {
  it('hold every document, tokenized, in corpus order, split by text hash into train / held-out', async () => {
    const { dir: d } = await build({ cache: 'c1' });
    const train = new DocumentStore(d, 'train');
    const held = new DocumentStore(d, 'heldout');
    expect(train.meta.dtype).toBe('uint16');
    expect(train.meta.splits.train.shards.length).toBeGreaterThan(3); // 4000-token shards
    const expectTrain = lines.filter((t) => !heldOutByText(t, 0.1, 7));
    const expectHeld = lines.filter((t) => heldOutByText(t, 0.1, 7));
    expect(train.documents).toBe(expectTrain.length);
    expect(held.documents).toBe(expectHeld.length);
    expect(held.documents / lines.length).toBeGreaterThan(0.06);
    expect(held.documents / lines.length).toBeLessThan(0.14);
    for (let i = 0; i < train.documents; i++) expect(Array.from(train.readDoc(i))).toEqual(tok.encode(expectTrain[i]));
    for (let i = 0; i < held.documents; i++) expect(Array.from(held.readDoc(i))).toEqual(tok.encode(expectHeld[i]));
    expect(train.tokens + held.tokens).toBe(lines.reduce((n, t) => n + tok.encode(t).length, 0));
    train.close(); held.close();
  });

  it('are cached by corpus + tokenizer hash: a second build tokenizes nothing', async () => {
    const first = await build({ cache: 'c2' });
    const mtime = statSync(join(first.dir, 'meta.json')).mtimeMs;
    const second = await build({ cache: 'c2' });
    expect(second.dir).toBe(first.dir);
    expect(second.tokenized).toBe(0);
    expect(statSync(join(first.dir, 'meta.json')).mtimeMs).toBe(mtime);
    const other = await build({ cache: 'c2', heldOut: 0.2 });
    expect(other.dir).not.toBe(first.dir);
  });

  it('a failed build leaves no entry and no temp dir; temp dirs of dead builds are swept', async () => {
    const failing: TextTokenizer = { ...tok, hash: 'f'.repeat(64), encode: (t) => { if (t === lines[500]) throw new Error('boom'); return tok.encode(t); } };
    await expect(build({ cache: 'c3', tokenizer: failing })).rejects.toThrow('boom');
    expect(readdirSync(join(dir, 'c3'))).toEqual([]);
    // A build killed mid-way leaves .wb-shard-build-<pid>-* with its marker; once that pid is gone the next build removes it.
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();
    const stale = join(dir, 'c3', `.wb-shard-build-${dead}-x1`);
    mkdirSync(stale);
    writeFileSync(join(stale, '.workbench-shard-build.json'), JSON.stringify({ pid: Number(dead), host: hostname() }));
    writeFileSync(join(stale, 'train-00000.tok'), 'half a shard');
    // Item 11: the user's own folders in a cache dir they chose survive, whatever their names.
    const userDirs = [`notes.tmp-${dead}-keep`, `.wb-shard-build-${dead}-y2`, `0123456789abcdef-0123456789abcdef-h0.1-s7.tmp-${dead}-x`];
    for (const u of userDirs) {
      mkdirSync(join(dir, 'c3', u));
      writeFileSync(join(dir, 'c3', u, 'precious.txt'), 'mine');
    }
    const { dir: d } = await build({ cache: 'c3' });
    expect(existsSync(stale)).toBe(false);
    expect(readdirSync(join(dir, 'c3')).sort()).toEqual([d.split('/').pop(), ...userDirs].sort());
    for (const u of userDirs) expect(readFileSync(join(dir, 'c3', u, 'precious.txt'), 'utf8')).toBe('mine');
  });

  it('use uint32 when the id space exceeds 65536', async () => {
    const json = JSON.parse(readFileSync('fixtures/demo-tokenizer/tokenizer.json', 'utf8'));
    json.added_tokens.push({ id: 70000, content: '[EXTRA]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
    mkdirSync(join(dir, 'wide'), { recursive: true });
    writeFileSync(join(dir, 'wide', 'tokenizer.json'), JSON.stringify(json));
    const wide = loadTokenizer(join(dir, 'wide'));
    expect(wide.vocabSize).toBe(70001);
    writeFileSync(corpusFile + '.extra.txt', 'before [EXTRA] after\n\nplain text\n');
    const d = await buildShards(corpusFile + '.extra.txt', wide, { cacheDir: join(dir, 'c4') });
    const store = new DocumentStore(d, 'train');
    expect(store.meta.dtype).toBe('uint32');
    expect(Array.from(store.readDoc(0))).toEqual(wide.encode('before [EXTRA] after'));
    expect(Array.from(store.readDoc(0))).toContain(70000);
    expect(Array.from(store.readDoc(1))).toEqual(wide.encode('plain text'));
    store.close();
  });
});

describe('packing and batches', () => {
  it('rows start with [CLS], documents end with [SEP], and the stream is the epoch order of documents', async () => {
    const { dir: d } = await build({ cache: 'c1' });
    const store = new DocumentStore(d, 'train');
    const T = 64, B = 4;
    const src = new PackedBatchSource(store, { seqLen: T, batchSize: B, seed: 3 });
    const stream: number[] = [];
    for (let k = 0; k < 40; k++) {
      const b = src.next();
      expect(b.index).toBe(k);
      expect(b.attentionMask.every((m) => m === 1n)).toBe(true);
      expect(b.labels.every((l) => l === -100n)).toBe(true);
      for (const r of rows(b.inputIds, T)) { expect(r[0]).toBe(cls); stream.push(...r.slice(1)); }
    }
    // Rebuild the expected stream from the documents in the epoch-0 order.
    const { epochOrder } = await import('./packing');
    const order = epochOrder(store.documents, 3, 0);
    const expected: number[] = [];
    for (let i = 0; expected.length < stream.length; i++) expected.push(...store.readDoc(order[i]), sep);
    expect(stream).toEqual(expected.slice(0, stream.length));
    expect(Array.from(order.slice(0, 10))).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    store.close();
  });

  it('same seed gives the same batches, another seed others; a resume mid-epoch continues identically', async () => {
    const { dir: d } = await build({ cache: 'c1' });
    const store = new DocumentStore(d, 'train');
    const opts = { seqLen: 32, batchSize: 8, seed: 11 };
    // ~1,080 train documents of ~20 tokens: an epoch is ~85 batches, so 150 batches cross into epoch 1.
    const a = new PackedBatchSource(store, opts);
    const b = new PackedBatchSource(store, opts);
    const c = new PackedBatchSource(store, { ...opts, seed: 12 });
    const A: number[][][] = [], C: number[][][] = [];
    let saved: PackCursor | null = null;
    for (let k = 0; k < 150; k++) {
      if (k === 37) saved = JSON.parse(JSON.stringify(a.cursor())) as PackCursor;
      const x = a.next();
      A.push(rows(x.inputIds, 32));
      expect(rows(b.next().inputIds, 32)).toEqual(A[k]);
      C.push(rows(c.next().inputIds, 32));
    }
    expect(C).not.toEqual(A);
    expect(a.cursor().epoch).toBeGreaterThanOrEqual(1);
    expect(saved!.epoch).toBe(0);
    expect(saved!.doc).toBeGreaterThan(0);
    const resumed = new PackedBatchSource(store, opts);
    resumed.seek(saved!);
    for (let k = 37; k < 150; k++) {
      const x = resumed.next();
      expect(x.index).toBe(k);
      expect(rows(x.inputIds, 32)).toEqual(A[k]);
    }
    expect(() => new PackedBatchSource(store, { ...opts, seqLen: 64 }).seek(saved!)).toThrow(/data cursor is for/);
    store.close();
  });

  it('plugs into masking.ts: MLM batches resume identically, masks included', async () => {
    const { dir: d } = await build({ cache: 'c1' });
    const store = new DocumentStore(d, 'train');
    const make = () => {
      const s = new ObjectiveBatchSource(new PackedBatchSource(store, { seqLen: 48, batchSize: 4, seed: 5 }), Rng.seeded(99, 'mask'));
      s.setObjective({ objective: 'mlm', mlm: { rate: 0.3, maskTokenId: mask, vocabSize: tok.vocabSize, specialIds: [cls, sep, pad, mask, tok.specialIds.unk!] } });
      return s;
    };
    const first = make();
    for (let k = 0; k < 10; k++) first.next();
    const cursor = JSON.parse(JSON.stringify(first.cursor()));
    const expected = Array.from({ length: 5 }, () => first.next());
    const second = make();
    second.seek(cursor);
    for (const e of expected) {
      const got = second.next();
      expect(Array.from(got.inputIds)).toEqual(Array.from(e.inputIds));
      expect(Array.from(got.labels)).toEqual(Array.from(e.labels));
    }
    expect(expected[0].labels.some((l) => l !== -100n)).toBe(true);
    store.close();
  });

  it('evalBatches covers a split once, in order, padding the last row', async () => {
    const { dir: d } = await build({ cache: 'c1' });
    const store = new DocumentStore(d, 'heldout');
    const T = 40;
    const all = [...evalBatches(store, T, 3)];
    const stream: number[] = [];
    for (const b of all) {
      rows(b.inputIds, T).forEach((r, i) => {
        const m = rows(b.attentionMask, T)[i];
        expect(r[0]).toBe(cls);
        const n = m.indexOf(0) < 0 ? T : m.indexOf(0);
        expect(m.slice(n).every((x) => x === 0)).toBe(true);
        expect(r.slice(n).every((x) => x === pad)).toBe(true);
        stream.push(...r.slice(1, n));
      });
    }
    const expected: number[] = [];
    for (let i = 0; i < store.documents; i++) expected.push(...store.readDoc(i), sep);
    expect(stream).toEqual(expected);
    expect(all.at(-1)!.batchSize).toBeLessThanOrEqual(3);
    store.close();
  });
});
