import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { afterAll, describe, expect, it } from 'vitest';
import { BYTE_TO_CHAR } from './byte-level';
import { trainTokenizer } from './bpe-trainer';
import { DataError } from './errors';
import { loadTokenizer, saveTokenizer } from './tokenizer';
import type { BpeModelJson, TokenizerJson } from './tokenizer-json';

const dir = mkdtempSync(join(tmpdir(), 'tokenizer-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Real English text: 1,200 WordNet glosses (fixtures/README.md).
const corpus = readFileSync('fixtures/corpus/wordnet-noun-glosses.txt', 'utf8').split('\n').filter(Boolean);
const TRICKY = [
  'Hello  world!!  \n\n  tabs\tand ünïcödé 😀 日本語 — “quotes”',
  "it's we'll they'd I'M 1234567 3.14 $5,000",
  'a [MASK] b', 'x   [MASK]', '[CLS][SEP] x [MASK][MASK]  [PAD] [UNK]', '[mask] [MASK',
  '   leading', 'trailing   ', ' ', 'zzzzzzzzzzzzzzzzzzzzzzz qqqq', '\u0000\u0007 control',
];

describe('byte-level BPE trainer', () => {
  it('trains exactly the requested vocabulary size, deterministically, with ModernBERT special tokens', async () => {
    const a = await trainTokenizer(corpus, { vocabSize: 600 });
    const b = await trainTokenizer(corpus, { vocabSize: 600 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    const model = a.model as BpeModelJson;
    expect(Object.keys(model.vocab).length + a.added_tokens.length).toBe(600);
    expect(model.merges.length).toBe(600 - 256 - 5);
    expect(a.added_tokens.map((t) => [t.content, t.id, t.lstrip, t.special])).toEqual([
      ['[UNK]', 595, false, true], ['[CLS]', 596, false, true], ['[SEP]', 597, false, true],
      ['[PAD]', 598, false, true], ['[MASK]', 599, true, true],
    ]);
    for (const ch of BYTE_TO_CHAR) expect(model.vocab[ch]).toBeLessThan(256);
    // The most frequent merge of English glosses with the GPT-2 regex: " t"/"he"/" a"-like pairs.
    expect((model.merges[0] as string).split(' ').join('')).toMatch(/^(Ġ[a-z]|[a-z]{2})$/);
  });

  it('stops early when no pair is frequent enough, and refuses impossible sizes', async () => {
    const small = await trainTokenizer(['ab ab ab', 'cd'], { vocabSize: 1000 });
    expect((small.model as BpeModelJson).merges.length).toBeLessThan(10);
    await expect(trainTokenizer(['x'], { vocabSize: 100 })).rejects.toThrow(DataError);
    await expect(trainTokenizer([], { vocabSize: 300 })).rejects.toThrow('empty corpus');
  });
});

describe('tokenizer.json loading', () => {
  it('our trained tokenizer loads in @huggingface/tokenizers with ids identical to our encoder', async () => {
    const json = await trainTokenizer(corpus, { vocabSize: 1024 });
    const file = saveTokenizer(join(dir, 'trained'), json);
    const ours = loadTokenizer(file, 'bpe');
    const hf = new HfTokenizer(JSON.parse(readFileSync(file, 'utf8')), JSON.parse(readFileSync(join(dir, 'trained', 'tokenizer_config.json'), 'utf8')));
    let compared = 0;
    for (const text of [...corpus, ...TRICKY]) {
      expect(ours.encode(text)).toEqual(hf.encode(text, { add_special_tokens: false }).ids);
      expect(ours.encodeWithSpecials(text)).toEqual(hf.encode(text).ids);
      compared++;
    }
    expect(compared).toBe(corpus.length + TRICKY.length);
    expect(ours.specialIds).toEqual({ unk: 1019, cls: 1020, sep: 1021, pad: 1022, mask: 1023 });
    expect(ours.vocabSize).toBe(1024);
    // [MASK] absorbs the spaces on its left (lstrip), like ModernBERT's.
    expect(ours.encode('x   [MASK]')).toEqual([...ours.encode('x'), 1023]);
    for (const text of corpus.slice(0, 50)) expect(ours.decode(ours.encode(text))).toBe(text);
  });

  it('the shipped demo tokenizer agrees with the library, and the library engine matches ours', () => {
    const ours = loadTokenizer('fixtures/demo-tokenizer');
    const lib = loadTokenizer('fixtures/demo-tokenizer', 'hf');
    expect(ours.engine).toBe('bpe');
    expect(ours.hash).toBe(lib.hash);
    expect(ours.vocabSize).toBe(4096);
    expect(ours.specialIds).toEqual({ unk: 4091, cls: 4092, sep: 4093, pad: 4094, mask: 4095 });
    for (const text of [...corpus.slice(0, 300), ...TRICKY]) expect(ours.encode(text)).toEqual(lib.encode(text));
  });

  it('falls back to the library for other tokenizer.json kinds (WordPiece-style BERT)', () => {
    const vocab: Record<string, number> = { '[PAD]': 0, '[UNK]': 1, '[CLS]': 2, '[SEP]': 3, '[MASK]': 4, the: 5, cat: 6, sat: 7, '##s': 8 };
    const json = {
      version: '1.0', truncation: null, padding: null,
      added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
      normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: { type: 'BertProcessing', sep: ['[SEP]', 3], cls: ['[CLS]', 2] },
      decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
    };
    writeFileSync(join(dir, 'wordpiece.json'), JSON.stringify(json));
    const tok = loadTokenizer(join(dir, 'wordpiece.json'));
    expect(tok.engine).toBe('hf');
    expect(tok.encode('The cats sat')).toEqual([5, 6, 8, 7]);
    expect(tok.encodeWithSpecials('the dog')).toEqual([2, 5, 1, 3]);
    expect(tok.specialIds).toEqual({ unk: 1, cls: 2, sep: 3, pad: 0, mask: 4 });
    expect(() => loadTokenizer(join(dir, 'wordpiece.json'), 'bpe')).toThrow(/not a plain byte-level BPE tokenizer \(model type WordPiece/);
  });

  it('bad tokenizer files give clear errors', () => {
    expect(() => loadTokenizer(join(dir, 'missing'))).toThrow(`${join(dir, 'missing')}: no such tokenizer file or directory`);
    writeFileSync(join(dir, 'broken.json'), '{"model": ');
    expect(() => loadTokenizer(join(dir, 'broken.json'))).toThrow(/broken\.json: not valid JSON/);
    const noMask = JSON.parse(readFileSync('fixtures/demo-tokenizer/tokenizer.json', 'utf8')) as TokenizerJson;
    noMask.added_tokens = noMask.added_tokens.filter((t) => t.content !== '[MASK]');
    writeFileSync(join(dir, 'nomask.json'), JSON.stringify(noMask));
    expect(() => loadTokenizer(join(dir, 'nomask.json'))).toThrow(/nomask\.json: tokenizer has no mask token/);
  });
});
