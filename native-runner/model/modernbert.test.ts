// Forward pass against an independent plain-JS float64 ModernBERT (test/reference): hidden states,
// logits and the MLM/CLM losses agree to ~1e-10 relative in float64; float32 agrees to float32 precision.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { referenceForward, referenceLoss } from '../../test/reference/modernbert-reference';
import { TINY_BATCH, tinyConfig, tinyParams, toI64 } from '../../test/reference/tiny-setup';
import { Graph } from '../graph/builder';
import { objectiveLoss } from '../train/objectives';
import { buildInferenceGraph } from './inference';
import { parameterSpecs } from './params';

const cfg = tinyConfig();
const P = tinyParams(cfg);
const B = 2;
const T = 8;

function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

function feeds(dtype: 'float32' | 'float64', extra: Record<string, ort.Tensor> = {}): Record<string, ort.Tensor> {
  const f: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', toI64(TINY_BATCH.ids), [B, T]),
    attention_mask: new ort.Tensor('int64', toI64(TINY_BATCH.mask), [B, T]),
    ...extra,
  };
  for (const s of parameterSpecs(cfg)) {
    const v = P.get(s.name)!;
    f[s.name] = new ort.Tensor(dtype, dtype === 'float64' ? v : Float32Array.from(v), s.shape);
  }
  return f;
}

describe('ModernBERT forward vs plain-JS reference', () => {
  for (const causal of [false, true]) {
    it(`hidden states and logits agree (float64, ${causal ? 'causal' : 'bidirectional'})`, async () => {
      const ref = referenceForward(cfg, P, TINY_BATCH.ids, TINY_BATCH.mask, causal);
      const gm = buildInferenceGraph(cfg, { batchSize: B, seqLen: T, dtype: 'float64', causal, hiddenStates: true });
      const s = await ort.InferenceSession.create(gm.model, { intraOpNumThreads: 1 });
      const out = await s.run(feeds('float64'));
      expect(gm.outputNames).toHaveLength(cfg.num_hidden_layers + 2);
      if (process.env.REF_VERBOSE) console.log("logits rel diff", relDiff(out.logits.data as Float64Array, ref.logits));
      expect(relDiff(out.logits.data as Float64Array, ref.logits)).toBeLessThan(1e-10);
      ref.hiddenStates.forEach((h, i) => expect(relDiff(out[`hidden_state_${i}`].data as Float64Array, h)).toBeLessThan(1e-10));
      await s.release();
    });
  }

  it('weight-split GeGLU path (B·T > D) agrees too (float64)', async () => {
    const narrow = { ...cfg, hidden_size: 8 };                              // B·T = 16 > 8: Wi is split, not the activation
    const Pn = tinyParams(narrow);
    const ref = referenceForward(narrow, Pn, TINY_BATCH.ids, TINY_BATCH.mask, false);
    const gm = buildInferenceGraph(narrow, { batchSize: B, seqLen: T, dtype: 'float64' });
    const s = await ort.InferenceSession.create(gm.model, { intraOpNumThreads: 1 });
    const f: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', toI64(TINY_BATCH.ids), [B, T]),
      attention_mask: new ort.Tensor('int64', toI64(TINY_BATCH.mask), [B, T]),
    };
    for (const sp of parameterSpecs(narrow)) f[sp.name] = new ort.Tensor('float64', Pn.get(sp.name)!, sp.shape);
    const out = await s.run(f);
    expect(relDiff(out.logits.data as Float64Array, ref.logits)).toBeLessThan(1e-10);
    await s.release();
  });

  it('float32 graph agrees to float32 precision', async () => {
    const ref = referenceForward(cfg, P, TINY_BATCH.ids, TINY_BATCH.mask, false);
    const gm = buildInferenceGraph(cfg, { batchSize: B, seqLen: T, dtype: 'float32' });
    const s = await ort.InferenceSession.create(gm.model, { intraOpNumThreads: 1 });
    const out = await s.run(feeds('float32'));
    expect(relDiff(out.logits.data as Float32Array, ref.logits)).toBeLessThan(2e-5);
    await s.release();
  });

  for (const objective of ['mlm', 'clm'] as const) {
    it(`${objective} loss agrees (float64)`, async () => {
      const labels = objective === 'mlm' ? TINY_BATCH.mlmLabels : TINY_BATCH.clmLabels;
      const ref = referenceForward(cfg, P, TINY_BATCH.ids, TINY_BATCH.mask, objective === 'clm');
      const refLoss = referenceLoss(ref.logits, cfg.vocab_size, labels, TINY_BATCH.mask);
      const g = new Graph('float64');
      const inputIds = g.input('input_ids', 'int64', [B, T]);
      const attentionMask = g.input('attention_mask', 'int64', [B, T]);
      const lab = g.input('labels', 'int64', [B, T]);
      const params = new Map(parameterSpecs(cfg).map((s) => [s.name, g.input(s.name, 'float64', s.shape)]));
      const res = objectiveLoss(g, cfg, params, { inputIds, attentionMask, labels: lab }, objective);
      g.output(res.loss, 'loss');
      g.output(res.count, 'count');
      const s = await ort.InferenceSession.create(g.toModel(), { intraOpNumThreads: 1 });
      const out = await s.run(feeds('float64', { labels: new ort.Tensor('int64', toI64(labels), [B, T]) }));
      const loss = (out.loss.data as Float64Array)[0];
      expect(Math.abs(loss - refLoss) / refLoss).toBeLessThan(1e-10);
      expect((out.count.data as Float64Array)[0]).toBe(labels.flat().filter((x) => x !== -100).length);
      await s.release();
    });
  }
});
