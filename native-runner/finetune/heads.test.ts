// The fine-tuning heads in float64: (1) the sequence-classification forward equals an independent JS
// float64 reference of HF's ModernBertForSequenceClassification head (pooling → head.dense → gelu →
// head.norm → classifier) on our encoder's last_hidden_state, to 1e-12; the losses equal their JS
// definitions (torch CrossEntropyLoss / BCEWithLogitsLoss(pos_weight)); (2) gradients of every
// parameter tensor under each head and loss against central finite differences (≤ 1e-5); (3) the
// train-step graph with a freeze pattern returns exactly the trainable parameters' gradients.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { gradcheck, randn, rng, type CheckInput } from '../../test/gradcheck/gradcheck';
import { erfExact } from '../../test/reference/erf-bigint';
import { TINY_BATCH, tinyConfig, tinyParams, toI64 } from '../../test/reference/tiny-setup';
import { Graph } from '../graph/builder';
import { buildFinetuneTrainGraph, gradOutput } from './finetune-graph';
import { classifierForward, classifierLoss, classifierParamSpecs, type Pooling } from './heads';

const cfg = tinyConfig();
const C = 5;
const D = cfg.hidden_size;
const specs = classifierParamSpecs(cfg, C);

function params(seed = 99): Map<string, Float64Array> {
  const P = tinyParams(cfg, seed);
  P.delete('decoder.bias');
  const r = rng(seed + 1);
  P.set('classifier.weight', randn(r, C * D, 0.5));
  P.set('classifier.bias', randn(r, C, 0.3));
  return P;
}

const batchInputs = (): CheckInput[] => [
  { name: 'input_ids', shape: [2, 8], data: toI64(TINY_BATCH.ids) },
  { name: 'attention_mask', shape: [2, 8], data: toI64(TINY_BATCH.mask) },
];
const paramInputs = (P: Map<string, Float64Array>): CheckInput[] => specs.map((s) => ({ name: s.name, shape: s.shape, data: P.get(s.name)! }));

async function run(g: Graph, feeds: CheckInput[]): Promise<Record<string, Float64Array>> {
  const s = await ort.InferenceSession.create(g.toModel(), { intraOpNumThreads: 1 });
  const f: Record<string, ort.Tensor> = {};
  for (const c of feeds) if (g.inputs.some((i) => i.name === c.name)) f[c.name] = new ort.Tensor(c.data instanceof Float64Array ? 'float64' : 'int64', c.data, c.shape);
  const out = await s.run(f);
  await s.release();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float64Array]));
}

// --- the JS reference of HF's head (float64, written from modeling_modernbert.py) ---
const gelu = (x: number) => 0.5 * x * (1 + erfExact(x / Math.SQRT2));
function refHead(P: Map<string, Float64Array>, last: Float64Array, mask: number[][], pooling: Pooling): number[][] {
  const [B, T] = [mask.length, mask[0].length];
  const W = P.get('head.dense.weight')!, nw = P.get('head.norm.weight')!, cw = P.get('classifier.weight')!, cb = P.get('classifier.bias')!;
  const out: number[][] = [];
  for (let b = 0; b < B; b++) {
    // pooling: last_hidden_state[:, 0] or (h * mask).sum(1) / mask.sum(1)
    const x = new Array(D).fill(0);
    if (pooling === 'cls') for (let d = 0; d < D; d++) x[d] = last[(b * T) * D + d];
    else {
      const n = mask[b].reduce((a, m) => a + m, 0);
      for (let t = 0; t < T; t++) if (mask[b][t]) for (let d = 0; d < D; d++) x[d] += last[(b * T + t) * D + d];
      for (let d = 0; d < D; d++) x[d] /= n;
    }
    // ModernBertPredictionHead: norm(act(dense(x))), dense without bias, LayerNorm without bias
    const h = Array.from({ length: D }, (_, i) => gelu(x.reduce((a, xv, j) => a + W[i * D + j] * xv, 0)));
    const mu = h.reduce((a, v) => a + v, 0) / D;
    const variance = h.reduce((a, v) => a + (v - mu) ** 2, 0) / D;
    const hn = h.map((v, i) => ((v - mu) / Math.sqrt(variance + cfg.norm_eps)) * nw[i]);
    out.push(Array.from({ length: C }, (_, c) => cb[c] + hn.reduce((a, v, j) => a + cw[c * D + j] * v, 0)));
  }
  return out;
}
const logSoftmax = (z: number[]) => { const m = Math.max(...z); const s = Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0)); return z.map((v) => v - m - s); };

describe('sequence classification head (float64)', () => {
  for (const pooling of ['cls', 'mean'] as const) {
    it(`${pooling} pooling: logits equal the JS reference of HF's head to 1e-12; CE and BCE losses equal theirs`, async () => {
      const P = params();
      const g = new Graph('float64', 'seqcls');
      const ids = g.input('input_ids', 'int64', [2, 8]), mask = g.input('attention_mask', 'int64', [2, 8]);
      const pv = new Map(specs.map((s) => [s.name, g.input(s.name, 'float64', s.shape)]));
      const f = classifierForward(g, cfg, pv, { inputIds: ids, attentionMask: mask }, 'sequence', pooling);
      const labels = g.input('labels', 'int64', [2]);
      const targets = g.input('targets', 'float64', [2, C]), rowMask = g.input('row_mask', 'float64', [2]), pw = g.input('pos_weight', 'float64', [C]);
      g.output(f.logits, 'logits');
      g.output(f.lastHiddenState, 'last');
      g.output(classifierLoss(g, f.logits, { kind: 'single', labels }), 'ce');
      g.output(classifierLoss(g, f.logits, { kind: 'multi', targets, rowMask, posWeight: pw }), 'bce');
      const y = [1, 0, 1, 1, 0, 0, 0, 1, 0, 1], pwv = [1, 3, 0.5, 2, 1];
      const out = await run(g, [...batchInputs(), ...paramInputs(P),
        { name: 'labels', shape: [2], data: toI64([[3, 1]]) },
        { name: 'targets', shape: [2, C], data: Float64Array.from(y) },
        { name: 'row_mask', shape: [2], data: Float64Array.from([1, 1]) },
        { name: 'pos_weight', shape: [C], data: Float64Array.from(pwv) }]);
      const ref = refHead(P, out.last, TINY_BATCH.mask, pooling);
      let worst = 0, scale = 0;
      ref.flat().forEach((v, i) => { worst = Math.max(worst, Math.abs(v - out.logits[i])); scale = Math.max(scale, Math.abs(v)); });
      expect(scale).toBeGreaterThan(0.5);                 // logits of order 1: 1e-12 is a real bound
      expect(worst).toBeLessThanOrEqual(1e-12);
      // torch.nn.CrossEntropyLoss (mean) and BCEWithLogitsLoss(pos_weight) (mean over all elements)
      const ce = -(logSoftmax(ref[0])[3] + logSoftmax(ref[1])[1]) / 2;
      let bce = 0;
      ref.flat().forEach((x, i) => {
        const c = i % C, t = y[i];
        const logSig = (v: number) => -Math.log1p(Math.exp(-v));
        bce += -(pwv[c] * t * logSig(x) + (1 - t) * logSig(-x));
      });
      expect(Math.abs(out.ce[0] - ce)).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(out.bce[0] - bce / (2 * C))).toBeLessThanOrEqual(1e-12);
    });
  }
});

describe('fine-tuning gradients (float64 vs central differences)', () => {
  const cases: { name: string; extra: CheckInput[]; build: (g: Graph, v: Record<string, import('../graph/builder').Value>, pv: Map<string, import('../graph/builder').Value>) => import('../graph/builder').Value }[] = [
    {
      name: 'sequence, cls pooling, single-label cross-entropy (one padding row)',
      extra: [{ name: 'labels', shape: [2], data: toI64([[4, -100]]) }],
      build: (g, v, pv) => classifierLoss(g, classifierForward(g, cfg, pv, { inputIds: v.input_ids, attentionMask: v.attention_mask }, 'sequence', 'cls').logits, { kind: 'single', labels: v.labels }),
    },
    {
      name: 'sequence, mean pooling, multilabel BCE with pos_weight',
      extra: [
        { name: 'targets', shape: [2, C], data: Float64Array.from([0, 1, 1, 0, 1, 1, 0, 0, 0, 1]), diff: false },
        { name: 'row_mask', shape: [2], data: Float64Array.from([1, 1]), diff: false },
        { name: 'pos_weight', shape: [C], data: Float64Array.from([2, 1, 0.5, 4, 1]), diff: false },
      ],
      build: (g, v, pv) => classifierLoss(g, classifierForward(g, cfg, pv, { inputIds: v.input_ids, attentionMask: v.attention_mask }, 'sequence', 'mean').logits,
        { kind: 'multi', targets: v.targets, rowMask: v.row_mask, posWeight: v.pos_weight }),
    },
    {
      name: 'token classification, -100 on specials, non-first subwords and padding',
      extra: [{ name: 'labels', shape: [16], data: toI64([[-100, 0, 2, -100, 1, 4, 3, -100, -100, 2, -100, 0, 1, -100, -100, -100]]) }],
      build: (g, v, pv) => classifierLoss(g, classifierForward(g, cfg, pv, { inputIds: v.input_ids, attentionMask: v.attention_mask }, 'token', 'cls').logits, { kind: 'token', labels: v.labels }),
    },
  ];
  for (const c of cases) {
    it(`${c.name}: every parameter tensor within 1e-5`, async () => {
      const res = await gradcheck((g, v) => c.build(g, v, new Map(specs.map((s) => [s.name, v[s.name]]))),
        [...batchInputs(), ...c.extra, ...paramInputs(params())], { maxEntries: 6 });
      if (process.env.GRADCHECK_VERBOSE) console.log(c.name, res.worst);
      expect(Object.keys(res.perInput)).toHaveLength(specs.length);
      expect(res.worst).toBeLessThanOrEqual(1e-5);
    });
  }
});

describe('fine-tuning train-step graph', () => {
  it('with layers 0-1 and the embeddings frozen: gradients of exactly the trainable parameters, equal to the unfrozen graph\'s, and grad_sq their Σ‖g‖²', async () => {
    const P = params();
    const o = { kind: 'single' as const, numLabels: C, pooling: 'mean' as const, batchSize: 2, seqLen: 8, dtype: 'float64' as const };
    const frozen = buildFinetuneTrainGraph(cfg, { ...o, freeze: { embeddings: true, layers: [0, 1], head: false } });
    const full = buildFinetuneTrainGraph(cfg, { ...o, freeze: { embeddings: false, layers: [], head: false } });
    const feeds = [...batchInputs(), ...paramInputs(P), { name: 'labels', shape: [2], data: toI64([[2, 0]]) }];
    const a = await run(frozen.graph, feeds), b = await run(full.graph, feeds);
    const names = frozen.trainable.map((s) => s.name);
    expect(names.some((n) => n.startsWith('model.layers.0.') || n.startsWith('model.layers.1.') || n.startsWith('model.embeddings.'))).toBe(false);
    expect(names).toContain('classifier.weight');
    expect(names).toContain('model.layers.2.attn.Wqkv.weight');
    expect(Object.keys(a).filter((k) => k.startsWith('grad.')).sort()).toEqual(names.map(gradOutput).sort());
    let sq = 0;
    for (const n of names) {
      const ga = a[gradOutput(n)], gb = b[gradOutput(n)];
      ga.forEach((v, i) => expect(Math.abs(v - gb[i])).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(gb[i]))));
      for (const v of ga) sq += v * v;
    }
    expect(a.loss[0]).toBe(b.loss[0]);
    expect(Math.abs(a.grad_sq[0] - sq)).toBeLessThanOrEqual(1e-12 * sq);
  });
});
