// Extraction settings: what they record, when two of them describe different inputs, and that
// settings read back from a file or the database are validated with errors naming the field.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { presetConfig } from '../model/config';
import { initParameters } from '../model/init';
import { extractActivations } from './extract';
import { extractionDifference, extractionSettings, parseExtractionSettings, sameExtraction } from './extraction-settings';
import { readActivationDir, writeActivationDir } from './store-files';

// Framed texts of 3 .. 12 tokens ([CLS] = 1 … [SEP] = 2).
const ids = [3, 9, 5, 12, 4].map((len, i) => [1, ...Array.from({ length: len - 2 }, (_, j) => 3 + ((i * 7 + j * 5) % 37)), 2]);
const tokA = { path: '/tok/a/tokenizer.json', hash: 'a'.repeat(64) };
const tokB = { path: '/tok/b/tokenizer.json', hash: 'b'.repeat(64) };
const settings = (o: Partial<Parameters<typeof extractionSettings>[0]> = {}) => extractionSettings({ ids, maxPositionEmbeddings: 512, tokenizer: tokA, ...o });

describe('extraction settings', () => {
  it('record the asked and the effective truncation, the tokenizer, the ids and the sampling', () => {
    expect(settings({ maxLength: 8, tokensPerText: 2 })).toMatchObject({
      max_length: 8, truncated_to: 8, tokenizer_sha256: tokA.hash, tokenizer_path: tokA.path, tokens_per_text: 2, position_seed: 0,
    });
    // No max_length: the longest text; a small model's positions cap it too.
    expect(settings()).toMatchObject({ max_length: null, truncated_to: 12, tokens_per_text: 4 });
    expect(settings({ maxLength: 64, maxPositionEmbeddings: 10 }).truncated_to).toBe(10);
  });

  it('differ only where the inputs differ: the truncated ids decide', () => {
    const cut8 = settings({ maxLength: 8 });
    const cut10 = settings({ maxLength: 10 });
    expect(extractionDifference(cut8, cut10, 'mean')).toEqual({ setting: 'max_length', a: 'max_length 8', b: 'max_length 10' });
    expect(extractionDifference(cut8, settings(), 'mean')).toEqual({ setting: 'max_length', a: 'max_length 8', b: 'max_length unset (texts cut at 12 tokens)' });
    // 64 and 128 cut nothing here: the same inputs, comparable (though not the same recorded settings).
    expect(extractionDifference(settings({ maxLength: 64 }), settings({ maxLength: 128 }), 'mean')).toBeNull();
    expect(sameExtraction(settings({ maxLength: 64 }), settings({ maxLength: 128 }))).toBe(false);
    // Another tokenizer file giving the same ids is no difference; giving other ids is.
    expect(extractionDifference(cut8, settings({ maxLength: 8, tokenizer: tokB }), 'mean')).toBeNull();
    const otherIds = extractionSettings({ ids: ids.map((x) => x.map((t) => (t > 2 ? t + 1 : t))), maxLength: 8, maxPositionEmbeddings: 512, tokenizer: tokB });
    expect(extractionDifference(cut8, otherIds, 'mean')).toEqual({
      setting: 'tokenizer', a: `tokenizer ${tokA.path} (sha256 aaaaaaaaaaaa…)`, b: `tokenizer ${tokB.path} (sha256 bbbbbbbbbbbb…)`,
    });
    // Sampling settings matter for 'tokens' pooling only.
    const k2 = settings({ maxLength: 8, tokensPerText: 2 });
    expect(extractionDifference(cut8, k2, 'mean')).toBeNull();
    expect(extractionDifference(cut8, k2, 'tokens')).toEqual({ setting: 'tokens_per_text', a: 'tokens_per_text 4', b: 'tokens_per_text 2' });
    expect(extractionDifference(cut8, settings({ maxLength: 8, positionSeed: 5 }), 'tokens')?.setting).toBe('position_seed');
    expect(sameExtraction(cut8, { ...cut8, tokenizer_path: '/elsewhere/tokenizer.json' })).toBe(true);
  });

  it('use the very truncation the extraction does', async () => {
    const cfg = presetConfig('tiny', { vocab_size: 40, pad_token_id: 0, cls_token_id: 1, sep_token_id: 2 });
    const params = initParameters(cfg, 3);
    // Texts cut at the recorded length give the same activations as passing those cut texts whole.
    const s = settings({ maxLength: 6 });
    const cut = await extractActivations(cfg, params, ids, { maxLength: 6, poolings: ['mean'], intraOpThreads: 1 });
    const pre = await extractActivations(cfg, params, ids.map((x) => x.slice(0, s.truncated_to)), { poolings: ['mean'], intraOpThreads: 1 });
    expect(Array.from(cut[2].data)).toEqual(Array.from(pre[2].data));
  });

  it('are validated when read back, naming the file and field; old files without them still read', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-xs-'));
    try {
      const meta = { format: 'encoder-workbench/activations@1' as const, probe_sha256: 'c'.repeat(64), probe_path: '/p.jsonl', texts: 1, layers: 1, poolings: ['mean' as const], tokens_per_text: 4, max_length: 8 };
      const sets = [{ layer: 0, pooling: 'mean' as const, shape: [1, 2] as [number, number], data: new Float32Array([1, 2]) }];
      const old = writeActivationDir(path.join(dir, 'old'), meta, sets);
      expect(readActivationDir(old).meta.extraction).toBeUndefined();
      const withSettings = writeActivationDir(path.join(dir, 'new'), { ...meta, extraction: settings({ maxLength: 8 }) }, sets);
      expect(readActivationDir(withSettings).meta.extraction).toEqual(settings({ maxLength: 8 }));
      const metaFile = path.join(withSettings, 'meta.json');
      fs.writeFileSync(metaFile, JSON.stringify({ ...meta, extraction: { ...settings(), truncated_to: 0 } }));
      expect(() => readActivationDir(withSettings)).toThrow(`${metaFile}: extraction.truncated_to must be an integer >= 1, got 0`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(() => parseExtractionSettings({ ...settings(), tokenizer_sha256: '' }, 'row 3')).toThrow(/^row 3: extraction.tokenizer_sha256 must be a non-empty string/);
    expect(() => parseExtractionSettings([], 'row 3')).toThrow(/^row 3: extraction settings must be an object/);
  });
});
