// CUDA checks, run by scripts/gpu-check.sh on a machine with an NVIDIA GPU (GPU_CHECK=1); skipped
// elsewhere, with the reason. The K-step Scan on the CUDA provider against the CPU's one-step host
// AdamW, frozen tensors bit-identical, and what crosses the session boundary per step.
import { describe, expect, it } from 'vitest';
import { makeBatches } from '../../test/train/batches';
import { cloneState, sameBits } from '../../test/train/state';
import { tinyConfig } from '../../test/reference/tiny-setup';
import { parameterSpecs } from '../model/params';
import { isFrozen } from './freeze';
import type { AdamWHyper, FreezeSpec } from './step-api';
import { createTrainStep, initTrainState } from './train-step';

const enabled = process.env.GPU_CHECK === '1';
const cfg = tinyConfig();
const hyper: AdamWHyper = { beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: 1e-2, clipGradNorm: 1.0 };
const B = 4;
const T = 16;
const freeze: FreezeSpec = { embeddings: false, layers: [1], head: false };

describe.skipIf(!enabled)('train step on CUDA (GPU_CHECK=1: scripts/gpu-check.sh)', () => {
  it('8 steps as one Scan run on CUDA follow 8 CPU steps; frozen tensors bit-identical; state crosses once', async () => {
    const batches = makeBatches('clm', 8, B, T);
    const lrs = batches.map((_, i) => 1e-3 * (1 + i / 8));
    const cpu = initTrainState(cfg, 4);
    const gpu = cloneState(cpu);
    const before = cloneState(cpu);
    const r1 = await createTrainStep(cfg, cpu, { objective: 'clm', freeze, batchSize: B, seqLen: T, hyper, intraOpThreads: 1 });
    const a = [];
    for (let i = 0; i < 8; i++) a.push(await r1.step(batches[i], lrs[i]));
    await r1.release();
    const r8 = await createTrainStep(cfg, gpu, { objective: 'clm', freeze, batchSize: B, seqLen: T, hyper, device: 'cuda', stepsPerCall: 8 });
    const b = await r8.stepMany(batches, lrs);
    const bytes = r8.lastCallBytes;
    await r8.release();
    // GPU GEMMs round differently (and may use TF32): compare losses loosely, state to 1e-3
    for (let i = 0; i < 8; i++) expect(Math.abs(a[i].loss - b[i].loss) / a[i].loss).toBeLessThan(1e-3);
    let d = 0;
    for (const [k, x] of cpu.params) { const y = gpu.params.get(k)!; for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i] - y[i])); }
    expect(d).toBeLessThan(1e-3);
    for (const s of parameterSpecs(cfg)) if (isFrozen(s, freeze)) expect(sameBits(gpu.params.get(s.name)!, before.params.get(s.name)!)).toBe(true);
    const trainableBytes = parameterSpecs(cfg).filter((s) => !isFrozen(s, freeze)).reduce((n, s) => n + 12 * s.shape.reduce((x, y) => x * y, 1), 0);
    expect(bytes).toBeLessThan(2 * trainableBytes + 8 * 3 * 8 * B * T + 4096);   // state in + out once, 8 batches
  });
});
