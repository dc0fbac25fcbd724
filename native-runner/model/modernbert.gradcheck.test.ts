// Whole-model float64 gradient check: every parameter tensor of a tiny ModernBERT under the MLM and
// the CLM loss, analytic (our autodiff) vs central finite differences, worst relative error <= 1e-5.
import { describe, expect, it } from 'vitest';
import { gradcheck, type CheckInput } from '../../test/gradcheck/gradcheck';
import { TINY_BATCH, tinyConfig, tinyParams, toI64 } from '../../test/reference/tiny-setup';
import { objectiveLoss } from '../train/objectives';
import { parameterSpecs } from './params';

const cfg = tinyConfig();
const specs = parameterSpecs(cfg);

describe('tiny ModernBERT gradients (float64 vs central differences)', () => {
  for (const objective of ['mlm', 'clm'] as const) {
    it(`${objective}: every parameter tensor within 1e-5`, async () => {
      const P = tinyParams(cfg);
      const labels = objective === 'mlm' ? TINY_BATCH.mlmLabels : TINY_BATCH.clmLabels;
      const inputs: CheckInput[] = [
        { name: 'input_ids', shape: [2, 8], data: toI64(TINY_BATCH.ids) },
        { name: 'attention_mask', shape: [2, 8], data: toI64(TINY_BATCH.mask) },
        { name: 'labels', shape: [2, 8], data: toI64(labels) },
        ...specs.map((s) => ({ name: s.name, shape: s.shape, data: P.get(s.name)! })),
      ];
      const res = await gradcheck((g, v) => {
        const params = new Map(specs.map((s) => [s.name, v[s.name]]));
        return objectiveLoss(g, cfg, params, { inputIds: v.input_ids, attentionMask: v.attention_mask, labels: v.labels }, objective).loss;
      }, inputs, { maxEntries: 6 });
      if (process.env.GRADCHECK_VERBOSE) console.log(objective, res.worst, res.evaluations, res.perInput);
      expect(Object.keys(res.perInput)).toHaveLength(specs.length);
      expect(res.worst).toBeLessThanOrEqual(1e-5);
    });
  }

  // tiny has B·T = 16 = D, so the GeGLU split cuts the activation; a narrower model (D 8 < B·T)
  // takes the other path, which splits Wi itself (modernbert.ts)
  it('clm, weight-split GeGLU path (B·T > D): every parameter tensor within 1e-5', async () => {
    const narrow = { ...cfg, hidden_size: 8 };
    const nspecs = parameterSpecs(narrow);
    const P = tinyParams(narrow);
    const inputs: CheckInput[] = [
      { name: 'input_ids', shape: [2, 8], data: toI64(TINY_BATCH.ids) },
      { name: 'attention_mask', shape: [2, 8], data: toI64(TINY_BATCH.mask) },
      { name: 'labels', shape: [2, 8], data: toI64(TINY_BATCH.clmLabels) },
      ...nspecs.map((s) => ({ name: s.name, shape: s.shape, data: P.get(s.name)! })),
    ];
    const res = await gradcheck((g, v) => {
      const params = new Map(nspecs.map((s) => [s.name, v[s.name]]));
      return objectiveLoss(g, narrow, params, { inputIds: v.input_ids, attentionMask: v.attention_mask, labels: v.labels }, 'clm').loss;
    }, inputs, { maxEntries: 6 });
    expect(Object.keys(res.perInput)).toHaveLength(nspecs.length);
    expect(res.worst).toBeLessThanOrEqual(1e-5);
  });

  it('mlm with sparse prediction (head on gathered rows): every parameter tensor within 1e-5', async () => {
    const P = tinyParams(cfg);
    const flat = TINY_BATCH.mlmLabels.flat();
    const positions = flat.map((l, i) => (l !== -100 ? i : -1)).filter((i) => i >= 0);
    const rowLabels = positions.map((i) => flat[i]);
    positions.push(0); rowLabels.push(-100);                                 // one padding row
    const inputs: CheckInput[] = [
      { name: 'input_ids', shape: [2, 8], data: toI64(TINY_BATCH.ids) },
      { name: 'attention_mask', shape: [2, 8], data: toI64(TINY_BATCH.mask) },
      { name: 'pos', shape: [positions.length], data: toI64([positions]) },
      { name: 'lab', shape: [positions.length], data: toI64([rowLabels]) },
      ...specs.map((s) => ({ name: s.name, shape: s.shape, data: P.get(s.name)! })),
    ];
    const res = await gradcheck((g, v) => {
      const params = new Map(specs.map((s) => [s.name, v[s.name]]));
      return objectiveLoss(g, cfg, params, { inputIds: v.input_ids, attentionMask: v.attention_mask }, 'mlm', { positions: v.pos, labels: v.lab }).loss;
    }, inputs, { maxEntries: 6 });
    expect(Object.keys(res.perInput)).toHaveLength(specs.length);
    expect(res.worst).toBeLessThanOrEqual(1e-5);
  });
});
