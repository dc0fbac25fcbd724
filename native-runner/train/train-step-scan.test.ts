// The other two forms of the train step against the one-step graph with AdamW inside:
//   - K steps in one Scan run (state as loop state) equal K single steps: float32 within 1e-6,
//     float64 bit for bit; frozen parameters (also baked in as initializers) stay bit-identical;
//   - AdamW on the host after a gradients-only graph equals AdamW in the graph;
//   - bytes crossing the session boundary per step shrink with K.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { makeBatches } from '../../test/train/batches';
import { cloneState, sameBits } from '../../test/train/state';
import { tinyConfig } from '../../test/reference/tiny-setup';
import { parameterSpecs } from '../model/params';
import { isFrozen, NO_FREEZE } from './freeze';
import { flattenSegment } from './packing';
import type { AdamWHyper, Batch, FreezeSpec, Objective, StepResult, TrainState } from './step-api';
import { createTrainStep, initTrainState, type TrainStepOptions } from './train-step';
import { buildScanTrainStepGraph, buildTrainStepGraph } from './train-step-graph';

const cfg = tinyConfig();
const specs = parameterSpecs(cfg);
const hyper: AdamWHyper = { beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: 1e-2, clipGradNorm: 1.0 };
const B = 4;
const T = 16;
const lrs = [1e-3, 2e-3, 3e-3, 2.5e-3, 2e-3];


function maxDiff(a: TrainState, b: TrainState): number {
  let d = 0;
  for (const f of ['params', 'expAvg', 'expAvgSq'] as const) {
    for (const [k, x] of a[f]) { const y = b[f].get(k)!; for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i] - y[i])); }
  }
  return d;
}

async function run(state: TrainState, o: TrainStepOptions, batches: Batch[], perCall: number): Promise<StepResult[]> {
  const r = await createTrainStep(cfg, state, { ...o, intraOpThreads: 1 });
  const out: StepResult[] = [];
  for (let i = 0; i < batches.length; i += perCall) {
    const chunk = batches.slice(i, i + perCall);
    out.push(...(perCall === 1 ? [await r.step(chunk[0], lrs[i])] : await r.stepMany(chunk, lrs.slice(i, i + chunk.length))));
  }
  await r.release();
  return out;
}

describe('K optimizer steps in one Scan run', () => {
  for (const objective of ['clm', 'mlm'] as Objective[]) {
    it(`${objective}: 5 steps as Scan runs of 3 + 2 equal 5 single steps (float32, within 1e-6)`, async () => {
      const base: TrainStepOptions = { objective, freeze: NO_FREEZE, batchSize: B, seqLen: T, hyper };
      const batches = makeBatches(objective, 5, B, T);
      const one = initTrainState(cfg, 21);
      const scan = cloneState(one);
      const a = await run(one, { ...base, optimizer: 'graph' }, batches, 1);
      const b = await run(scan, { ...base, stepsPerCall: 3 }, batches, 3);
      expect(scan.adamStep).toBe(5);
      for (let i = 0; i < 5; i++) {
        expect(Math.abs(a[i].loss - b[i].loss)).toBeLessThan(1e-6);
        expect(Math.abs(a[i].gradNorm - b[i].gradNorm) / a[i].gradNorm).toBeLessThan(1e-6);
        a[i].layerGradNorms.forEach((x, j) => expect(Math.abs(x - b[i].layerGradNorms[j])).toBeLessThan(1e-6 * (1 + x)));
        expect(b[i].tokens).toBe(a[i].tokens);
      }
      expect(maxDiff(one, scan)).toBeLessThan(1e-6);
      expect(maxDiff(one, initTrainState(cfg, 21))).toBeGreaterThan(1e-4);             // it did train
    });
  }

  it('frozen parameters and their moments stay bit-identical (baked into the Scan graph as initializers)', async () => {
    const freeze: FreezeSpec = { embeddings: true, layers: [0, 2], head: false };
    const state = initTrainState(cfg, 5);
    const before = cloneState(state);
    const res = await run(state, { objective: 'clm', freeze, batchSize: B, seqLen: T, hyper, stepsPerCall: 4 }, makeBatches('clm', 4, B, T), 4);
    expect(res).toHaveLength(4);
    for (const r of res) { expect(r.layerGradNorms[0]).toBe(0); expect(r.layerGradNorms[1]).toBe(0); expect(r.layerGradNorms[2]).toBeGreaterThan(0); }
    for (const s of specs) for (const f of ['params', 'expAvg', 'expAvgSq'] as const) {
      expect(sameBits(state[f].get(s.name)!, before[f].get(s.name)!), `${f} ${s.name}`).toBe(isFrozen(s, freeze));
    }
  });

  it('a baked-in frozen value that another runner changed since is re-read (phase that unfreezes, then freezes again)', async () => {
    const freeze: FreezeSpec = { embeddings: false, layers: [1], head: false };
    const batches = makeBatches('clm', 3, B, T);
    const a = initTrainState(cfg, 8);
    const b = cloneState(a);
    // a: K-step runner with layer 1 frozen; one unfrozen step in between (another runner); again frozen
    const frozenRunner = await createTrainStep(cfg, a, { objective: 'clm', freeze, batchSize: B, seqLen: T, hyper, stepsPerCall: 2, intraOpThreads: 1 });
    await frozenRunner.stepMany([batches[0]], [lrs[0]]);
    await run(a, { objective: 'clm', freeze: NO_FREEZE, batchSize: B, seqLen: T, hyper, optimizer: 'graph' }, [batches[1]], 1);
    await frozenRunner.stepMany([batches[2]], [lrs[2]]);
    await frozenRunner.release();
    // b: the same with one-step graphs (frozen parameters are plain inputs, always current)
    await run(b, { objective: 'clm', freeze, batchSize: B, seqLen: T, hyper, optimizer: 'graph' }, [batches[0]], 1);
    await run(b, { objective: 'clm', freeze: NO_FREEZE, batchSize: B, seqLen: T, hyper, optimizer: 'graph' }, [batches[1]], 1);
    const r = await createTrainStep(cfg, b, { objective: 'clm', freeze, batchSize: B, seqLen: T, hyper, optimizer: 'graph', intraOpThreads: 1 });
    await r.step(batches[2], lrs[2]);
    await r.release();
    expect(maxDiff(a, b)).toBeLessThan(1e-6);
  });

  it('float64: the Scan of 3 steps equals 3 runs of the one-step graph bit for bit', async () => {
    const o = { objective: 'clm' as const, freeze: { embeddings: false, layers: [2], head: false }, batchSize: 2, seqLen: 8, hyper, dtype: 'float64' as const };
    const batches = makeBatches('clm', 3, 2, 8);
    const st = initTrainState(cfg, 9);
    const one = buildTrainStepGraph(cfg, { ...o, optimizer: 'graph' });
    const scan = buildScanTrainStepGraph(cfg, o);
    const s1 = await ort.InferenceSession.create(one.graph.toModel(), { intraOpNumThreads: 1 });
    const sK = await ort.InferenceSession.create(scan.graph.toModel(), { intraOpNumThreads: 1 });
    const f64 = (n: number) => new Float64Array(n);
    const segs = new Map(one.segments.map((seg) => [seg.key, {
      p: flattenSegment(seg, (n) => st.params.get(n)!, f64), m: flattenSegment(seg, (n) => st.expAvg.get(n)!, f64), v: flattenSegment(seg, (n) => st.expAvgSq.get(n)!, f64),
    }]));
    const frozenFeeds = (f: Record<string, ort.Tensor>) => { for (const s of scan.frozen) f[s.name] = new ort.Tensor('float64', Float64Array.from(st.params.get(s.name)!), s.shape); };
    // K = 3 in one run
    const kFeeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(batches.flatMap((b) => [...b.inputIds])), [3, 2, 8]),
      attention_mask: new ort.Tensor('int64', BigInt64Array.from(batches.flatMap((b) => [...b.attentionMask])), [3, 2, 8]),
      labels: new ort.Tensor('int64', BigInt64Array.from(batches.flatMap((b) => [...b.labels])), [3, 2, 8]),
      lr: new ort.Tensor('float64', Float64Array.from(lrs.slice(0, 3)), [3]),
      step: new ort.Tensor('float64', Float64Array.of(1, 2, 3), [3]),
    };
    for (const [k, v] of segs) { kFeeds[`segment.${k}`] = new ort.Tensor('float64', v.p, [v.p.length]); kFeeds[`exp_avg.${k}`] = new ort.Tensor('float64', v.m, [v.m.length]); kFeeds[`exp_avg_sq.${k}`] = new ort.Tensor('float64', v.v, [v.v.length]); }
    frozenFeeds(kFeeds);
    const outK = await sK.run(kFeeds);
    // one step at a time, state carried in JS
    let cur: Map<string, { p: Float64Array; m: Float64Array; v: Float64Array }> = new Map([...segs].map(([k, v]) => [k, { p: v.p.slice(), m: v.m.slice(), v: v.v.slice() }]));
    for (let i = 0; i < 3; i++) {
      const f: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor('int64', batches[i].inputIds, [2, 8]), attention_mask: new ort.Tensor('int64', batches[i].attentionMask, [2, 8]),
        labels: new ort.Tensor('int64', batches[i].labels, [2, 8]),
        lr: new ort.Tensor('float64', Float64Array.of(lrs[i]), []), step: new ort.Tensor('float64', Float64Array.of(i + 1), []),
      };
      frozenFeeds(f);
      for (const seg of one.segments) {
        const c = cur.get(seg.key)!;
        f[`segment.${seg.key}`] = new ort.Tensor('float64', c.p, [seg.length]); f[`exp_avg.${seg.key}`] = new ort.Tensor('float64', c.m, [seg.length]); f[`exp_avg_sq.${seg.key}`] = new ort.Tensor('float64', c.v, [seg.length]);
        seg.specs.forEach((s, j) => { f[s.name] = new ort.Tensor('float64', c.p.slice(seg.offsets[j], seg.offsets[j] + c.p.length * 0 + s.shape.reduce((a, b) => a * b, 1)), s.shape); });
      }
      const o1 = await s1.run(f);
      expect((o1.loss.data as Float64Array)[0]).toBe((outK.loss.data as Float64Array)[i]);
      expect((o1.grad_norm.data as Float64Array)[0]).toBe((outK.grad_norm.data as Float64Array)[i]);
      cur = new Map(one.segments.map((seg) => [seg.key, { p: o1[`new.${seg.key}`].data as Float64Array, m: o1[`new_exp_avg.${seg.key}`].data as Float64Array, v: o1[`new_exp_avg_sq.${seg.key}`].data as Float64Array }]));
    }
    for (const seg of one.segments) {
      for (const [name, field] of [['new', 'p'], ['new_exp_avg', 'm'], ['new_exp_avg_sq', 'v']] as const) {
        expect(Buffer.from((outK[`${name}.${seg.key}`].data as Float64Array).buffer).equals(Buffer.from(cur.get(seg.key)![field].buffer)), `${name}.${seg.key}`).toBe(true);
      }
    }
    await s1.release();
    await sK.release();
  });

  it('bytes crossing the session boundary per step shrink with K', async () => {
    const base: TrainStepOptions = { objective: 'clm', freeze: NO_FREEZE, batchSize: B, seqLen: T, hyper, intraOpThreads: 1 };
    const batches = makeBatches('clm', 8, B, T);
    const perStep = async (o: TrainStepOptions, n: number) => {
      const r = await createTrainStep(cfg, initTrainState(cfg, 2), o);
      await r.stepMany(batches.slice(0, n), lrs.concat(lrs).slice(0, n));
      await r.release();
      return r.lastCallBytes / n;
    };
    const stateBytes = specs.reduce((n, s) => n + 3 * 4 * s.shape.reduce((a, b) => a * b, 1), 0);
    const batchBytes = 3 * 8 * B * T;
    const k1 = await perStep({ ...base, optimizer: 'graph' }, 1);
    const k8 = await perStep({ ...base, stepsPerCall: 8 }, 8);
    // K = 1: every parameter in (per-parameter views and flat segments), state in and out, the batch
    expect(k1).toBeGreaterThanOrEqual(2 * stateBytes + batchBytes);
    expect(k8).toBeLessThan((2 * stateBytes) / 8 + batchBytes + 4096);
    expect(k1 / k8).toBeGreaterThan(7);
  });
});

describe('AdamW on the host (gradients-only graph)', () => {
  for (const objective of ['clm', 'mlm'] as Objective[]) {
    it(`${objective}: 4 steps equal AdamW in the graph (within float32 rounding), frozen tensors untouched`, async () => {
      const freeze: FreezeSpec = { embeddings: false, layers: [1], head: false };
      const base: TrainStepOptions = { objective, freeze, batchSize: B, seqLen: T, hyper };
      const batches = makeBatches(objective, 4, B, T);
      const g = initTrainState(cfg, 13);
      const h = cloneState(g);
      const before = cloneState(g);
      const a = await run(g, { ...base, optimizer: 'graph' }, batches, 1);
      const b = await run(h, { ...base, optimizer: 'host' }, batches, 1);
      for (let i = 0; i < 4; i++) {
        if (i === 0) expect(b[i].loss).toBe(a[i].loss);                                // same graph up to the loss
        expect(Math.abs(b[i].loss - a[i].loss) / a[i].loss).toBeLessThan(1e-6);
        expect(Math.abs(b[i].gradNorm - a[i].gradNorm) / a[i].gradNorm).toBeLessThan(1e-6);
      }
      // host AdamW rounds to float32 once per stored value, the graph once per op: a few ulps apart
      expect(maxDiff(g, h)).toBeLessThan(1e-6);
      expect(maxDiff(g, initTrainState(cfg, 13))).toBeGreaterThan(1e-4);
      for (const s of specs) if (isFrozen(s, freeze)) expect(sameBits(h.params.get(s.name)!, before.params.get(s.name)!)).toBe(true);
    });
  }
});
