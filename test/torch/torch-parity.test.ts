// The PyTorch side of `bench:train --vs-torch` computes the same step as the engine: our init weights
// go to a safetensors file, both sides load them and train on the same batches, and losses and grad
// norms must agree (first step: loss 1e-4, grad norm 1e-3 relative; after 3 AdamW steps: loss 1e-3).
// Opt-in: skipped unless /usr/bin/python3 has torch (apt-get install -y python3-torch libopenblas0-openmp).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSafetensors } from '../../native-runner/checkpoint/safetensors';
import { presetConfig } from '../../native-runner/model/config';
import { parameterSpecs } from '../../native-runner/model/params';
import { NO_FREEZE } from '../../native-runner/train/freeze';
import type { AdamWHyper, Batch, FreezeSpec, Objective } from '../../native-runner/train/step-api';
import { createTrainStep, initTrainState } from '../../native-runner/train/train-step';
import { TorchSide, torchUnavailable } from '../../scripts/torch/side';

const why = torchUnavailable();
if (why) console.warn(`test/torch skipped: ${why}`);

// tiny preset: 4 layers (global 0 and 3, local 1 and 2 with a window of ±2), so T = 16 exercises the
// sliding window, the causal mask and a padded row
const cfg = { ...presetConfig('tiny'), vocab_size: 96, pad_token_id: 0, cls_token_id: 1, sep_token_id: 2 };
const B = 2;
const T = 16;
const hyper: AdamWHyper = { beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: 1e-5, clipGradNorm: 1.0 };
const lr = 1e-3;

function batch(objective: Objective, seed: number): Batch {
  let s = seed >>> 0;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
  const n = B * T;
  const ids = new BigInt64Array(n);
  const mask = new BigInt64Array(n).fill(1n);
  const labels = new BigInt64Array(n).fill(-100n);
  for (let i = 0; i < n; i++) ids[i] = BigInt(4 + Math.floor(rand() * (cfg.vocab_size - 4)));
  for (let i = T + 11; i < n; i++) { ids[i] = 0n; mask[i] = 0n; }      // row 1: 11 tokens, then padding
  for (let i = 0; i < n; i++) {
    if (objective === 'clm') { if ((i + 1) % T !== 0) labels[i] = ids[i + 1]; }
    else if (rand() < 0.3) { labels[i] = ids[i]; ids[i] = 3n; }
  }
  return { batchSize: B, seqLen: T, inputIds: ids, attentionMask: mask, labels };
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

describe.skipIf(why !== null)('PyTorch side computes the engine step (scripts/torch/modernbert_step.py)', () => {
  let dir = '';
  let weights = '';
  let torch: TorchSide;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'torch-parity-'));
    weights = join(dir, 'init.safetensors');
    const params = initTrainState(cfg, 3).params;
    writeSafetensors(weights, new Map(parameterSpecs(cfg).map((s) => [s.name, { shape: s.shape, data: params.get(s.name)! }])));
    torch = TorchSide.start(1);
  });
  afterAll(async () => {
    await torch?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cases: [string, Objective, FreezeSpec][] = [
    ['CLM', 'clm', NO_FREEZE],
    ['MLM (sparse prediction)', 'mlm', NO_FREEZE],
    ['CLM, embeddings + layers 0-1 frozen', 'clm', { embeddings: true, layers: [0, 1], head: false }],
  ];
  it.each(cases)('%s: first step, then 3 AdamW steps', async (_name, objective, freeze) => {
    const state = initTrainState(cfg, 3);               // the same values as the file
    const ours = await createTrainStep(cfg, state, { objective, freeze, batchSize: B, seqLen: T, hyper, intraOpThreads: 1 });
    await torch.init({ config: cfg, objective, freeze, hyper, weights });
    const rows: string[] = [];
    try {
      for (let k = 0; k < 4; k++) {
        const b = batch(objective, 100 + k);
        const a = await ours.step(b, lr);
        const t = await torch.step(b, lr);
        rows.push(`step ${k + 1}: loss ${a.loss} vs ${t.loss} (rel ${rel(t.loss, a.loss).toExponential(1)}), grad norm ${a.gradNorm} vs ${t.grad_norm} (rel ${rel(t.grad_norm, a.gradNorm).toExponential(1)})`);
        expect(t.tokens).toBe(a.tokens);
        if (k === 0) {
          expect(rel(t.loss, a.loss)).toBeLessThan(1e-4);
          expect(rel(t.grad_norm, a.gradNorm)).toBeLessThan(1e-3);
        } else {
          expect(rel(t.loss, a.loss)).toBeLessThan(1e-3);    // after k AdamW updates on both sides
        }
      }
    } finally {
      console.log(`${_name}\n  ${rows.join('\n  ')}`);
      await ours.release();
    }
  });
});
