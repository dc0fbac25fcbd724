// Peak memory of resuming a ModernBERT-base run, against starting one fresh (issue 11: peak RSS of the
// base-size step ≤ 4 GiB). Each case runs in its own process with the runner's malloc settings, so a
// figure is that process's own peak (VmHWM):
//   npm run bench:resume                 base size (vocab 50368), B1 T512, CLM, 3 steps
//   npm run bench:resume -- --objective mlm
// It writes one checkpoint of a fresh state to a temporary directory, then runs: fresh (init + 3 steps)
// and resume (readCheckpoint + 3 steps), printing the peak RSS after loading and after the steps.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint, TRAINER_STATE_FORMAT, writeCheckpoint, type TrainerState } from '../native-runner/checkpoint/checkpoint';
import { presetConfig } from '../native-runner/model/config';
import { NO_FREEZE } from '../native-runner/train/freeze';
import type { Objective, TrainState } from '../native-runner/train/step-api';
import { createTrainStep, initTrainState } from '../native-runner/train/train-step';
import { withMallocTunables } from '../native-runner/util/malloc-tunables';
import { randomBatches } from './bench-batches';

const args = process.argv.slice(2);
const opt = (n: string, d: string) => { const i = args.indexOf(`--${n}`); return i >= 0 ? args[i + 1] : d; };
const objective = opt('objective', 'clm') as Objective;
if (objective !== 'clm' && objective !== 'mlm') throw new Error(`--objective takes clm or mlm, got "${objective}"`);
const cfg = { ...presetConfig('base'), vocab_size: 50368, pad_token_id: 0, cls_token_id: 1, sep_token_id: 2, mask_token_id: 3 };
const T = 512;
const gib = () => Number((process.resourceUsage().maxRSS / 2 ** 20).toFixed(2));

async function child(mode: 'write' | 'fresh' | 'resume', dir: string): Promise<void> {
  if (mode === 'write') {
    const st = initTrainState(cfg, 7);
    st.adamStep = 5;
    const trainer: TrainerState = { format: TRAINER_STATE_FORMAT, step: 5, phase_index: 0, phase: objective, phase_step: 5, scheduler: { segment_start: 0, position: 5, total: 10 }, adam_step: 5, data_cursor: null, rng: {}, config_hash: '-', seed: 7, saved_at: new Date().toISOString() };
    writeCheckpoint(dir, { modelConfig: cfg, state: st, trainer });
    return;
  }
  const state: TrainState = mode === 'resume' ? readCheckpoint(dir, cfg).state : initTrainState(cfg, 7);
  const afterLoad = gib();
  const r = await createTrainStep(cfg, state, { objective, freeze: NO_FREEZE, batchSize: 1, seqLen: T, hyper: { beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: 1e-5, clipGradNorm: 1 } });
  for (const b of randomBatches(cfg.vocab_size, 1, T, objective, 3)) await r.step(b, 2e-4);
  await r.release();
  console.log(JSON.stringify({ mode, objective, peak_rss_after_load_gib: afterLoad, peak_rss_after_3_steps_gib: gib() }));
}

const [mode, dir] = [opt('child', ''), opt('dir', '')];
if (mode) await child(mode as 'write' | 'fresh' | 'resume', dir);
else {
  const tmp = mkdtempSync(join(tmpdir(), 'bench-resume-'));
  const ckpt = join(tmp, 'step-5');
  const run = (m: string) => execFileSync(process.execPath, [...process.execArgv, process.argv[1], ...args, '--child', m, '--dir', ckpt],
    { env: withMallocTunables(process.env), encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  try {
    console.log(`resume vs fresh, ModernBERT-base (vocab ${cfg.vocab_size}), B1 T${T}, ${objective}, the runner's malloc settings, one process per case`);
    run('write');
    for (const m of ['fresh', 'resume']) console.log(run(m));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
