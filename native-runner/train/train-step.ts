// TrainStepRunner on onnxruntime-node: one compiled train-step graph per (objective, freeze pattern,
// B, T, hyperparameters), cached as model bytes. The TrainState is packed once (packing.ts: its maps
// then hold views into flat segment buffers); parameters are fed as those views, and the updated
// segments are written back into the very same buffers through pre-allocated outputs (ORT writes
// into them directly: no output copies). Frozen tensors are inputs only, so they stay bit-identical.
// Read tensors through the state maps: the runner owns their storage.
import * as ort from 'onnxruntime-node';
import type { ModernBertConfig } from '../model/config';
import { initParameters } from '../model/init';
import { parameterSpecs } from '../model/params';
import { sessionOptions } from '../onnx/session-options';
import { freezeKey } from './freeze';
import { ensurePacked, type PackedState, type Segment } from './packing';
import type { AdamWHyper, Batch, FreezeSpec, Objective, StepResult, TrainState, TrainStepRunner } from './step-api';
import {
  buildTrainStepGraph, expAvgName, expAvgSqName, newExpAvgName, newExpAvgSqName, newName, segmentName,
} from './train-step-graph';

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
}

/** Row capacity for sparse MLM prediction: mean + 4 standard deviations of the labelled count, rounded up to 64. */
export function mlmLossRows(batchSize: number, seqLen: number, maskRate: number): number {
  const n = batchSize * seqLen;
  const want = n * maskRate + 4 * Math.sqrt(n * maskRate * (1 - maskRate));
  return Math.min(n, Math.max(64, Math.ceil(want / 64) * 64));
}

export const CUDA_INSTALL_HINT = 'ONNXRUNTIME_NODE_INSTALL=cuda12 npm run setup:cuda';

/** Fresh state: seeded HF-style init, zero moments, adamStep 0. */
export function initTrainState(cfg: ModernBertConfig, seed: number): TrainState {
  const params = initParameters(cfg, seed);
  const zeros = () => new Map([...params].map(([k, v]) => [k, new Float32Array(v.length)]));
  return { params, expAvg: zeros(), expAvgSq: zeros(), adamStep: 0 };
}

interface CachedGraph { bytes: Uint8Array; trainable: string[]; segments: Segment[] }
const graphCache = new Map<string, CachedGraph>();

function graphKey(cfg: ModernBertConfig, o: TrainStepOptions & { lossRows?: number }): string {
  const arch = [cfg.vocab_size, cfg.hidden_size, cfg.intermediate_size, cfg.num_hidden_layers, cfg.num_attention_heads,
    cfg.local_attention, cfg.global_attn_every_n_layers, cfg.global_rope_theta, cfg.local_rope_theta, cfg.norm_eps].join(',');
  const h = o.hyper;
  return `${arch}|${o.objective}|${freezeKey(o.freeze)}|${o.batchSize}x${o.seqLen}|K${o.lossRows ?? '-'}|${h.beta1},${h.beta2},${h.eps},${h.weightDecay},${h.clipGradNorm}`;
}

/** The cached (or freshly built) float32 train-step model; `lossRows` set = sparse prediction graph. */
export function trainStepModel(cfg: ModernBertConfig, o: TrainStepOptions & { lossRows?: number }): CachedGraph {
  const key = graphKey(cfg, o);
  let c = graphCache.get(key);
  if (!c) {
    const built = buildTrainStepGraph(cfg, { ...o, dtype: 'float32', lossRows: o.lossRows });
    c = { bytes: built.graph.toModel(), trainable: built.trainable.map((s) => s.name), segments: built.segments };
    graphCache.set(key, c);
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

class OrtTrainStep implements TrainStepRunner {
  private readonly tensors = new Map<Float32Array, ort.Tensor>();  // packed buffers and views never move

  constructor(
    readonly objective: Objective,
    readonly freeze: FreezeSpec,
    private readonly cfg: ModernBertConfig,
    private readonly state: TrainState,
    private session: ort.InferenceSession,
    private lossRows: number | undefined,                    // sparse prediction capacity K
    private readonly opts: TrainStepOptions,
    private readonly shapes: Map<string, number[]>,
    private readonly segments: Segment[],                    // trainable segments
  ) {}

  private get B(): number { return this.opts.batchSize; }
  private get T(): number { return this.opts.seqLen; }

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

  /** Feeds for the targets: dense labels, or K gathered rows (recompiling once if K is too small). */
  private async targetFeeds(b: Batch): Promise<Record<string, ort.Tensor>> {
    const dims = [this.B, this.T];
    if (this.lossRows === undefined) return { labels: new ort.Tensor('int64', b.labels, dims) };
    const rows = labelledRows(b);
    if (rows.positions.length > this.lossRows) {
      const K = Math.min(this.B * this.T, Math.ceil((rows.positions.length * 1.25) / 64) * 64);
      const g = trainStepModel(this.cfg, { ...this.opts, lossRows: K });
      const next = await createSession(g.bytes, this.opts);
      await this.session.release();
      this.session = next;
      this.lossRows = K;
    }
    const K = this.lossRows;
    const pos = new BigInt64Array(K);
    const lab = new BigInt64Array(K).fill(-100n);                  // padding rows carry no loss
    rows.positions.forEach((p, i) => { pos[i] = BigInt(p); lab[i] = rows.labels[i]; });
    return { loss_positions: new ort.Tensor('int64', pos, [K]), loss_labels: new ort.Tensor('int64', lab, [K]) };
  }

  async step(batch: Batch, lr: number): Promise<StepResult> {
    this.checkBatch(batch);
    if (!Number.isFinite(lr) || lr < 0) throw new Error(`lr must be a finite non-negative number, got ${lr}`);
    const st = this.state;
    const packed: PackedState = ensurePacked(this.cfg, st);       // re-homes arrays swapped in since the last step
    const dims = [this.B, this.T];
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', batch.inputIds, dims),
      attention_mask: new ort.Tensor('int64', batch.attentionMask, dims),
      ...(await this.targetFeeds(batch)),
      lr: new ort.Tensor('float32', Float32Array.of(lr), []),
      step: new ort.Tensor('float32', Float32Array.of(st.adamStep + 1), []),
    };
    for (const [name, shape] of this.shapes) feeds[name] = this.tensorOf(packed.views.params.get(name)!, shape);
    // updated segments are written in place into the buffers they were read from
    const fetches: Record<string, ort.Tensor | null> = { loss: null, tokens: null, grad_norm: null, layer_grad_norms: null };
    for (const seg of this.segments) {
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
    const out = await this.session.run(feeds, fetches);
    st.adamStep += 1;
    return {
      loss: (out.loss.data as Float32Array)[0],
      gradNorm: (out.grad_norm.data as Float32Array)[0],
      layerGradNorms: Array.from(out.layer_grad_norms.data as Float32Array),
      tokens: (out.tokens.data as Float32Array)[0],
    };
  }

  async release(): Promise<void> {
    const s = this.session as ort.InferenceSession & { endProfiling?: () => void };
    try { s.endProfiling?.(); } catch { /* profiling not enabled */ }
    this.tensors.clear();
    await this.session.release();
  }
}

export async function createTrainStep(cfg: ModernBertConfig, state: TrainState, o: TrainStepOptions): Promise<TrainStepRunner> {
  const sparse = o.objective === 'mlm' && (o.sparsePrediction ?? true);
  const lossRows = sparse ? (o.lossRows ?? mlmLossRows(o.batchSize, o.seqLen, 0.3)) : undefined;
  const opts: TrainStepOptions = { ...o, freeze: { ...o.freeze, layers: [...o.freeze.layers] } };
  const g = trainStepModel(cfg, { ...opts, lossRows });
  if (!Number.isInteger(state.adamStep) || state.adamStep < 0) throw new Error(`TrainState.adamStep must be a non-negative integer, got ${state.adamStep}`);
  ensurePacked(cfg, state);                                      // validates every tensor before packing
  const session = await createSession(g.bytes, opts);
  const shapes = new Map(parameterSpecs(cfg).map((s) => [s.name, s.shape]));
  return new OrtTrainStep(o.objective, opts.freeze, cfg, state, session, lossRows, opts, shapes, g.segments);
}
