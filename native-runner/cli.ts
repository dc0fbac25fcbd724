// The runner CLI:  npm run runner -- train --config run.json --out DIR [--json] [--resume] [--max-threads N]
//                  npm run runner -- validate --config run.json      (prints the normalised config)
// One process per run. Its main thread validates everything before writing anything, prepares
// batches ahead and streams events; the step loop runs in a worker thread (train/worker.ts) because
// session.run blocks the thread it runs on. Exit codes: 0 completed, 1 failed / bad input,
// 2 stopped (SIGINT/SIGTERM/SIGUSR2, checkpoint written), 3 diverged.

import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { presetConfig, type ModelPresetName, type ModernBertConfig } from './model/config';
import { parseRunConfig, totalSteps, type RunConfig, type RunEvent, type RunEventBody, type RunStatus } from './protocol';
import { configHash, listCheckpoints, loadModelDir, readCheckpoint } from './checkpoint/checkpoint';
import { sweepTempDirs } from './checkpoint/atomic-dir';
import { plainErrorMessage } from './util/output-error';
import { readModelConfig } from './checkpoint/hf-config';
import { ObjectiveBatchSource } from './data/masking';
import { Rng } from './util/rng';
import { openCharData, openTokenizedData, type RunData } from './train/run-data';
import { phaseAt, planPhases } from './train/schedule';
import type { BatchMessage, WorkerInput } from './train/worker';
import type { LoopResult } from './train/loop';
import { ProgressBar } from './util/progress';
import { prepareProbeLogging } from './activations/probe-logging';
import { relaunchWithMallocTunables } from './util/malloc-tunables';

const EXIT: Record<RunStatus, number> = { completed: 0, failed: 1, stopped: 2, diverged: 3 };
const USAGE = 'usage: runner train --config run.json --out DIR [--json] [--resume] [--max-threads N]\n       runner validate --config run.json';

// --max-threads caps the config's ORT threads for this process only (the queue passes its fair share
// of the cores when several runs train at once); results do not depend on the thread count, so the
// config and its hash (which an exact resume checks) stay as they are.
interface Args { command: string; config?: string; out?: string; json: boolean; resume: boolean; maxThreads?: number }

function parseArgs(argv: string[]): Args {
  const a: Args = { command: argv[0] ?? '', json: false, resume: false };
  for (let i = 1; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--json') a.json = true;
    else if (k === '--resume') a.resume = true;
    else if (k === '--max-threads') {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`--max-threads needs an integer >= 1, got ${argv[i] ?? 'nothing'}\n${USAGE}`);
      a.maxThreads = v;
    } else if (k === '--config' || k === '--out') { const v = argv[++i]; if (!v) throw new Error(`${k} needs a value\n${USAGE}`); a[k === '--config' ? 'config' : 'out'] = v; }
    else throw new Error(`unknown argument ${k}\n${USAGE}`);
  }
  if (a.command !== 'train' && a.command !== 'validate') throw new Error(USAGE);
  if (!a.config) throw new Error(`--config is required\n${USAGE}`);
  if (a.command === 'train' && !a.out) throw new Error(`--out is required\n${USAGE}`);
  return a;
}

/** Read + validate the config file; relative paths in it are relative to the file. */
export function loadRunConfig(path: string): { config: RunConfig; hfConfig: ModernBertConfig | null } {
  let raw: Record<string, unknown>;
  try { raw = JSON.parse(readFileSync(path, 'utf8')); } catch (e) { throw new Error(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not valid JSON (${(e as Error).message})`}`); }
  const base = dirname(resolve(path));
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const withAbsolutePaths = (config: RunConfig): RunConfig => ({
    ...config,
    model: typeof config.model === 'string' ? config.model : { hf_dir: abs(config.model.hf_dir) },
    init_from: config.init_from && abs(config.init_from),
    data: { ...config.data, corpus: config.data.corpus.map(abs), held_out: config.data.held_out.map(abs),
      tokenizer: config.data.tokenizer && abs(config.data.tokenizer), cache_dir: config.data.cache_dir && abs(config.data.cache_dir) },
    probe_set: config.probe_set && { ...config.probe_set, path: abs(config.probe_set.path), tokenizer: config.probe_set.tokenizer && abs(config.probe_set.tokenizer) },
  });
  const config = withAbsolutePaths(parseRunConfig(raw, { source: path }));
  if (typeof config.model === 'string') return { config, hfConfig: null };
  // Cross-field checks need the real depth and max positions: parse the file's config again (the raw
  // one: a normalised config is not valid input) with the HF directory's facts.
  const hfConfig = readModelConfig(config.model.hf_dir);
  return { config: withAbsolutePaths(parseRunConfig(raw, { source: path, model: hfConfig })), hfConfig };
}

function modelConfigFor(cfg: RunConfig, hf: ModernBertConfig | null, data: RunData): ModernBertConfig {
  if (!hf) return presetConfig(cfg.model as ModelPresetName, { vocab_size: data.vocabSize, pad_token_id: data.pad, cls_token_id: data.cls, sep_token_id: data.sep });
  if (data.vocabSize > hf.vocab_size) throw new Error(`data: the tokenizer has ${data.vocabSize} tokens but the model's vocab_size is ${hf.vocab_size}`);
  return hf;
}

function workerUrlAndOptions(): { code: string | URL; eval: boolean } {
  const url = new URL(`./train/worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
  if (!url.pathname.endsWith('.ts')) return { code: url, eval: false };
  // running from sources under tsx: register its loader inside the worker, then import the worker module
  const tsxApi = import.meta.resolve('tsx/esm/api');
  return { code: `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`, eval: true };
}

async function train(a: Args): Promise<number> {
  // Set by SIGINT/SIGTERM/SIGUSR2; the worker checkpoints and stops at the next step boundary. SIGUSR2
  // is Slurm's warning before a time limit or preemption (--signal=B:USR2@N, forwarded by the cluster
  // job script): it may arrive twice (the job script and scancel --signal both deliver it), so it
  // never escalates to an exit without checkpoint the way a second SIGTERM does.
  const stopFlag = new SharedArrayBuffer(4);
  process.on('SIGUSR2', () => Atomics.store(new Int32Array(stopFlag), 0, 1));
  // 1. everything that can be wrong with the inputs is found before OUT is touched
  const { config, hfConfig } = loadRunConfig(a.config!);
  const out = resolve(a.out!);
  const ckptRoot = join(out, 'checkpoints');
  const existing = listCheckpoints(ckptRoot);
  if (existing.length && !a.resume) throw new Error(`${out} already holds checkpoints of a run; pass --resume to continue it or choose another --out`);
  let resumeDir: string | null = null, cursor: unknown = null, startStep = 0;
  if (a.resume && existing.length) {
    resumeDir = existing[existing.length - 1].dir;
    const t = JSON.parse(readFileSync(join(resumeDir, 'trainer_state.json'), 'utf8'));
    if (t.config_hash !== configHash(config)) throw new Error(`${a.config}: the run config differs from the one ${resumeDir} was trained with; an exact resume needs the same config`);
    cursor = t.data_cursor; startStep = t.step;
  }
  // the token shard cache may have to be built inside OUT: if anything fails before training starts,
  // an OUT this call created is removed again, so bad input leaves nothing behind
  const createdOut = !existsSync(out);
  const cacheDir = config.data.cache_dir ?? join(out, 'data-cache');
  const createdCache = !existsSync(cacheDir);
  const initFromDir = config.init_from ?? (typeof config.model === 'string' ? null : config.model.hf_dir);
  let data: RunData, modelConfig: ModernBertConfig;
  try {
    // The starting weights are validated in full (safetensors layout, shapes, finite values) before
    // anything is written: a corrupt model.safetensors used to fail only after OUT was half written.
    if (initFromDir && !resumeDir) loadModelDir(initFromDir);
    data = config.data.tokenizer ? await openTokenizedData(config, cacheDir) : openCharData(config);
    modelConfig = modelConfigFor(config, hfConfig, data);
    if (resumeDir) readCheckpoint(resumeDir, modelConfig); // fail early on a damaged checkpoint
    if (config.init_from) loadModelDir(config.init_from, modelConfig);
    if (config.probe_set) prepareProbeLogging(config, modelConfig); // probe file and tokenizer readable, ids fit the model
  } catch (e) {
    if (createdOut) rmSync(out, { recursive: true, force: true });
    else if (createdCache) rmSync(cacheDir, { recursive: true, force: true });
    throw e;
  }
  const initFrom = initFromDir;

  // 2. OUT: resolved config, vocabulary, events log
  mkdirSync(ckptRoot, { recursive: true });
  sweepTempDirs(ckptRoot);
  writeFileSync(join(out, 'run_config.json'), JSON.stringify(config, null, 2) + '\n');
  if (data.vocab) writeFileSync(join(out, 'vocab.json'), JSON.stringify(data.vocab) + '\n');
  const total = totalSteps(config);
  const bar = !a.json && process.stderr.isTTY ? new ProgressBar(total) : null;
  let lastStep = startStep;
  const emit = (body: RunEventBody) => {
    if (body.type === 'step') lastStep = body.step;
    const ev = { ...body, t: Date.now() } as RunEvent;
    const line = JSON.stringify(ev);
    appendFileSync(join(out, 'events.ndjson'), line + '\n');
    if (a.json) process.stdout.write(line + '\n');
    else if (bar) bar.update(ev);
    else if (ev.type !== 'step' || ev.step % Math.max(1, Math.ceil(total / 20)) === 0) process.stdout.write(ProgressBar.describe(ev) + '\n');
  };

  // 3. batches: the objective of each step's phase applied on this thread, ahead of the worker
  const plan = planPhases(config.phases);
  const source = new ObjectiveBatchSource(data.rows, Rng.seeded(config.seed, 'mask'));
  if (cursor) source.seek(cursor as never);
  let nextToSend = startStep;
  const sendBatch = (w: Worker) => {
    if (nextToSend >= total) return;
    const ph = phaseAt(plan, nextToSend).phase;
    source.setObjective(ph.objective === 'clm' ? { objective: 'clm' }
      : { objective: 'mlm', mlm: { rate: ph.mask_rate!, maskTokenId: data.mask, vocabSize: data.vocabSize, specialIds: data.specialIds } });
    const b = source.next();
    const msg: BatchMessage = { type: 'batch', step: nextToSend++, batchSize: b.batchSize, seqLen: b.seqLen,
      inputIds: b.inputIds.buffer as ArrayBuffer, attentionMask: b.attentionMask.slice().buffer as ArrayBuffer, labels: b.labels.buffer as ArrayBuffer, cursor: source.cursor() };
    w.postMessage(msg, [msg.inputIds, msg.attentionMask, msg.labels]);
  };

  const threads = Math.min(config.threads, a.maxThreads ?? config.threads);
  emit({ type: 'started', total_steps: total, resumed_from_step: startStep, device: config.device, out_dir: out, threads });
  if (startStep >= total) { emit({ type: 'finished', status: 'completed', step: startStep }); return 0; }
  const input: WorkerInput = { config, modelConfig, outDir: out, resumeDir, initFrom, stopFlag, threads };
  const { code, eval: isEval } = workerUrlAndOptions();
  const worker = new Worker(code, { eval: isEval, workerData: input });
  const onSignal = () => { if (Atomics.load(new Int32Array(stopFlag), 0)) process.exit(EXIT.stopped); Atomics.store(new Int32Array(stopFlag), 0, 1); };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  sendBatch(worker); sendBatch(worker); // two ahead
  const result = await new Promise<LoopResult>((resolveResult) => {
    worker.on('message', (m: { type: string; step?: number; event?: RunEventBody; result?: LoopResult }) => {
      if (m.type === 'took') sendBatch(worker);
      else if (m.type === 'event') emit(m.event!);
      else if (m.type === 'done') resolveResult(m.result!);
    });
    worker.on('error', (e) => resolveResult({ status: 'failed', step: -1, message: e.stack ?? String(e) }));
    worker.on('exit', (c) => resolveResult({ status: 'failed', step: -1, message: `worker exited with code ${c}` }));
  });
  await worker.terminate();
  bar?.done();
  if (result.status === 'failed') {
    // The worker sends a stack: keep it in the log (stderr), show the user a plain sentence.
    process.stderr.write(`${result.message ?? 'failed'}\n`);
    result.message = plainErrorMessage(result.message ?? 'failed');
    emit({ type: 'error', message: result.message });
  }
  emit({ type: 'finished', status: result.status, step: result.status === 'failed' ? lastStep : result.step, message: result.message });
  return EXIT[result.status];
}

async function main(): Promise<number> {
  let a: Args;
  try { a = parseArgs(process.argv.slice(2)); } catch (e) { process.stderr.write(`${(e as Error).message}\n`); return 1; }
  try {
    if (a.command === 'validate') { process.stdout.write(JSON.stringify(loadRunConfig(a.config!).config, null, 2) + '\n'); return 0; }
    return await train(a);
  } catch (e) {
    const message = plainErrorMessage(e);
    process.stderr.write(`${(e as Error).stack ?? message}\n`);
    if (a.json) process.stdout.write(JSON.stringify({ type: 'error', t: Date.now(), message }) + '\n' + JSON.stringify({ type: 'finished', t: Date.now(), status: 'failed', step: 0, message }) + '\n');
    process.stderr.write(`error: ${message}\n`);
    return 1;
  }
}

// `train` needs glibc's malloc settings (util/malloc-tunables.ts); the queue sets them when it spawns
// a runner, a user at a shell gets them by this one relaunch.
const relaunched = process.argv[2] === 'train' ? relaunchWithMallocTunables() : null;
(relaunched ?? main()).then((code) => { process.exitCode = code; });
