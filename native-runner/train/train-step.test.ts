// The float32 train step on real onnxruntime-node sessions: loss falls, frozen tensors stay
// bit-identical, in-place output binding equals separate output buffers, bad input is rejected.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { makeBatches } from '../../test/train/batches';
import { cloneState, sameBits } from '../../test/train/state';
import { tinyConfig } from '../../test/reference/tiny-setup';
import { parameterSpecs } from '../model/params';
import { isFrozen, NO_FREEZE } from './freeze';
import type { AdamWHyper, FreezeSpec, TrainState } from './step-api';
import { flattenSegment } from './packing';
import { createTrainStep, initTrainState, trainStepModel } from './train-step';

const cfg = tinyConfig();
const hyper: AdamWHyper = { beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: 1e-5, clipGradNorm: 1.0 };
const B = 4;
const T = 16;


describe('train step (float32, tiny model)', () => {
  for (const objective of ['mlm', 'clm'] as const) {
    it(`${objective}: loss falls over 60 steps on a fixed batch set`, async () => {
      const state = initTrainState(cfg, 1);
      const runner = await createTrainStep(cfg, state, { objective, freeze: NO_FREEZE, batchSize: B, seqLen: T, hyper, intraOpThreads: 1 });
      const batches = makeBatches(objective, 3, B, T);
      const losses: number[] = [];
      for (let i = 0; i < 60; i++) {
        const r = await runner.step(batches[i % 3], 2e-2);
        expect(r.layerGradNorms).toHaveLength(cfg.num_hidden_layers + 2);
        losses.push(r.loss);
      }
      await runner.release();
      const first = (losses[0] + losses[1] + losses[2]) / 3;
      const last = (losses[57] + losses[58] + losses[59]) / 3;
      if (process.env.TRAIN_VERBOSE) console.log(objective, losses.map((l) => l.toFixed(3)).join(' '));
      expect(first).toBeGreaterThan(3.5);                 // ≈ ln 50 at init
      expect(last).toBeLessThan(0.65 * first);
      expect(state.adamStep).toBe(60);
    });
  }

  it('frozen parameters and their moments are bit-identical after several steps', async () => {
    const freeze: FreezeSpec = { embeddings: true, layers: [0, 1], head: false };
    const state = initTrainState(cfg, 2);
    // non-zero moments, as after an earlier unfrozen phase
    for (const m of [state.expAvg, state.expAvgSq]) for (const v of m.values()) v.fill(1e-3);
    const before = cloneState(state);
    const runner = await createTrainStep(cfg, state, { objective: 'clm', freeze, batchSize: B, seqLen: T, hyper, intraOpThreads: 1 });
    for (const b of makeBatches('clm', 3, B, T)) {
      const r = await runner.step(b, 1e-2);
      expect(r.layerGradNorms[0]).toBe(0);                // embeddings frozen
      expect(r.layerGradNorms[1]).toBe(0);                // layer 0
      expect(r.layerGradNorms[2]).toBe(0);                // layer 1
      expect(r.layerGradNorms[3]).toBeGreaterThan(0);
    }
    await runner.release();
    for (const s of parameterSpecs(cfg)) {
      const frozen = isFrozen(s, freeze);
      for (const field of ['params', 'expAvg', 'expAvgSq'] as const) {
        const same = sameBits(state[field].get(s.name)!, before[field].get(s.name)!);
        expect(same, `${field} ${s.name}`).toBe(frozen);
      }
    }
  });

  it('in-place updates equal a run with separate output buffers', async () => {
    const opts = { objective: 'mlm' as const, freeze: NO_FREEZE, batchSize: B, seqLen: T, hyper, sparsePrediction: false, optimizer: 'graph' as const };
    const state = initTrainState(cfg, 3);
    const ref = cloneState(state);
    const batch = makeBatches('mlm', 1, B, T)[0];
    const runner = await createTrainStep(cfg, state, { ...opts, intraOpThreads: 1 });
    await runner.step(batch, 1e-3);
    await runner.release();
    // the same model run without output binding: ORT allocates fresh outputs
    const { bytes, segments } = trainStepModel(cfg, opts);
    const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', batch.inputIds, [B, T]),
      attention_mask: new ort.Tensor('int64', batch.attentionMask, [B, T]),
      labels: new ort.Tensor('int64', batch.labels, [B, T]),
      lr: new ort.Tensor('float32', Float32Array.of(1e-3), []),
      step: new ort.Tensor('float32', Float32Array.of(1), []),
    };
    for (const sp of parameterSpecs(cfg)) feeds[sp.name] = new ort.Tensor('float32', ref.params.get(sp.name)!, sp.shape);
    const f32 = (n: number) => new Float32Array(n);
    for (const seg of segments) {
      feeds[`segment.${seg.key}`] = new ort.Tensor('float32', flattenSegment(seg, (n) => ref.params.get(n)!, f32), [seg.length]);
      feeds[`exp_avg.${seg.key}`] = new ort.Tensor('float32', flattenSegment(seg, (n) => ref.expAvg.get(n)!, f32), [seg.length]);
      feeds[`exp_avg_sq.${seg.key}`] = new ort.Tensor('float32', flattenSegment(seg, (n) => ref.expAvgSq.get(n)!, f32), [seg.length]);
    }
    const out = await s.run(feeds);
    await s.release();
    expect(segments).toHaveLength(2 * (cfg.num_hidden_layers + 2));
    for (const seg of segments) {
      const inPlace = flattenSegment(seg, (n) => state.params.get(n)!, f32);
      const inPlaceV = flattenSegment(seg, (n) => state.expAvgSq.get(n)!, f32);
      expect(sameBits(inPlace, out[`new.${seg.key}`].data as Float32Array), seg.key).toBe(true);
      expect(sameBits(inPlaceV, out[`new_exp_avg_sq.${seg.key}`].data as Float32Array), seg.key).toBe(true);
    }
  });

  it('sparse MLM prediction gives the dense loss and update, and grows its row capacity when needed', async () => {
    const batches = makeBatches('mlm', 2, B, T);
    const labelled = (b: (typeof batches)[0]) => b.labels.filter((x, i) => x !== -100n && b.attentionMask[i] !== 0n).length;
    const dense = initTrainState(cfg, 6);
    const sparse = cloneState(dense);
    const base = { objective: 'mlm' as const, freeze: NO_FREEZE, batchSize: B, seqLen: T, hyper, intraOpThreads: 1 };
    const rd = await createTrainStep(cfg, dense, { ...base, sparsePrediction: false });
    // capacity below the first batch's labelled count forces one recompilation
    const small = Math.max(1, labelled(batches[0]) - 5);
    const rs = await createTrainStep(cfg, sparse, { ...base, lossRows: small });
    for (const b of batches) {
      const a = await rd.step(b, 1e-2);
      const c = await rs.step(b, 1e-2);
      expect(Math.abs(a.loss - c.loss)).toBeLessThan(1e-5 * a.loss);
      expect(c.tokens).toBe(a.tokens);
      expect(c.tokens).toBe(labelled(b));
      expect(Math.abs(a.gradNorm - c.gradNorm)).toBeLessThan(1e-4 * a.gradNorm);
    }
    await rd.release();
    await rs.release();
    for (const [k, v] of dense.params) {
      const w = sparse.params.get(k)!;
      let d = 0;
      for (let i = 0; i < v.length; i++) d = Math.max(d, Math.abs(v[i] - w[i]));
      expect(d, k).toBeLessThan(1e-5);
    }
  });

  it('thread settings (1 or 2 intra-op threads, spin-wait on or off) do not change a single bit', async () => {
    // the queue gives each of several concurrent runners fewer threads, and a resumed run may get
    // other settings than its first part: that must not change the numbers it produces
    const batches = makeBatches('clm', 3, B, T);
    const finals: TrainState[] = [];
    for (const [threads, spinWait] of [[1, false], [2, false], [2, true]] as const) {
      const state = initTrainState(cfg, 9);
      const runner = await createTrainStep(cfg, state, { objective: 'clm', freeze: NO_FREEZE, batchSize: B, seqLen: T, hyper, intraOpThreads: threads, spinWait });
      for (const b of batches) await runner.step(b, 1e-2);
      await runner.release();
      finals.push(state);
    }
    for (const other of finals.slice(1)) {
      for (const [k, v] of finals[0].params) expect(sameBits(v, other.params.get(k)!), k).toBe(true);
      for (const [k, v] of finals[0].expAvgSq) expect(sameBits(v, other.expAvgSq.get(k)!), k).toBe(true);
    }
  });

  it('takes in arrays swapped into the state between steps (e.g. a loaded checkpoint)', async () => {
    const state = initTrainState(cfg, 8);
    const runner = await createTrainStep(cfg, state, { objective: 'clm', freeze: NO_FREEZE, batchSize: B, seqLen: T, hyper, intraOpThreads: 1 });
    const [b1, b2] = makeBatches('clm', 2, B, T);
    await runner.step(b1, 1e-2);
    const name = 'model.layers.1.attn.Wo.weight';
    const fresh = state.params.get(name)!.map((x) => x * 0.5 + 0.01);
    const freshBefore = fresh.slice();
    state.params.set(name, fresh);
    await runner.step(b2, 1e-3);
    await runner.release();
    const now = state.params.get(name)!;
    expect(now).not.toBe(fresh);                                         // the map holds the packed view again
    expect(sameBits(fresh, freshBefore)).toBe(true);                     // the caller's array is not written
    let maxDiff = 0;
    for (let i = 0; i < now.length; i++) maxDiff = Math.max(maxDiff, Math.abs(now[i] - freshBefore[i]));
    expect(maxDiff).toBeGreaterThan(0);                                  // updated...
    expect(maxDiff).toBeLessThan(5e-3);                                  // ...by one small step from the swapped-in values
  });

  it('rejects bad inputs with clear errors', async () => {
    const state = initTrainState(cfg, 4);
    const base = { objective: 'mlm' as const, freeze: NO_FREEZE, batchSize: B, seqLen: T, hyper, intraOpThreads: 1 };
    await expect(createTrainStep(cfg, state, { ...base, freeze: { embeddings: false, layers: [4], head: false } }))
      .rejects.toThrow('freeze.layers: layer 4 out of range (model has layers 0..3)');
    await expect(createTrainStep(cfg, state, { ...base, seqLen: 65 })).rejects.toThrow('exceeds max_position_embeddings 64');
    const broken = cloneState(state);
    broken.params.set('head.norm.weight', new Float32Array(3));
    await expect(createTrainStep(cfg, broken, base)).rejects.toThrow('TrainState.params["head.norm.weight"] has 3 values');
    const runner = await createTrainStep(cfg, state, base);
    const b = makeBatches('mlm', 1, B, T)[0];
    await expect(runner.step({ ...b, seqLen: 8 }, 1e-3)).rejects.toThrow('compiled for 4x16');
    const badIds = b.inputIds.slice();
    badIds[5] = 50n;
    await expect(runner.step({ ...b, inputIds: badIds }, 1e-3)).rejects.toThrow('batch.inputIds[5] = 50 is outside the vocabulary');
    await runner.release();
  });

  it('device cuda without the CUDA provider explains how to install it', async () => {
    const state = initTrainState(cfg, 5);
    await expect(createTrainStep(cfg, state, { objective: 'mlm', freeze: NO_FREEZE, batchSize: 2, seqLen: 8, hyper, device: 'cuda' }))
      .rejects.toThrow('ONNXRUNTIME_NODE_INSTALL=cuda12 npm run setup:cuda');
  });
});
