// Host AdamW on two threads (adamw-threads.ts): the worker's half moves away and back each step.
//   - results are bit-identical to the one-thread JS pass, whichever thread ran a segment;
//   - the split balances elements and keeps buffers that cannot move (views into a larger buffer);
//   - a failing job still brings every moved buffer back (state whole), then the error is thrown;
//   - through the real train step (onnxruntime-node, a model above the threading threshold):
//     hostAdamwThreads 2 equals 1 bit for bit over several steps, frozen segments stay
//     bit-identical, and the state's maps hold live views afterwards.
import { describe, expect, it } from 'vitest';
import { makeBatches } from '../../test/train/batches';
import { cloneState, sameBits } from '../../test/train/state';
import { presetConfig } from '../model/config';
import { hostAdamwScalars, hostAdamwUpdate } from './adamw-host';
import { HostAdamWThreads, runJob, splitJobs, THREAD_MIN_ELEMENTS, type KernelKind, type SegmentJob } from './adamw-threads';
import { NO_FREEZE } from './freeze';
import { ensurePacked } from './packing';
import type { AdamWHyper, FreezeSpec, TrainState } from './step-api';
import { createTrainStep, initTrainState } from './train-step';

const hyper: AdamWHyper = { beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: 1e-2, clipGradNorm: 1.0 };

function randomJob(key: string, sizes: number[], seed: number, decay = true): SegmentJob {
  let x = seed;
  const rnd = () => { x = (x * 1103515245 + 12345) % 2147483648; return x / 2147483648 - 0.5; };
  const n = sizes.reduce((a, b) => a + b, 0);
  const fill = (a: Float32Array, abs = false) => { for (let i = 0; i < a.length; i++) a[i] = abs ? Math.abs(rnd()) * 1e-3 : rnd() * 0.1; return a; };
  let off = 0;
  const grads = sizes.map((k) => { const g = { offset: off, g: fill(new Float32Array(k)) }; off += k; return g; });
  return { key, decay, p: fill(new Float32Array(n)), m: fill(new Float32Array(n)), v: fill(new Float32Array(n), true), grads };
}

const copyJob = (j: SegmentJob): SegmentJob => ({ ...j, p: j.p.slice(), m: j.m.slice(), v: j.v.slice(), grads: j.grads.map((x) => ({ offset: x.offset, g: x.g.slice() })) });

describe('host AdamW on two threads', () => {
  const sc = hostAdamwScalars(hyper, 1e-3, 3, 4.0);

  it('gives the one-thread results bit for bit, and re-homes every moved segment', async () => {
    const jobs = [randomJob('a', [300_000, 5], 1), randomJob('b', [100_000], 2, false), randomJob('c', [90_000, 10_000], 3), randomJob('d', [7], 4)];
    const expected = jobs.map(copyJob);
    for (const j of expected) runJob(sc, j, hostAdamwUpdate);          // the plain JS kernel, one thread
    const pool = new HostAdamWThreads();
    const moved = new Map<string, SegmentJob>();
    const original = new Map(jobs.map((j) => [j.key, j.p]));
    await pool.update(sc, jobs, (j) => moved.set(j.key, j));
    await pool.terminate();
    expect(moved.size).toBeGreaterThan(0);                     // the worker did take some
    expect(moved.size).toBeLessThan(jobs.length);              // and this thread kept some
    for (const e of expected) {
      const got = moved.get(e.key) ?? jobs.find((j) => j.key === e.key)!;
      if (moved.has(e.key)) expect(original.get(e.key)!.length).toBe(0);    // the sender's array detached
      expect(sameBits(got.p, e.p)).toBe(true);
      expect(sameBits(got.m, e.m)).toBe(true);
      expect(sameBits(got.v, e.v)).toBe(true);
    }
  });

  it('splits by elements and keeps views into larger buffers on this thread', () => {
    const big = randomJob('big', [1000], 1);
    const shared = new Float32Array(2000);
    const view = { ...randomJob('view', [800], 2), p: shared.subarray(0, 800) };
    const jobs = [big, randomJob('x', [600], 3), randomJob('y', [500], 4), view];
    const { here, there } = splitJobs(jobs);
    expect(here.map((j) => j.key)).toContain('view');
    expect(here.map((j) => j.key)).toContain('big');
    const count = (js: SegmentJob[]) => js.reduce((n, j) => n + j.grads.reduce((a, g) => a + g.g.length, 0), 0);
    expect(count(there)).toBe(1100);                              // x + y: the best balance left
    expect(count(here)).toBe(1800);
  });

  it('a job that fails in the worker still comes back, then the error names it', async () => {
    const ok = randomJob('ok', [200_000], 1);
    const bad = randomJob('bad', [200_000], 2);
    bad.grads[0].offset = 10;                                     // runs past the end of p: lengths differ
    const pool = new HostAdamWThreads();
    const moved: string[] = [];
    await expect(pool.update(sc, [ok, bad, randomJob('z', [500_000], 3)], (j) => moved.push(j.key))).rejects.toThrow(/AdamW/);
    await pool.terminate();
    expect(moved.sort()).toEqual(['bad', 'ok']);                 // both went to the worker and came back
  });
});

describe('host AdamW threads in the train step (onnxruntime-node)', () => {
  // 4096 × 256 embeddings alone are above the threshold, so the worker takes layers and the head
  const cfg = { ...presetConfig('tiny', { vocab_size: 4096, pad_token_id: 0, cls_token_id: 1, sep_token_id: 2, mask_token_id: 3 }), hidden_size: 256, num_attention_heads: 4, intermediate_size: 256 };
  const B = 2;
  const T = 16;

  async function train(state: TrainState, freeze: FreezeSpec, threads: 1 | 2, kernel: KernelKind): Promise<number[]> {
    const r = await createTrainStep(cfg, state, { objective: 'mlm', freeze, batchSize: B, seqLen: T, hyper, intraOpThreads: 2, hostAdamwThreads: threads, hostAdamwKernel: kernel });
    const losses: number[] = [];
    for (const [i, b] of makeBatches('mlm', 4, B, T).entries()) losses.push((await r.step(b, 1e-3 * (i + 1))).loss);
    await r.release();
    return losses;
  }

  const cases: [string, FreezeSpec][] = [['nothing frozen', NO_FREEZE], ['layers 0-1 frozen', { embeddings: false, layers: [0, 1], head: false }]];
  for (const [name, freeze] of cases) {
    it(`${name}: two threads of the WebAssembly kernel equal one thread of the JS kernel bit for bit over 4 steps`, async () => {
      const one = initTrainState(cfg, 7);
      expect([...one.params.values()].reduce((n, a) => n + a.length, 0)).toBeGreaterThan(2 * THREAD_MIN_ELEMENTS);
      const two = cloneState(one);
      const before = cloneState(one);
      const l1 = await train(one, freeze, 1, 'js');
      const packedBefore = new Map(ensurePacked(cfg, two).views.params);
      const l2 = await train(two, freeze, 2, 'wasm');
      // the worker did take segments: their views were re-homed onto the buffers that came back
      const moved = [...two.params].filter(([k, v]) => packedBefore.get(k) !== v).length;
      expect(moved).toBeGreaterThan(0);
      expect(moved).toBeLessThan(two.params.size);
      expect(l2).toEqual(l1);
      expect(two.adamStep).toBe(4);
      for (const kind of ['params', 'expAvg', 'expAvgSq'] as const) {
        for (const [k, a] of one[kind]) {
          const b = two[kind].get(k)!;
          expect(b.length, `${kind} ${k} is a live view`).toBe(a.length);
          expect(sameBits(a, b), `${kind} ${k}`).toBe(true);
        }
      }
      for (const k of ['model.layers.0.attn.Wqkv.weight', 'model.layers.1.mlp.Wo.weight']) {
        const frozen = freeze.layers.length > 0;
        expect(sameBits(two.params.get(k)!, before.params.get(k)!)).toBe(frozen);
      }
      // the moved segments are still the packed record's buffers: packing again copies nothing
      const p = ensurePacked(cfg, two);
      for (const [k, v] of two.params) expect(p.views.params.get(k)).toBe(v);
    });
  }
});
