// `npm run bench:train -- --vs-torch`: every (shape, run) row of bench-train.ts once on the engine and
// once in PyTorch (scripts/torch/modernbert_step.py), interleaved step by step on the same batches and
// from the same initial weights (our init, handed over as a safetensors file), so load from other
// processes hits both alike. Prints the medians and PyTorch ÷ engine per row (> 1: the engine is faster).
// Engine time: wall time of runner.step (feeds, session.run, results). PyTorch time: measured in Python
// around zero_grad + forward + backward + clip_grad_norm_ + AdamW.step (no JSON transfer).
// The first-step losses of both sides are printed too: they agree when both run the same maths.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors } from '../../native-runner/checkpoint/safetensors';
import type { ModernBertConfig } from '../../native-runner/model/config';
import { parameterSpecs } from '../../native-runner/model/params';
import type { AdamWHyper, Batch, FreezeSpec, Objective } from '../../native-runner/train/step-api';
import { createTrainStep, initTrainState } from '../../native-runner/train/train-step';
import { median } from '../median';
import { TorchSide, torchEnvSettings, torchUnavailable } from './side';

export interface VsTorchShape { name: string; V: number; D: number; L: number; H: number; F: number; T: number; B: number }
export interface VsTorchRun { objective: Objective; frozen: string; freeze: FreezeSpec }

export interface VsTorchOptions {
  shapes: VsTorchShape[];
  runs: VsTorchRun[];
  config: (s: VsTorchShape) => ModernBertConfig;
  batches: (s: VsTorchShape, objective: Objective, count: number) => Batch[];
  hyper: AdamWHyper;
  steps: number;
  warmup: number;
  threads: number;
  spinWait: boolean;
  json: boolean;
  lr?: number;                   // default 2e-4, as the engine-only benchmark
  stepsPerCall?: number;         // engine: K optimizer steps per ORT run (K-step Scan); a sample = K steps, time / K
  hostAdamwThreads?: 1 | 2;      // engine: threads of the host AdamW (default: the runner's)
}

export async function benchTrainVsTorch(o: VsTorchOptions): Promise<void> {
  const why = torchUnavailable();
  if (why) {
    console.error(`--vs-torch needs PyTorch: ${why}`);
    process.exit(1);
  }
  const lr = o.lr ?? 2e-4;
  const env = torchEnvSettings(o.spinWait);
  const envText = Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ');
  // the engine runs in this process: its malloc settings decide whether its big buffers page-fault
  // every step as PyTorch's would without the tunables, so say which it has
  const engineEnv = `GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES ?? ''}`;
  if (env.OPENBLAS_CORETYPE !== 'SkylakeX' && /\bavx512f\b/.test(readFileSync('/proc/cpuinfo', 'utf8'))) {
    console.error(`note: OPENBLAS_CORETYPE=${env.OPENBLAS_CORETYPE} comes from the environment; PyTorch's GEMMs then skip OpenBLAS's AVX-512 kernels (run with OPENBLAS_CORETYPE=SkylakeX)`);
  }
  // a fresh PyTorch process per row, as the engine gets a fresh session per row: in one long-lived
  // process PyTorch's step time depended on which rows ran before (big CLM 352-410 ms, session 3)
  let torch = TorchSide.start(o.threads, o.spinWait);
  let rowsDone = 0;
  const dir = mkdtempSync(join(tmpdir(), 'vs-torch-'));
  try {
    if (!o.json) console.log(`engine (${engineEnv}) vs PyTorch (${envText}), ${o.threads} threads each, interleaved step by step, a fresh PyTorch process per row, median of ${o.steps} steps after ${o.warmup} warm-up, load ${loadavg()[0].toFixed(2)}`);
    for (const s of o.shapes) {
      const cfg = o.config(s);
      // one weights file per shape, from the first run's fresh state: both sides start every run from
      // the same values (written before the runner packs the state into its own buffers)
      const weights = join(dir, `${s.name}.safetensors`);
      for (const [ri, r] of o.runs.entries()) {
        const state = initTrainState(cfg, 7);
        if (ri === 0) writeSafetensors(weights, new Map(parameterSpecs(cfg).map((p) => [p.name, { shape: p.shape, data: state.params.get(p.name)! }])));
        const K = o.stepsPerCall ?? 1;
        const ours = await createTrainStep(cfg, state, { objective: r.objective, freeze: r.freeze, batchSize: s.B, seqLen: s.T, hyper: o.hyper, intraOpThreads: o.threads, spinWait: o.spinWait, stepsPerCall: K, hostAdamwThreads: o.hostAdamwThreads });
        if (rowsDone++ > 0) { await torch.close(); torch = TorchSide.start(o.threads, o.spinWait); }
        const info = await torch.init({ config: cfg, objective: r.objective, freeze: r.freeze, hyper: o.hyper, weights });
        const data = o.batches(s, r.objective, Math.max(4, K));
        const engineMs: number[] = [];
        const hostMs: number[] = [];
        const torchMs: number[] = [];
        let firstLoss: [number, number] = [NaN, NaN];
        for (let i = 0; i < o.warmup + o.steps; i++) {
          // K > 1: one engine sample is one run of K steps (ms per step = its time / K); PyTorch
          // takes the same K batches one step at a time, and its sample is their median
          const bs = K === 1 ? [data[i % data.length]] : data.slice(0, K);
          const t0 = performance.now();
          const a = K === 1 ? [await ours.step(bs[0], lr)] : await ours.stepMany(bs, bs.map(() => lr));
          const t1 = performance.now();
          const ts = [];
          for (const b of bs) ts.push(await torch.step(b, lr));
          if (i === 0) firstLoss = [a[0].loss, ts[0].loss];
          if (i >= o.warmup) { engineMs.push((t1 - t0) / K); hostMs.push(ours.lastHostMs / K); torchMs.push(median(ts.map((t) => t.ms))); }
        }
        await ours.release();
        const e = median(engineMs);
        const p = median(torchMs);
        const row = {
          config: `${s.name} V${s.V} D${s.D} L${s.L} H${s.H} F${s.F} T${s.T} B${s.B}`,
          objective: r.objective, frozen: r.frozen,
          engine_ms: Number(e.toFixed(2)), engine_host_ms: Number(median(hostMs).toFixed(2)), torch_ms: Number(p.toFixed(2)),
          torch_over_engine: Number((p / e).toFixed(3)),
          engine_tokens_per_s: Math.round((s.B * s.T) / (e / 1000)), torch_tokens_per_s: Math.round((s.B * s.T) / (p / 1000)),
          first_loss_engine: firstLoss[0], first_loss_torch: firstLoss[1],
          steps_per_call: K, torch: info.torch, torch_env: envText, engine_env: engineEnv, threads: o.threads, steps: o.steps, load_average: Number(loadavg()[0].toFixed(2)),
        };
        if (o.json) console.log(JSON.stringify(row));
        else console.log(`${row.config.padEnd(42)} ${r.objective} frozen=${r.frozen.padEnd(24)} K=${K} engine ${e.toFixed(1).padStart(8)} ms (host ${row.engine_host_ms.toFixed(0)})  PyTorch ${p.toFixed(1).padStart(8)} ms  PyTorch ÷ engine ${row.torch_over_engine.toFixed(2)}  (first loss ${firstLoss[0].toFixed(5)} / ${firstLoss[1].toFixed(5)})`);
      }
    }
  } finally {
    await torch.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
