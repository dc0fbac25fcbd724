// AdamW + clipping + per-group gradient norms of the float64 train-step graph against a plain-JS
// PyTorch-semantics AdamW applied to gradients from a separate float64 gradient graph.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { randn, rng } from '../../test/gradcheck/gradcheck';
import { TINY_BATCH, tinyConfig, tinyParams, toI64 } from '../../test/reference/tiny-setup';
import { gradients } from '../graph/autodiff';
import { Graph } from '../graph/builder';
import { normSlot, parameterSpecs } from '../model/params';
import { isFrozen } from './freeze';
import { objectiveLoss } from './objectives';
import type { AdamWHyper, FreezeSpec } from './step-api';
import { flattenSegment } from './packing';
import { buildTrainStepGraph } from './train-step-graph';

const cfg = tinyConfig();
const specs = parameterSpecs(cfg);
const freeze: FreezeSpec = { embeddings: false, layers: [1], head: false };
const hyper: AdamWHyper = { beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: 0.1, clipGradNorm: 0.5 };
const lr = 0.01;
const step = 3;

describe('AdamW in the train-step graph (float64)', () => {
  it('matches PyTorch-semantics AdamW with clipping, decay mask and per-group norms', async () => {
    const P = tinyParams(cfg);
    const r = rng(11);
    const M = new Map(specs.map((s) => [s.name, randn(r, P.get(s.name)!.length, 1e-2)]));
    const Vv = new Map(specs.map((s) => [s.name, randn(r, P.get(s.name)!.length, 1e-2).map((x) => x * x)]));
    const batch = { input_ids: toI64(TINY_BATCH.ids), attention_mask: toI64(TINY_BATCH.mask), labels: toI64(TINY_BATCH.mlmLabels) };
    const baseFeeds = (): Record<string, ort.Tensor> => {
      const f: Record<string, ort.Tensor> = {};
      for (const [k, v] of Object.entries(batch)) f[k] = new ort.Tensor('int64', v, [2, 8]);
      for (const s of specs) f[s.name] = new ort.Tensor('float64', P.get(s.name)!, s.shape);
      return f;
    };
    const trainable = specs.filter((s) => !isFrozen(s, freeze));

    // gradients from a plain gradient graph
    const gg = new Graph('float64');
    const ids = gg.input('input_ids', 'int64', [2, 8]);
    const am = gg.input('attention_mask', 'int64', [2, 8]);
    const lab = gg.input('labels', 'int64', [2, 8]);
    const params = new Map(specs.map((s) => [s.name, gg.input(s.name, 'float64', s.shape, !isFrozen(s, freeze))]));
    const { loss } = objectiveLoss(gg, cfg, params, { inputIds: ids, attentionMask: am, labels: lab }, 'mlm');
    gg.output(loss, 'loss');
    const grads = gradients(gg, loss, trainable.map((s) => params.get(s.name)!));
    for (const s of trainable) gg.output(grads.get(s.name)!, `g.${s.name}`);
    const gs = await ort.InferenceSession.create(gg.toModel(), { intraOpNumThreads: 1 });
    const gOut = await gs.run(baseFeeds());
    await gs.release();

    // the train step
    const built = buildTrainStepGraph(cfg, { objective: 'mlm', freeze, batchSize: 2, seqLen: 8, hyper, dtype: 'float64' });
    const ts = await ort.InferenceSession.create(built.graph.toModel(), { intraOpNumThreads: 1 });
    const feeds = baseFeeds();
    feeds.lr = new ort.Tensor('float64', Float64Array.of(lr), []);
    feeds.step = new ort.Tensor('float64', Float64Array.of(step), []);
    const f64 = (n: number) => new Float64Array(n);
    for (const seg of built.segments) {
      feeds[`segment.${seg.key}`] = new ort.Tensor('float64', flattenSegment(seg, (n) => P.get(n)!, f64), [seg.length]);
      feeds[`exp_avg.${seg.key}`] = new ort.Tensor('float64', flattenSegment(seg, (n) => M.get(n)!, f64), [seg.length]);
      feeds[`exp_avg_sq.${seg.key}`] = new ort.Tensor('float64', flattenSegment(seg, (n) => Vv.get(n)!, f64), [seg.length]);
    }
    const out = await ts.run(feeds);
    await ts.release();

    // plain-JS reference (torch.nn.utils.clip_grad_norm_ + torch.optim.AdamW)
    const slots = new Array(cfg.num_hidden_layers + 2).fill(0);
    for (const s of trainable) for (const x of gOut[`g.${s.name}`].data as Float64Array) slots[normSlot(s, cfg.num_hidden_layers)] += x * x;
    const norm = Math.sqrt(slots.reduce((a, b) => a + b, 0));
    const c = Math.min(1, hyper.clipGradNorm! / (norm + 1e-6));
    expect(c).toBeLessThan(1);                                             // clipping is exercised
    const bc1 = 1 - hyper.beta1 ** step;
    const bc2 = 1 - hyper.beta2 ** step;
    let worst = 0;
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
    const slice = (key: string, seg: (typeof built.segments)[0], k: number) => {
      const start = seg.offsets[k];
      return (out[key].data as Float64Array).subarray(start, start + P.get(seg.specs[k].name)!.length);
    };
    for (const seg of built.segments) seg.specs.forEach((s, k) => {
      const g = gOut[`g.${s.name}`].data as Float64Array;
      const p = P.get(s.name)!;
      const newP = slice(`new.${seg.key}`, seg, k);
      const newM = slice(`new_exp_avg.${seg.key}`, seg, k);
      const newV = slice(`new_exp_avg_sq.${seg.key}`, seg, k);
      for (let i = 0; i < p.length; i++) {
        const gi = g[i] * c;
        const m = hyper.beta1 * M.get(s.name)![i] + (1 - hyper.beta1) * gi;
        const v = hyper.beta2 * Vv.get(s.name)![i] + (1 - hyper.beta2) * gi * gi;
        let pi = s.decay ? p[i] * (1 - lr * hyper.weightDecay) : p[i];
        pi -= (lr / bc1) * m / (Math.sqrt(v) / Math.sqrt(bc2) + hyper.eps);
        worst = Math.max(worst, rel(newM[i], m), rel(newV[i], v), rel(newP[i], pi));
      }
    });
    expect(worst).toBeLessThan(1e-10);
    expect(rel((out.grad_norm.data as Float64Array)[0], norm)).toBeLessThan(1e-12);
    const layerNorms = out.layer_grad_norms.data as Float64Array;
    slots.forEach((sq, i) => expect(Math.abs(layerNorms[i] - Math.sqrt(sq))).toBeLessThan(1e-12 * (1 + Math.sqrt(sq))));
    expect(layerNorms[2]).toBe(0);                                         // layer 1 frozen
    expect(built.segments.flatMap((seg) => seg.specs.map((x) => x.name)).sort()).toEqual(trainable.map((x) => x.name).sort());
    expect(Object.keys(out).filter((k) => k.startsWith('new.'))).toHaveLength(built.segments.length);
  });
});
