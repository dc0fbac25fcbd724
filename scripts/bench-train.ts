// Train-step benchmark: ms/step, tokens/s and GEMM GFLOP/s of the compiled train-step graphs on the
// CPU EP (2 intra-op threads), for the issue's "small" and "big" shapes under MLM, CLM and frozen CLM.
//   npm run bench:train                 human-readable table
//   npm run bench:train -- --json       one JSON object per line
//   options: --steps N (measured steps, default 12), --warmup N (default 3), --only small|big|demo,
//            --run I (only RUNS[I]), --threads N, --profile DIR (ORT profiling; prints the top ops by time),
//            --peak (first measure a 2048³ float32 Gemm: the GEMM ceiling of ORT here; where a C
//            compiler and AVX-512 exist, the CPU's float32 FMA peak: scripts/native/fma-peak.c; and
//            whether float16 / bfloat16 MatMul run at all, and how fast),
//            --spin (let ORT's idle threads spin-wait, as ORT does by default; the runner does not),
//            --procs N (N copies of this benchmark at once, as N runs of the queue would train: prints
//            each copy's ms/step and the tokens/s of all together),
//            --steps-per-call K[,K2] (K optimizer steps per ORT run: the K-step Scan graph; one row per K;
//            a sample is one run of K steps, ms/step = its time / K), --optimizer graph|host (where AdamW
//            runs at K = 1; default host on the CPU), --device cpu|cuda; every row reports the bytes that
//            crossed the session boundary per optimizer step (feeds + fetched outputs), minor page faults
//            and system CPU time per step, and the process's peak RSS so far (run one row with --run I
//            to read a row's own peak; WORKBENCH_NO_MALLOC_TUNABLES=1 measures without the malloc settings),
//            --vs-torch (each row also in PyTorch, interleaved step by step: scripts/torch/vs-torch.ts),
//            --host-adamw-threads 1|2 (threads of the host AdamW at K = 1; default 2 with --threads ≥ 2);
//            every row reports "host": ms per step spent after the session run (the host AdamW)
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { Graph, numel } from '../native-runner/graph/builder';
import { ONNX_DTYPE } from '../native-runner/onnx/model-proto';
import * as R from '../native-runner/graph/raw';
import { HF_DEFAULTS, type ModernBertConfig } from '../native-runner/model/config';
import { NO_FREEZE } from '../native-runner/train/freeze';
import type { AdamWHyper, Batch, FreezeSpec, Objective } from '../native-runner/train/step-api';
import { createTrainStep, initTrainState, mlmLossRows } from '../native-runner/train/train-step';
import { buildTrainStepGraph } from '../native-runner/train/train-step-graph';
import { median } from './median';
import { randomBatches } from './bench-batches';
import { benchTrainVsTorch } from './torch/vs-torch';
import { relaunchWithMallocTunables } from '../native-runner/util/malloc-tunables';

// the runner's malloc settings (native-runner/util/malloc-tunables.ts), so the figures are the runner's
const relaunched = relaunchWithMallocTunables();
if (relaunched) process.exit(await relaunched);                  // the relaunched copy did the work

const args = process.argv.slice(2);
const flag = (n: string) => args.includes(`--${n}`);
const opt = (n: string, d: string) => { const i = args.indexOf(`--${n}`); return i >= 0 ? args[i + 1] : d; };
const json = flag('json');
const steps = Number(opt('steps', '12'));
const warmup = Number(opt('warmup', '3'));
const threads = Number(opt('threads', '2'));
const only = opt('only', '');
const onlyRun = opt('run', '');      // index into RUNS
const profileDir = opt('profile', '');
const spinWait = flag('spin');
const procs = Number(opt('procs', '1'));
const stepsPerCall = opt('steps-per-call', '1').split(',').map(Number);   // e.g. 1,8: each K is its own row
const device = opt('device', 'cpu') as 'cpu' | 'cuda';
const optimizerOpt = opt('optimizer', '') as '' | 'graph' | 'host';
const hostAdamwThreadsOpt = opt('host-adamw-threads', '');
if (hostAdamwThreadsOpt && !['1', '2'].includes(hostAdamwThreadsOpt)) throw new Error(`--host-adamw-threads takes 1 or 2, got "${hostAdamwThreadsOpt}"`);
const hostAdamwThreads = hostAdamwThreadsOpt ? (Number(hostAdamwThreadsOpt) as 1 | 2) : undefined;

interface Shape { name: string; V: number; D: number; L: number; H: number; F: number; T: number; B: number; local?: number; optIn?: boolean }
const SHAPES: Shape[] = [
  { name: 'small', V: 4096, D: 128, L: 2, H: 4, F: 512, T: 64, B: 16 },
  { name: 'big', V: 4096, D: 256, L: 4, H: 4, F: 1024, T: 128, B: 16 },
  // the demo preset at the study's demo scale (--only demo; not part of the issue's table)
  { name: 'demo', V: 4096, D: 128, L: 12, H: 4, F: 256, T: 128, B: 16, local: 64, optIn: true },
  // ModernBERT-base at its real vocabulary, one 512-token sequence (--only base)
  { name: 'base', V: 50368, D: 768, L: 22, H: 12, F: 1152, T: 512, B: 1, local: 128, optIn: true },
];
const RUNS: { objective: Objective; frozen: string; freeze: FreezeSpec }[] = [
  { objective: 'mlm', frozen: 'none', freeze: NO_FREEZE },
  { objective: 'clm', frozen: 'none', freeze: NO_FREEZE },
  { objective: 'clm', frozen: 'layers 0-1', freeze: { embeddings: false, layers: [0, 1], head: false } },
  { objective: 'clm', frozen: 'embeddings + layers 0-1', freeze: { embeddings: true, layers: [0, 1], head: false } },
];
const hyper: AdamWHyper = { beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: 1e-5, clipGradNorm: 1.0 };

function config(s: Shape): ModernBertConfig {
  return { ...HF_DEFAULTS, vocab_size: s.V, hidden_size: s.D, num_hidden_layers: s.L, num_attention_heads: s.H,
    intermediate_size: s.F, local_attention: s.local ?? 128, max_position_embeddings: 512, pad_token_id: 0, cls_token_id: 1, sep_token_id: 2 };
}

/** FLOPs of all GEMM-type nodes (2·M·N·K each), counted on the generated graph itself. */
function gemmFlops(g: Graph): number {
  let f = 0;
  for (const n of g.nodes) {
    if (n.opType !== 'Gemm' && n.opType !== 'MatMul' && n.opType !== 'FusedMatMul') continue;
    const a = n.inputs[0]!.shape;
    const transA = n.attrs.transA && n.attrs.transA.kind === 'int' && n.attrs.transA.value === 1;
    const k = transA ? a[a.length - 2] : a[a.length - 1];
    f += 2 * numel(n.outputs[0].shape) * k;
  }
  return f;
}

const batches = (s: Shape, objective: Objective, count: number): Batch[] => randomBatches(s.V, s.B, s.T, objective, count);

function summarizeProfile(file: string): string {
  const events = JSON.parse(readFileSync(file, 'utf8')) as { cat: string; name: string; dur: number; args?: { op_name?: string } }[];
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').length || 1;
  const byOp = new Map<string, number>();
  for (const e of events) if (e.cat === 'Node' && e.name.endsWith('_kernel_time')) byOp.set(e.args?.op_name ?? '?', (byOp.get(e.args?.op_name ?? '?') ?? 0) + e.dur);
  const total = [...byOp.values()].reduce((a, b) => a + b, 0);
  return [...byOp].sort((a, b) => b[1] - a[1]).slice(0, 16)
    .map(([op, us]) => `    ${op.padEnd(22)} ${(us / runs / 1000).toFixed(2).padStart(8)} ms/run  ${((100 * us) / total).toFixed(1).padStart(5)}%`).join('\n');
}

/** GFLOP/s of a 2048³ MatMul in float16 and bfloat16 on ORT's CPU provider, or the error it gives:
 *  whether lower precision could go faster than the float32 ceiling here. The graph builder only
 *  knows the dtypes training uses, so the two ONNX type codes are added for this check alone. */
async function lowPrecisionMatMul(): Promise<{ dtype: string; gflops_per_s: number | null; error?: string }[]> {
  Object.assign(ONNX_DTYPE, { float16: 10, bfloat16: 16 });
  const n = 2048;
  const out = [];
  for (const dtype of ['float16', 'bfloat16']) {
    const g = new Graph('float32');
    const a = g.input('a', dtype as never, [n, n]);
    g.output(g.node('MatMul', [a, a], [{ dtype: dtype as never, shape: [n, n] }])[0], 'y');
    try {
      const s = await ort.InferenceSession.create(g.toModel(), { intraOpNumThreads: threads });
      const t = new ort.Tensor(dtype as 'float16', new Uint16Array(n * n).fill(dtype === 'float16' ? 0x2000 : 0x3c00), [n, n]);
      const times: number[] = [];
      for (let i = 0; i < 8; i++) { const t0 = performance.now(); await s.run({ a: t }); if (i >= 2) times.push(performance.now() - t0); }
      await s.release();
      out.push({ dtype, gflops_per_s: Number(((2 * n ** 3) / 1e6 / median(times)).toFixed(1)) });
    } catch (e) {
      out.push({ dtype, gflops_per_s: null, error: (e as Error).message.split('\n')[0].slice(0, 160) });
    }
  }
  return out;
}

/** GFLOP/s of one 2048x2048x2048 float32 Gemm (median of 8 runs): what the GEMMs here can reach at best. */
async function gemmPeak(): Promise<number> {
  const n = 2048;
  const g = new Graph('float32');
  const x = g.input('x', 'float32', [n, n]);
  g.output(R.reduceSum(g, R.gemm(g, x, x), [0, 1], false), 'o');
  const s = await ort.InferenceSession.create(g.toModel(), { intraOpNumThreads: threads });
  const t = new ort.Tensor('float32', new Float32Array(n * n).fill(0.01), [n, n]);
  const times: number[] = [];
  for (let i = 0; i < 10; i++) { const t0 = performance.now(); await s.run({ x: t }); if (i >= 2) times.push(performance.now() - t0); }
  await s.release();
  return (2 * n ** 3) / 1e6 / median(times);
}

/** GFLOP/s of scripts/native/fma-peak.c with `threads` threads, or why it could not be measured. */
function fmaPeak(): number | string {
  if (!/\bavx512f\b/.test(readFileSync('/proc/cpuinfo', 'utf8'))) return 'no AVX-512 on this CPU';
  const src = join(dirname(fileURLToPath(import.meta.url)), 'native', 'fma-peak.c');
  const exe = join(mkdtempSync(join(tmpdir(), 'fma-peak-')), 'fma-peak');
  try {
    execFileSync('cc', ['-O2', '-mavx512f', '-pthread', src, '-o', exe], { stdio: 'pipe' });
  } catch (e) {
    return `cannot compile ${src} (${(e as Error).message.split('\n')[0]})`;
  }
  const runs = [0, 1, 2].map(() => Number(execFileSync(exe, [String(threads)], { encoding: 'utf8' }).trim()));
  return median(runs);
}


interface Row { config: string; objective: string; frozen: string; ms_per_step: number; tokens_per_s: number; gflops_per_s: number }

/** --procs N: run N copies of this script (same options, --json) at the same time and combine their rows. */
async function concurrentCopies(n: number): Promise<void> {
  const rest = args.filter((a, i) => a !== '--procs' && args[i - 1] !== '--procs' && a !== '--json' && a !== '--peak');
  const copies = await Promise.all(Array.from({ length: n }, () => new Promise<Row[]>((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...rest, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('close', (code) => (code === 0 ? resolve(out.trim().split('\n').map((l) => JSON.parse(l) as Row)) : reject(new Error(`copy exited with ${code}`))));
  })));
  if (!json) console.log(`${n} copies at once, ${threads} intra-op thread(s) each, spin-wait ${spinWait ? 'on' : 'off'}, median of ${steps} steps after ${warmup} warm-up`);
  copies[0].forEach((r, i) => {
    const rows = copies.map((c) => c[i]);
    const total = rows.reduce((a, x) => a + x.tokens_per_s, 0);
    const each = rows.map((x) => x.ms_per_step);
    if (json) console.log(JSON.stringify({ config: r.config, objective: r.objective, frozen: r.frozen, procs: n, threads, spin_wait: spinWait, ms_per_step_each: each, tokens_per_s_total: total }));
    else console.log(`${r.config.padEnd(42)} ${r.objective} frozen=${r.frozen.padEnd(24)} ${each.map((m) => m.toFixed(1)).join(' / ').padStart(15)} ms/step  ${total} tok/s together`);
  });
}

if (procs > 1) {
  await concurrentCopies(procs);
  process.exit(0);
}
if (!json) console.log(`train-step benchmark: CPU EP, ${threads} intra-op threads, spin-wait ${spinWait ? 'on' : 'off'}, median of ${steps} steps after ${warmup} warm-up`);
if (flag('peak')) {
  const peak = await gemmPeak();
  const fma = fmaPeak();
  const lowp = await lowPrecisionMatMul();
  if (json) {
    for (const l of lowp) console.log(JSON.stringify({ config: `matmul 2048x2048x2048 ${l.dtype}`, objective: null, frozen: null, gflops_per_s: l.gflops_per_s, note: l.error, threads }));
    console.log(JSON.stringify({ config: 'gemm 2048x2048x2048 float32', objective: null, frozen: null, gflops_per_s: Number(peak.toFixed(1)), threads }));
    console.log(JSON.stringify({ config: 'fma peak float32 (scripts/native/fma-peak.c)', objective: null, frozen: null, gflops_per_s: typeof fma === 'number' ? fma : null, note: typeof fma === 'string' ? fma : undefined, threads }));
  } else {
    console.log(`GEMM ceiling: 2048³ float32 Gemm (ORT/MLAS) runs at ${peak.toFixed(0)} GFLOP/s`);
    console.log(typeof fma === 'number'
      ? `FMA peak: ${fma.toFixed(0)} GFLOP/s float32 (register-only FMA loop; no GEMM can beat it); MLAS reaches ${((100 * peak) / fma).toFixed(0)}% of it`
      : `FMA peak: not measured (${fma})`);
    for (const l of lowp) console.log(`${l.dtype} MatMul 2048³: ${l.gflops_per_s !== null ? `${l.gflops_per_s.toFixed(0)} GFLOP/s` : `not available (${l.error})`}`);
  }
}
// --vs-torch: the same rows in PyTorch, interleaved with ours; prints PyTorch ÷ engine per row.
if (flag('vs-torch')) {
  await benchTrainVsTorch({
    shapes: SHAPES.filter((s) => (only ? s.name === only : !s.optIn)),
    runs: RUNS.filter((_, ri) => !onlyRun || Number(onlyRun) === ri),
    config, batches, hyper, steps, warmup, threads, spinWait, json, stepsPerCall: stepsPerCall[0], hostAdamwThreads,
  });
  process.exit(0);
}
// The runs of one shape are interleaved step by step (round robin), so that load from other
// processes on a shared machine hits all of them alike and their ratios stay fair.
for (const s of SHAPES) {
  if (only ? s.name !== only : s.optIn) continue;
  const cfg = config(s);
  const active = RUNS.map((r, ri) => ({ r, ri })).filter(({ ri }) => !onlyRun || Number(onlyRun) === ri)
    .flatMap(({ r }) => stepsPerCall.map((K) => ({ r, K })));
  const benches = [];
  for (const { r, K } of active) {
    const state = initTrainState(cfg, 7);
    // MLM runs with sparse prediction (head on labelled rows), so count the graph that actually runs
    const lossRows = r.objective === 'mlm' ? mlmLossRows(s.B, s.T, 0.3) : undefined;
    const flops = gemmFlops(buildTrainStepGraph(cfg, { objective: r.objective, freeze: r.freeze, batchSize: s.B, seqLen: s.T, hyper, lossRows }).graph);
    let prefix: string | undefined;
    if (profileDir) { mkdirSync(profileDir, { recursive: true }); prefix = join(profileDir, `${s.name}-${r.objective}-${r.frozen.replace(/[^a-z0-9]+/g, '_')}-k${K}`); }
    const runner = await createTrainStep(cfg, state, {
      objective: r.objective, freeze: r.freeze, batchSize: s.B, seqLen: s.T, hyper, intraOpThreads: threads, spinWait, profileFilePrefix: prefix,
      device, stepsPerCall: K, optimizer: K === 1 && optimizerOpt ? optimizerOpt : undefined, hostAdamwThreads,
    });
    benches.push({ r, K, runner, flops, prefix, data: batches(s, r.objective, Math.max(4, K)), times: [] as number[], bytes: 0, faults: [] as number[], sysMs: [] as number[], hostMs: [] as number[] });
  }
  for (let i = 0; i < warmup + steps; i++) {
    for (const b of benches) {
      const ru0 = process.resourceUsage();
      const t0 = performance.now();
      if (b.K === 1) await b.runner.step(b.data[i % b.data.length], 2e-4);
      else await b.runner.stepMany(b.data.slice(0, b.K), Array(b.K).fill(2e-4));
      const ru1 = process.resourceUsage();
      if (i >= warmup) {
        b.times.push((performance.now() - t0) / b.K);
        // page faults and system CPU time of the step: what malloc settings change (docs/benchmarks.md)
        b.faults.push((ru1.minorPageFault - ru0.minorPageFault) / b.K);
        b.sysMs.push((ru1.systemCPUTime - ru0.systemCPUTime) / 1000 / b.K);
        b.hostMs.push(b.runner.lastHostMs / b.K);
      }
      b.bytes = b.runner.lastCallBytes / b.K;
    }
  }
  for (const b of benches) {
    await b.runner.release();
    const { r, flops, times, prefix } = b;
    const ms = median(times);
    const row = {
      config: `${s.name} V${s.V} D${s.D} L${s.L} H${s.H} F${s.F} T${s.T} B${s.B}`,
      objective: r.objective, frozen: r.frozen,
      ms_per_step: Number(ms.toFixed(2)),
      tokens_per_s: Math.round((s.B * s.T) / (ms / 1000)),
      gflops_per_s: Number((flops / 1e9 / (ms / 1000)).toFixed(1)),
      gflop_per_step: Number((flops / 1e9).toFixed(2)),
      min_ms: Number(Math.min(...times).toFixed(2)),
      steps_per_call: b.K, bytes_per_step: Math.round(b.bytes), device,
      host_ms_per_step: Number(median(b.hostMs).toFixed(1)),
      page_faults_per_step: Math.round(median(b.faults)), sys_ms_per_step: Number(median(b.sysMs).toFixed(1)),
      peak_rss_gib: Number((process.resourceUsage().maxRSS / 2 ** 20).toFixed(2)),   // of this process so far
      glibc_tunables: process.env.GLIBC_TUNABLES ?? '',
      steps, threads, spin_wait: spinWait,
    };
    if (json) console.log(JSON.stringify(row));
    else console.log(`${row.config.padEnd(42)} ${r.objective} frozen=${r.frozen.padEnd(24)} K=${b.K} ${row.ms_per_step.toFixed(1).padStart(7)} ms/step (min ${row.min_ms.toFixed(1)}, host ${row.host_ms_per_step.toFixed(0)})  ${row.tokens_per_s} tok/s  ${row.gflops_per_s} GFLOP/s  ${(row.bytes_per_step / 2 ** 20).toFixed(1)} MiB/step across the session boundary  ${row.page_faults_per_step} faults/step  sys ${row.sys_ms_per_step} ms/step  peak RSS ${row.peak_rss_gib} GiB`);
    if (prefix) {
      const file = readdirSync(profileDir).filter((f) => join(profileDir, f).startsWith(prefix)).sort().pop();
      if (file) console.log(summarizeProfile(join(profileDir, file)));
    }
  }
}
