// TrainStepRunner on onnxruntime-node: one compiled train-step graph per (objective, freeze pattern,
// B, T, hyperparameters, form), cached as model bytes. The TrainState is packed once (packing.ts: its
// maps then hold views into flat segment buffers); parameters are fed as those views. Three forms
// (train-step-graph.ts):
//   - CPU, one step per run (default): the graph returns gradients and AdamW runs here on the packed
//     buffers (adamw-host.ts). onnxruntime-node copies every fetched output into a new ArrayBuffer,
//     so returning the updated parameters and both moments cost a copy of the whole optimizer state
//     per step (1.8 GB at ModernBERT-base size) and as much again in peak memory.
//   - one step per run, AdamW in the graph (optimizer 'graph'): updated segments are written into the
//     buffers they were read from (pre-allocated outputs; the binding still returns copies).
//   - K steps per run (stepsPerCall > 1, and the default form on CUDA): a Scan graph with the state as
//     loop state, so a device holds it for K steps; frozen parameters are baked in as initializers.
// Frozen tensors are never written, so they stay bit-identical.
// Read tensors through the state maps: the runner owns their storage.
import * as ort from 'onnxruntime-node';
import type { ModernBertConfig } from '../model/config';
import { initParameters } from '../model/init';
import { parameterSpecs } from '../model/params';
import { sessionOptions } from '../onnx/session-options';
import { freezeKey, isFrozen } from './freeze';
import { ensurePacked, newPackedState, rehomeSegment, type PackedState, type Segment } from './packing';
import { hostAdamwScalars } from './adamw-host';
import { adamwKernel, HostAdamWThreads, runJob, THREAD_MIN_ELEMENTS, type KernelKind, type SegmentJob } from './adamw-threads';
import type { AdamWHyper, Batch, FreezeSpec, Objective, StepResult, TrainState, TrainStepRunner } from './step-api';
import {
  buildScanTrainStepGraph, buildTrainStepGraph, expAvgName, expAvgSqName, gradName, newExpAvgName, newExpAvgSqName, newName,
  segmentName, type OptimizerPlace,
} from './train-step-graph';
import type { ParamSpec } from '../model/params';
import { collectGarbage } from '../util/gc';

export type Device = 'cpu' | 'cuda';

export interface TrainStepOptions {
  objective: Objective;
  freeze: FreezeSpec;
  batchSize: number;
  seqLen: number;
  hyper: AdamWHyper;
  device?: Device;               // default 'cpu'
  intraOpThreads?: number;       // default 2
  /** Let ORT's idle pool threads spin-wait between ops (default false). Spinning buys ≤ 3% on an
   *  otherwise idle machine, but a spinning thread holds its core: with two runners (or two sessions
   *  run in turn) on 2 cores, spin-waiting made steps 1.4× slower (docs/benchmarks.md). */
  spinWait?: boolean;
  profileFilePrefix?: string;    // enables ORT profiling (JSON trace written on release())
  /** MLM only (default true): run the head and decoder only on labelled positions, as HF's
   *  sparse_prediction does; same loss and gradients, far fewer FLOPs at 15-30% masking. */
  sparsePrediction?: boolean;
  /** Rows compiled for sparse prediction (default: mlmLossRows(B, T, 0.3)). A batch with more
   *  labelled positions triggers one recompilation with 25% headroom. */
  lossRows?: number;
  /** Optimizer steps per session run (default 1 on the CPU, 8 on CUDA). K > 1 runs a Scan graph
   *  with AdamW inside, so the optimizer state stays on the device for K steps. */
  stepsPerCall?: number;
  /** Where AdamW runs at one step per run: 'host' (default on the CPU) or 'graph'. */
  optimizer?: OptimizerPlace;
  /** Threads of the host AdamW (adamw-threads.ts): default 2 when intraOpThreads ≥ 2, else 1. Both
   *  give bit-identical results (same kernel per element; only who computes which segment differs). */
  hostAdamwThreads?: 1 | 2;
  /** The host AdamW's per-element kernel: 'wasm' (WebAssembly SIMD, default) or 'js'; same bits. */
  hostAdamwKernel?: KernelKind;
}

/** Above this many bytes per run, the host path frees the gradients' buffers at once (see runHost). */
const COLLECT_GRADIENTS_BYTES = 64 * 2 ** 20;

/** Steps per run a device gets when the config does not say (CUDA: the state crosses the bus once per K). */
export const DEFAULT_CUDA_STEPS_PER_CALL = 8;

/** Row capacity for sparse MLM prediction: mean + 4 standard deviations of the labelled count, rounded up to 64. */
export function mlmLossRows(batchSize: number, seqLen: number, maskRate: number): number {
  const n = batchSize * seqLen;
  const want = n * maskRate + 4 * Math.sqrt(n * maskRate * (1 - maskRate));
  return Math.min(n, Math.max(64, Math.ceil(want / 64) * 64));
}

export const CUDA_INSTALL_HINT = 'ONNXRUNTIME_NODE_INSTALL=cuda12 npm run setup:cuda';

/** Fresh state: seeded HF-style init, zero moments, adamStep 0; packed from the start (packing.ts). */
export function initTrainState(cfg: ModernBertConfig, seed: number): TrainState {
  const state = newPackedState(cfg);
  initParameters(cfg, seed, state.params);
  return state;
}

/** The form of graph a runner compiles (see the header). */
interface Form { optimizer: OptimizerPlace; scan: boolean; bakeFrozen: boolean }

function formOf(o: TrainStepOptions): Form {
  const device = o.device ?? 'cpu';
  const K = o.stepsPerCall ?? (device === 'cuda' ? DEFAULT_CUDA_STEPS_PER_CALL : 1);
  if (!Number.isInteger(K) || K < 1) throw new Error(`stepsPerCall must be a positive integer, got ${K}`);
  const scan = K > 1;
  if (scan && o.optimizer === 'host') throw new Error('stepsPerCall > 1 runs AdamW inside the graph; optimizer "host" needs stepsPerCall 1');
  // baked frozen parameters save an upload per run on a device; on the CPU inputs are zero-copy
  return { optimizer: scan ? 'graph' : o.optimizer ?? (device === 'cpu' ? 'host' : 'graph'), scan, bakeFrozen: device !== 'cpu' || scan };
}

interface CachedGraph { bytes: Uint8Array; trainable: ParamSpec[]; frozen: ParamSpec[]; segments: Segment[]; inputNames: string[] }
const graphCache = new Map<string, CachedGraph>();

function graphKey(cfg: ModernBertConfig, o: TrainStepOptions & { lossRows?: number }, f: Form): string {
  const arch = [cfg.vocab_size, cfg.hidden_size, cfg.intermediate_size, cfg.num_hidden_layers, cfg.num_attention_heads,
    cfg.local_attention, cfg.global_attn_every_n_layers, cfg.global_rope_theta, cfg.local_rope_theta, cfg.norm_eps].join(',');
  const h = o.hyper;
  return `${arch}|${o.objective}|${freezeKey(o.freeze)}|${o.batchSize}x${o.seqLen}|K${o.lossRows ?? '-'}|${h.beta1},${h.beta2},${h.eps},${h.weightDecay},${h.clipGradNorm}|${f.optimizer}${f.scan ? '|scan' : ''}`;
}

/** The float32 train-step model of `o`'s form (cached unless frozen values are baked into it). */
export function trainStepModel(cfg: ModernBertConfig, o: TrainStepOptions & { lossRows?: number }, frozenValues?: ReadonlyMap<string, Float32Array>): CachedGraph {
  const f = formOf(o);
  const bake = f.bakeFrozen && frozenValues !== undefined;
  const key = graphKey(cfg, o, f);
  let c = bake ? undefined : graphCache.get(key);
  if (!c) {
    const go = { ...o, dtype: 'float32' as const, lossRows: o.lossRows, optimizer: f.optimizer, frozenValues: bake ? frozenValues : undefined };
    const built = f.scan ? buildScanTrainStepGraph(cfg, go) : buildTrainStepGraph(cfg, go);
    c = { bytes: built.graph.toModel(), trainable: built.trainable, frozen: built.frozen, segments: built.segments, inputNames: built.graph.inputs.map((i) => i.name) };
    if (!bake) graphCache.set(key, c);
  }
  return c;
}

async function createSession(bytes: Uint8Array, o: TrainStepOptions): Promise<ort.InferenceSession> {
  const device = o.device ?? 'cpu';
  const opts: ort.InferenceSession.SessionOptions = {
    ...sessionOptions(o.intraOpThreads ?? 2, o.spinWait, false),
    executionProviders: device === 'cuda' ? ['cuda'] : ['cpu'],
  };
  if (o.profileFilePrefix) Object.assign(opts, { enableProfiling: true, profileFilePrefix: o.profileFilePrefix });
  if (device !== 'cuda') return ort.InferenceSession.create(bytes, opts);
  const backends = (ort as unknown as { listSupportedBackends?: () => { name: string }[] }).listSupportedBackends?.() ?? [];
  if (backends.length && !backends.some((b) => b.name === 'cuda')) {
    throw new Error(`device "cuda" requested, but this onnxruntime-node install has no CUDA execution provider `
      + `(available: ${backends.map((b) => b.name).join(', ')}). Install it with: ${CUDA_INSTALL_HINT}`);
  }
  try {
    return await ort.InferenceSession.create(bytes, opts);
  } catch (e) {
    throw new Error(`device "cuda": could not start ORT's CUDA execution provider (${(e as Error).message}). `
      + `Install the CUDA build of onnxruntime-node with: ${CUDA_INSTALL_HINT}`);
  }
}

/** Labelled positions of a batch (label != -100 on a real token), as flat indices and labels. */
function labelledRows(b: Batch): { positions: number[]; labels: bigint[] } {
  const positions: number[] = [];
  const labels: bigint[] = [];
  for (let i = 0; i < b.labels.length; i++) {
    if (b.labels[i] !== -100n && b.attentionMask[i] !== 0n) { positions.push(i); labels.push(b.labels[i]); }
  }
  return { positions, labels };
}

/** Row-concatenate equal-length int64 arrays ([K, ...] from K [...]); one array is used as it is. */
function stack(parts: BigInt64Array[]): BigInt64Array {
  if (parts.length === 1) return parts[0];
  const out = new BigInt64Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

const bytesOf = (ts: Iterable<ort.Tensor | null>) => {
  let n = 0;
  for (const t of ts) if (t) n += (t.data as ArrayBufferView).byteLength;
  return n;
};

class OrtTrainStep implements TrainStepRunner {
  // ORT tensors of packed buffers and views, made once; weak, because the host AdamW's worker thread
  // moves segments (adamw-threads.ts) and the arrays they replace must not be kept alive here
  private tensors = new WeakMap<Float32Array, ort.Tensor>();
  private adamThreads: HostAdamWThreads | null = null;
  readonly stepsPerCall: number;
  lastCallBytes = 0;
  lastHostMs = 0;
  private model!: CachedGraph;
  private session: ort.InferenceSession | null = null;
  private bakedAt = -1;                                     // state.adamStep the baked frozen values are from
  private readonly specs: Map<string, ParamSpec>;          // parameters by HF name

  constructor(
    readonly objective: Objective,
    readonly freeze: FreezeSpec,
    private readonly cfg: ModernBertConfig,
    private readonly state: TrainState,
    private lossRows: number | undefined,                    // sparse prediction capacity R
    private readonly opts: TrainStepOptions,
    private readonly form: Form,
  ) {
    this.stepsPerCall = form.scan ? this.opts.stepsPerCall ?? DEFAULT_CUDA_STEPS_PER_CALL : 1;
    // a second thread for the host AdamW only where the run was given two (it is ORT's second
    // intra-op thread, idle while AdamW runs) and the model is big enough to gain from it
    const adamwThreads = opts.hostAdamwThreads ?? ((opts.intraOpThreads ?? 2) >= 2 ? 2 : 1);
    if (form.optimizer === 'host' && adamwThreads === 2) this.adamThreads = new HostAdamWThreads(opts.hostAdamwKernel);
    this.specs = new Map(parameterSpecs(cfg).map((s) => [s.name, s]));
  }

  private get B(): number { return this.opts.batchSize; }
  private get T(): number { return this.opts.seqLen; }

  /** (Re)compile when there is no session, the row capacity grew, or baked frozen values went stale
   *  (another runner of this run trained them since: e.g. a phase that unfreezes, then one that freezes again). */
  async ensureSession(): Promise<void> {
    const stale = this.form.bakeFrozen && this.bakedAt !== this.state.adamStep && this.session !== null;
    if (this.session && !stale) return;
    const packed = ensurePacked(this.cfg, this.state);
    const frozenValues = this.form.bakeFrozen
      ? new Map(parameterSpecs(this.cfg).filter((s) => isFrozen(s, this.freeze)).map((s) => [s.name, packed.views.params.get(s.name)!]))
      : undefined;
    this.model = trainStepModel(this.cfg, { ...this.opts, lossRows: this.lossRows }, frozenValues);
    const next = await createSession(this.model.bytes, this.opts);
    if (this.session) await this.session.release();
    this.session = next;
    this.bakedAt = this.state.adamStep;
  }

  private tensorOf(arr: Float32Array, dims: readonly number[]): ort.Tensor {
    let t = this.tensors.get(arr);
    if (!t) this.tensors.set(arr, (t = new ort.Tensor('float32', arr, dims)));
    return t;
  }

  private checkBatch(b: Batch): void {
    const n = this.B * this.T;
    if (b.batchSize !== this.B || b.seqLen !== this.T) throw new Error(`batch is ${b.batchSize}x${b.seqLen}, this train step was compiled for ${this.B}x${this.T}`);
    for (const f of ['inputIds', 'attentionMask', 'labels'] as const) {
      if (!(b[f] instanceof BigInt64Array) || b[f].length !== n) throw new Error(`batch.${f} must be a BigInt64Array of ${n} values`);
    }
    const V = BigInt(this.cfg.vocab_size);
    for (let i = 0; i < n; i++) {
      const id = b.inputIds[i];
      if (id < 0n || id >= V) throw new Error(`batch.inputIds[${i}] = ${id} is outside the vocabulary [0, ${V})`);
      const lab = b.labels[i];
      if (lab !== -100n && (lab < 0n || lab >= V)) throw new Error(`batch.labels[${i}] = ${lab} is neither -100 nor a token id`);
    }
  }

  /** Feeds for the targets of these batches: dense labels, or R gathered rows each (growing R once,
   *  with 25% headroom, if a batch has more labelled positions than the graph was compiled for). */
  private async targetFeeds(batches: Batch[], lead: number[]): Promise<Record<string, ort.Tensor>> {
    if (this.lossRows === undefined) return { labels: new ort.Tensor('int64', stack(batches.map((b) => b.labels)), [...lead, this.B, this.T]) };
    const rows = batches.map(labelledRows);
    const most = Math.max(...rows.map((r) => r.positions.length));
    if (most > this.lossRows) {
      this.lossRows = Math.min(this.B * this.T, Math.ceil((most * 1.25) / 64) * 64);
      this.session = await this.session!.release().then(() => null);
      await this.ensureSession();
    }
    const R_ = this.lossRows;
    const pos = new BigInt64Array(R_ * batches.length);
    const lab = new BigInt64Array(R_ * batches.length).fill(-100n);           // padding rows carry no loss
    rows.forEach((r, k) => r.positions.forEach((p, i) => { pos[k * R_ + i] = BigInt(p); lab[k * R_ + i] = r.labels[i]; }));
    return { loss_positions: new ort.Tensor('int64', pos, [...lead, R_]), loss_labels: new ort.Tensor('int64', lab, [...lead, R_]) };
  }

  step(batch: Batch, lr: number): Promise<StepResult> {
    return this.stepMany([batch], [lr]).then((r) => r[0]);
  }

  async stepMany(batches: Batch[], lrs: number[]): Promise<StepResult[]> {
    if (batches.length < 1 || batches.length > this.stepsPerCall || lrs.length !== batches.length) {
      throw new Error(`stepMany takes 1..${this.stepsPerCall} batches with one lr each, got ${batches.length} batches and ${lrs.length} lrs`);
    }
    batches.forEach((b) => this.checkBatch(b));
    for (const lr of lrs) if (!Number.isFinite(lr) || lr < 0) throw new Error(`lr must be a finite non-negative number, got ${lr}`);
    await this.ensureSession();
    if (this.form.scan) return this.runScan(batches, lrs);
    const out: StepResult[] = [];
    let bytes = 0;
    let hostMs = 0;
    for (let i = 0; i < batches.length; i++) {
      out.push(await (this.form.optimizer === 'host' ? this.runHost(batches[i], lrs[i]) : this.runGraph(batches[i], lrs[i])));
      bytes += this.lastCallBytes;
      hostMs += this.lastHostMs;
    }
    this.lastCallBytes = bytes;
    this.lastHostMs = hostMs;
    return out;
  }

  /** Feeds every graph input that is a parameter (by HF name) with its view. */
  private paramFeeds(feeds: Record<string, ort.Tensor>, packed: PackedState): void {
    for (const name of this.model.inputNames) {
      const s = this.specs.get(name);
      if (s) feeds[name] = this.tensorOf(packed.views.params.get(name)!, s.shape);
    }
  }

  private batchFeeds(batches: Batch[], lead: number[]): Record<string, ort.Tensor> {
    const dims = [...lead, this.B, this.T];
    return {
      input_ids: new ort.Tensor('int64', stack(batches.map((b) => b.inputIds)), dims),
      attention_mask: new ort.Tensor('int64', stack(batches.map((b) => b.attentionMask)), dims),
    };
  }

  private async runHost(batch: Batch, lr: number): Promise<StepResult> {
    const st = this.state;
    const packed = ensurePacked(this.cfg, st);                   // re-homes arrays swapped in since the last step
    const feeds = { ...this.batchFeeds([batch], []), ...(await this.targetFeeds([batch], [])) };
    this.paramFeeds(feeds, packed);
    const names = ['loss', 'tokens', 'layer_grad_norms', 'grad_sq', ...this.model.trainable.map((s) => gradName(s.name))];
    const out = await this.session!.run(feeds, names);
    this.lastCallBytes = bytesOf(Object.values(feeds)) + bytesOf(Object.values(out));
    const t0 = performance.now();
    const sc = hostAdamwScalars(this.opts.hyper, lr, st.adamStep + 1, (out.grad_sq.data as Float32Array)[0]);
    // one job per trainable segment: its flat buffers and its parameters' gradients at their offsets
    const jobs: SegmentJob[] = this.model.segments.map((seg) => ({
      key: seg.key, decay: seg.decay,
      p: packed.flat.params.get(seg.key)!, m: packed.flat.expAvg.get(seg.key)!, v: packed.flat.expAvgSq.get(seg.key)!,
      grads: seg.specs.map((s, i) => ({ offset: seg.offsets[i], g: out[gradName(s.name)].data as Float32Array })),
    }));
    const elements = this.model.segments.reduce((n, seg) => n + seg.length, 0);
    if (this.adamThreads && elements >= THREAD_MIN_ELEMENTS) {
      await this.adamThreads.update(sc, jobs, (j) => {
        for (const old of rehomeSegment(st, j.key, { params: j.p, expAvg: j.m, expAvgSq: j.v })) this.tensors.delete(old);
      });
    } else {
      const kernel = adamwKernel(this.opts.hostAdamwKernel);
      for (const j of jobs) runJob(sc, j, kernel);
    }
    st.adamStep += 1;
    this.bakedAt = st.adamStep;
    // the gradients' ArrayBuffers (the binding's copies) are garbage now; left to V8 they linger into
    // the next run, next to its own copies (+0.6 GB at ModernBERT-base size)
    if (this.lastCallBytes > COLLECT_GRADIENTS_BYTES) collectGarbage();
    this.lastHostMs = performance.now() - t0;
    return {
      loss: (out.loss.data as Float32Array)[0], gradNorm: sc.gradNorm,
      layerGradNorms: Array.from(out.layer_grad_norms.data as Float32Array), tokens: (out.tokens.data as Float32Array)[0],
    };
  }

  /** Updated segments bound to the buffers they are read from (written in place). */
  private stateFeeds(feeds: Record<string, ort.Tensor>, fetches: Record<string, ort.Tensor | null>, packed: PackedState): void {
    for (const seg of this.model.segments) {
      const dimsSeg = [seg.length];
      const p = this.tensorOf(packed.flat.params.get(seg.key)!, dimsSeg);
      const m = this.tensorOf(packed.flat.expAvg.get(seg.key)!, dimsSeg);
      const v = this.tensorOf(packed.flat.expAvgSq.get(seg.key)!, dimsSeg);
      feeds[segmentName(seg.key)] = p;
      feeds[expAvgName(seg.key)] = m;
      feeds[expAvgSqName(seg.key)] = v;
      fetches[newName(seg.key)] = p;
      fetches[newExpAvgName(seg.key)] = m;
      fetches[newExpAvgSqName(seg.key)] = v;
    }
  }

  private async runGraph(batch: Batch, lr: number): Promise<StepResult> {
    const st = this.state;
    const packed = ensurePacked(this.cfg, st);
    const feeds: Record<string, ort.Tensor> = {
      ...this.batchFeeds([batch], []), ...(await this.targetFeeds([batch], [])),
      lr: new ort.Tensor('float32', Float32Array.of(lr), []),
      step: new ort.Tensor('float32', Float32Array.of(st.adamStep + 1), []),
    };
    this.paramFeeds(feeds, packed);
    const fetches: Record<string, ort.Tensor | null> = { loss: null, tokens: null, grad_norm: null, layer_grad_norms: null };
    this.stateFeeds(feeds, fetches, packed);
    const out = await this.session!.run(feeds, fetches);
    this.lastCallBytes = bytesOf(Object.values(feeds)) + bytesOf(Object.values(out));
    st.adamStep += 1;
    this.bakedAt = st.adamStep;
    return {
      loss: (out.loss.data as Float32Array)[0],
      gradNorm: (out.grad_norm.data as Float32Array)[0],
      layerGradNorms: Array.from(out.layer_grad_norms.data as Float32Array),
      tokens: (out.tokens.data as Float32Array)[0],
    };
  }

  private async runScan(batches: Batch[], lrs: number[]): Promise<StepResult[]> {
    const st = this.state;
    const K = batches.length;
    const packed = ensurePacked(this.cfg, st);
    const feeds: Record<string, ort.Tensor> = {
      ...this.batchFeeds(batches, [K]), ...(await this.targetFeeds(batches, [K])),
      lr: new ort.Tensor('float32', Float32Array.from(lrs), [K]),
      step: new ort.Tensor('float32', Float32Array.from(lrs, (_, i) => st.adamStep + 1 + i), [K]),
    };
    this.paramFeeds(feeds, packed);                                // frozen ones, where not baked in
    const fetches: Record<string, ort.Tensor | null> = { loss: null, tokens: null, grad_norm: null, layer_grad_norms: null };
    this.stateFeeds(feeds, fetches, packed);
    const out = await this.session!.run(feeds, fetches);
    this.lastCallBytes = bytesOf(Object.values(feeds)) + bytesOf(Object.values(out));
    st.adamStep += K;
    this.bakedAt = st.adamStep;
    const L2 = this.cfg.num_hidden_layers + 2;
    const norms = out.layer_grad_norms.data as Float32Array;
    return batches.map((_, k) => ({
      loss: (out.loss.data as Float32Array)[k],
      gradNorm: (out.grad_norm.data as Float32Array)[k],
      layerGradNorms: Array.from(norms.subarray(k * L2, (k + 1) * L2)),
      tokens: (out.tokens.data as Float32Array)[k],
    }));
  }

  async release(): Promise<void> {
    const s = this.session as (ort.InferenceSession & { endProfiling?: () => void }) | null;
    try { s?.endProfiling?.(); } catch { /* profiling not enabled */ }
    this.tensors = new WeakMap();
    this.session = null;
    await this.adamThreads?.terminate();
    await s?.release();
  }
}

export async function createTrainStep(cfg: ModernBertConfig, state: TrainState, o: TrainStepOptions): Promise<TrainStepRunner> {
  const sparse = o.objective === 'mlm' && (o.sparsePrediction ?? true);
  const lossRows = sparse ? (o.lossRows ?? mlmLossRows(o.batchSize, o.seqLen, 0.3)) : undefined;
  const opts: TrainStepOptions = { ...o, freeze: { ...o.freeze, layers: [...o.freeze.layers] } };
  const form = formOf(opts);
  trainStepModel(cfg, { ...opts, lossRows });                   // validates the options before anything runs
  if (!Number.isInteger(state.adamStep) || state.adamStep < 0) throw new Error(`TrainState.adamStep must be a non-negative integer, got ${state.adamStep}`);
  ensurePacked(cfg, state);                                      // validates every tensor before packing
  const r = new OrtTrainStep(o.objective, opts.freeze, cfg, state, lossRows, opts, form);
  await r.ensureSession();
  return r;
}
