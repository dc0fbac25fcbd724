import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { presetConfig } from '../model/config';
import { initParameters } from '../model/init';
import { buildInferenceGraph } from '../model/inference';
import { parameterSpecs } from '../model/params';
import { ExtractionSessions, extractActivations } from './extract';
import { POOLED_OUTPUTS, TOKEN_ROWS_INPUT } from '../model/pooling-graph';
import { clsPoolInto, meanPoolInto, samplePositions, tokenPoolInto } from './pooling';

const cfg = presetConfig('tiny', { vocab_size: 40, pad_token_id: 0, cls_token_id: 1, sep_token_id: 2 });
const params = initParameters(cfg, 7);
// Seven texts of different lengths, framed [CLS] … [SEP].
const texts = [3, 9, 5, 12, 4, 7, 10].map((len, i) => [1, ...Array.from({ length: len - 2 }, (_, j) => 3 + ((i * 7 + j * 5) % 37)), 2]);

/** Hidden states of one text alone (B = 1, no padding): the reference for pooling. */
async function alone(ids: number[]): Promise<Float32Array[]> {
  const g = buildInferenceGraph(cfg, { batchSize: 1, seqLen: ids.length, hiddenStates: true, logits: false });
  const s = await ort.InferenceSession.create(g.model, { intraOpNumThreads: 1 });
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
  };
  for (const p of parameterSpecs(cfg)) feeds[p.name] = new ort.Tensor('float32', params.get(p.name)!, p.shape);
  const r = await s.run(feeds);
  await s.release();
  return Array.from({ length: cfg.num_hidden_layers + 1 }, (_, l) => r[`hidden_state_${l}`].data as Float32Array);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('activation extraction', () => {
  it('pools every hidden state: mean over real tokens, CLS, sampled tokens; padding has no effect', async () => {
    const D = cfg.hidden_size;
    const sets = await extractActivations(cfg, params, texts, { batchSize: 3, tokensPerText: 2 });
    expect(sets.length).toBe((cfg.num_hidden_layers + 1) * 3);
    const get = (l: number, p: string) => sets.find((s) => s.layer === l && s.pooling === p)!;
    expect(get(0, 'mean').shape).toEqual([texts.length, D]);
    expect(get(2, 'tokens').shape).toEqual([texts.length * 2, D]);
    for (const i of [0, 3, 6]) {
      const ref = await alone(texts[i]);
      const T = texts[i].length;
      for (let l = 0; l <= cfg.num_hidden_layers; l++) {
        const mean = new Float32Array(D);
        for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) mean[d] += ref[l][t * D + d] / T;
        expect(maxAbsDiff(get(l, 'mean').data.subarray(i * D, (i + 1) * D), mean)).toBeLessThan(1e-5);
        expect(maxAbsDiff(get(l, 'cls').data.subarray(i * D, (i + 1) * D), ref[l].subarray(0, D))).toBeLessThan(1e-5);
        const pos = samplePositions(0, i, T, 2);
        pos.forEach((t, j) => {
          expect(maxAbsDiff(get(l, 'tokens').data.subarray((i * 2 + j) * D, (i * 2 + j + 1) * D), ref[l].subarray(t * D, (t + 1) * D))).toBeLessThan(1e-5);
        });
      }
    }
  });

  it('gives the same activations whatever the batch size', async () => {
    const a = await extractActivations(cfg, params, texts, { batchSize: 1, poolings: ['mean', 'tokens'] });
    const b = await extractActivations(cfg, params, texts, { batchSize: 4, poolings: ['mean', 'tokens'] });
    const c = await extractActivations(cfg, params, texts, { batchSize: 16, poolings: ['mean', 'tokens'] });
    for (let i = 0; i < a.length; i++) {
      expect(maxAbsDiff(a[i].data, b[i].data)).toBeLessThan(1e-5);
      expect(maxAbsDiff(a[i].data, c[i].data)).toBeLessThan(1e-5);
    }
  });

  it('pads each batch only to its longest text, reuses a caller\'s sessions, and writes rows in text order', async () => {
    // 14 texts of 3..40 tokens, shuffled; sorted by length, batches of 4 end at 6, 17, 33 and 40 tokens: padded to 8, 24, 40, 40
    const lens = [40, 3, 17, 9, 25, 4, 33, 12, 6, 38, 21, 14, 5, 29];
    const many = lens.map((len, i) => [1, ...Array.from({ length: len - 2 }, (_, j) => 3 + ((i * 11 + j * 3) % 37)), 2]);
    const sessions = new ExtractionSessions(cfg, 1);
    try {
      const a = await extractActivations(cfg, params, many, { batchSize: 4, poolings: ['mean', 'cls', 'tokens'], sessions });
      expect(sessions.shapes).toEqual(['4x8', '4x24', '4x40']);
      const again = await extractActivations(cfg, params, many, { batchSize: 4, poolings: ['mean', 'cls', 'tokens'], sessions });
      expect(sessions.shapes).toHaveLength(3);                              // nothing recompiled
      const one = await extractActivations(cfg, params, many, { batchSize: 1, poolings: ['mean', 'cls', 'tokens'] });
      const padded = await extractActivations(cfg, params, many, { batchSize: 4, poolings: ['mean', 'cls', 'tokens'], padToLongest: true });
      for (let i = 0; i < a.length; i++) {
        expect(again[i].data).toEqual(a[i].data);
        expect(maxAbsDiff(a[i].data, one[i].data)).toBeLessThan(1e-5);
        expect(maxAbsDiff(a[i].data, padded[i].data)).toBeLessThan(1e-5);
      }
      // row i is text i: the longest text (index 0) matches that text run alone
      const ref = await alone(many[0]);
      const D = cfg.hidden_size;
      const last = a.find((x) => x.layer === cfg.num_hidden_layers && x.pooling === 'cls')!;
      expect(maxAbsDiff(last.data.subarray(0, D), ref[cfg.num_hidden_layers].subarray(0, D))).toBeLessThan(1e-5);
    } finally {
      await sessions.release();
    }
  });

  it('pools in the graph exactly as JS pools the full hidden states (padding positions and rows included)', async () => {
    // one graph with both the hidden states and the pooled outputs: B 4 (3 texts + a padding row), T 48
    const B = 4, T = 48, k = 3, D = cfg.hidden_size, L1 = cfg.num_hidden_layers + 1;
    const batch = [texts[3], [1, ...Array.from({ length: 44 }, (_, j) => 3 + ((j * 13) % 37)), 2], texts[0]];  // 12, 46, 3 tokens
    const g = buildInferenceGraph(cfg, { batchSize: B, seqLen: T, hiddenStates: true, logits: false, pooled: { mean: true, cls: true, tokensPerRow: k } });
    const s = await ort.InferenceSession.create(g.model, { intraOpNumThreads: 1 });
    const ids = new BigInt64Array(B * T);                                   // [B, T], pad id 0
    const mask = new BigInt64Array(B * T);                                  // [B, T]
    batch.forEach((x, b) => x.forEach((t, j) => { ids[b * T + j] = BigInt(t); mask[b * T + j] = 1n; }));
    mask[3 * T] = 1n;                                                       // the padding row keeps one key
    const positions = batch.map((x, b) => samplePositions(5, b, x.length, k)).concat([[0, 0, 0]]);
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [B, T]),
      attention_mask: new ort.Tensor('int64', mask, [B, T]),
      [TOKEN_ROWS_INPUT]: new ort.Tensor('int64', BigInt64Array.from(positions.flatMap((pos, b) => pos.map((t) => BigInt(b * T + t)))), [B * k]),
    };
    for (const p of parameterSpecs(cfg)) feeds[p.name] = new ort.Tensor('float32', params.get(p.name)!, p.shape);
    const r = await s.run(feeds);
    await s.release();
    /** rows of layer l from a pooled output [B·r, L+1, D] */
    const layerRows = (name: string, l: number, rows: number) => {
      const x = r[name].data as Float32Array;
      const outRows = new Float32Array(rows * D);
      for (let i = 0; i < rows; i++) outRows.set(x.subarray((i * L1 + l) * D, (i * L1 + l + 1) * D), i * D);
      return outRows;
    };
    const relDiff = (a: Float32Array, ref: Float32Array) => maxAbsDiff(a, ref) / ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    let worst = 0;
    for (let l = 0; l < L1; l++) {
      const h = r[`hidden_state_${l}`].data as Float32Array;               // [B, T, D]
      const mean = new Float32Array(B * D), cls = new Float32Array(B * D), tok = new Float32Array(B * k * D);
      meanPoolInto(h, mask, B, T, D, B, mean, 0);
      clsPoolInto(h, T, D, B, cls, 0);
      tokenPoolInto(h, T, D, positions, tok, 0, k);
      worst = Math.max(worst, relDiff(layerRows(POOLED_OUTPUTS.mean, l, B), mean));
      expect(layerRows(POOLED_OUTPUTS.cls, l, B)).toEqual(cls);           // gathers are copies: bit-identical
      expect(layerRows(POOLED_OUTPUTS.tokens, l, B * k)).toEqual(tok);
    }
    expect(worst).toBeLessThan(1e-6);                                       // float32 sums vs JS float64 sums
  });

  it('samples the same token positions every time, never [CLS]/[SEP] when the text is long enough', () => {
    expect(samplePositions(3, 5, 20, 4)).toEqual(samplePositions(3, 5, 20, 4));
    expect(samplePositions(3, 5, 20, 4)).not.toEqual(samplePositions(4, 5, 20, 4));
    for (const p of samplePositions(0, 1, 20, 6)) expect(p >= 1 && p <= 18).toBe(true);
    expect(samplePositions(0, 1, 3, 4)).toHaveLength(4);
  });

  it('reports progress and rejects bad input clearly', async () => {
    const seen: number[] = [];
    await extractActivations(cfg, params, texts, { batchSize: 3, poolings: ['cls'], onProgress: (d) => seen.push(d) });
    expect(seen).toEqual([3, 6, 7]);
    await expect(extractActivations(cfg, params, [], {})).rejects.toThrow(/probe set is empty/);
    await expect(extractActivations(cfg, params, [[1, 99, 2]], {})).rejects.toThrow(/probe text 0: token id 99 outside the model's vocabulary/);
  });
});
