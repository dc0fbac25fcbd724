// The fine-tuning loop: one seed = classifier init + data order; the encoder starts from the same
// checkpoint for every seed. Per step: a train graph (finetune-graph.ts) returns the loss and the
// trainable gradients, AdamW (HF Trainer defaults, clip 1.0) updates them here; the learning rate
// follows linear warmup then linear decay (recipe.ts). After each epoch the dev split is scored; the
// best epoch's parameters are kept (early stopping after `patience` epochs without improvement) and
// scored on test. Graph shapes are static, so batches are padded to a length bucket (multiples of
// 16 up to maxLength); one session per bucket is compiled on first use and reused across seeds.
import * as ort from 'onnxruntime-node';
import type { TextTokenizer } from '../data/tokenizer';
import { IGNORE_INDEX } from '../graph/index';
import type { ModernBertConfig } from '../model/config';
import { mulberry32, truncatedNormal } from '../model/init';
import { sessionOptions } from '../onnx/session-options';
import { hostAdamwScalars } from '../train/adamw-host';
import { adamwKernel } from '../train/adamw-threads';
import type { AdamWHyper } from '../train/step-api';
import { encodeExample, type EncodedExample } from './encode';
import { buildFinetuneEvalGraph, buildFinetuneTrainGraph, gradOutput, isTrainable } from './finetune-graph';
import { classifierParamSpecs } from './heads';
import { entityScores, multiLabelScores, singleLabelScores, type Scores } from './metrics';
import { linearWarmupDecay, type FinetuneRecipe } from './recipe';
import type { SplitName, Task } from './task';
import type { ParamSpec } from '../model/params';

export type Predictions = number[] | Uint8Array[] | string[][];

export interface PreparedTask {
  task: Task;
  maxLength: number;
  encoded: Record<SplitName, EncodedExample[]>;
}

export function prepareTask(tok: TextTokenizer, task: Task, cfg: ModernBertConfig, maxLength: number): PreparedTask {
  if (tok.vocabSize > cfg.vocab_size) throw new Error(`the tokenizer has ${tok.vocabSize} tokens but the model's vocab_size is ${cfg.vocab_size}`);
  const L = Math.min(maxLength, cfg.max_position_embeddings);
  const enc = (s: SplitName) => task.splits[s].map((e) => encodeExample(tok, task, e, L));
  return { task, maxLength: L, encoded: { train: enc('train'), dev: enc('dev'), test: enc('test') } };
}

export const primaryMetric = (kind: Task['kind']): keyof Scores => (kind === 'single' ? 'accuracy' : kind === 'multi' ? 'microF1' : 'entityF1');

export type FinetuneEvent =
  | { type: 'step'; seed: number; step: number; totalSteps: number; epoch: number; loss: number; lr: number; gradNorm: number }
  | { type: 'epoch'; seed: number; epoch: number; step: number; trainLoss: number; dev: Scores; devScore: number; best: boolean };

export interface SeedResult {
  seed: number;
  bestEpoch: number;            // 1-based epoch whose parameters were scored on test
  epochsRun: number;
  steps: number;
  dev: Scores;                  // at the best epoch
  test: Scores;
  testPredictions: Predictions; // per test example (token tasks: per word)
  devCurve: { epoch: number; score: number; trainLoss: number }[];
  lossCurve: { step: number; loss: number; lr: number }[];
  wallMs: number;
}

export interface FinetuneOptions {
  config: ModernBertConfig;
  params: ReadonlyMap<string, Float32Array>;   // the checkpoint (encoder + head.dense / head.norm)
  prepared: PreparedTask;
  recipe: FinetuneRecipe;
  threads?: number;
  onEvent?: (e: FinetuneEvent) => void;
  shouldStop?: () => boolean;                  // checked between steps; a stopped seed throws FinetuneStopped
  /** Compiled sessions to share with other engines of the same architecture, task shape, recipe
   *  shape and freeze pattern (parameters are inputs, so several checkpoints can use one set); the
   *  owner releases them. Default: this engine's own, released by release(). */
  sessions?: FinetuneSessions;
}

/** Train and eval sessions per length bucket. */
export class FinetuneSessions {
  readonly train = new Map<number, Promise<ort.InferenceSession>>();
  readonly evals = new Map<number, Promise<ort.InferenceSession>>();
  async release(): Promise<void> {
    for (const s of [...this.train.values(), ...this.evals.values()]) await (await s).release();
    this.train.clear();
    this.evals.clear();
  }
}

export class FinetuneStopped extends Error { override name = 'FinetuneStopped'; }

const BUCKET = 16;
const EVAL_BATCH = 32;

/** Sessions of one (model, task, recipe), compiled per length bucket and reused across seeds. */
export class FinetuneEngine {
  private readonly sessions: FinetuneSessions;
  private readonly ownSessions: boolean;
  private readonly adamw = adamwKernel();         // WebAssembly SIMD: the JS kernel's bits, ~2x faster
  private get train() { return this.sessions.train; }
  private get evals() { return this.sessions.evals; }
  readonly specs: ParamSpec[];
  readonly trainable: ParamSpec[];
  constructor(readonly o: FinetuneOptions) {
    const { task } = o.prepared;
    this.sessions = o.sessions ?? new FinetuneSessions();
    this.ownSessions = !o.sessions;
    this.specs = classifierParamSpecs(o.config, task.labels.length);
    this.trainable = this.specs.filter((s) => isTrainable(s, o.recipe.freeze));
    for (const s of this.specs) {
      if (s.name.startsWith('classifier.')) continue;
      const v = o.params.get(s.name);
      if (!v) throw new Error(`the model has no tensor "${s.name}" (a ModernBERT checkpoint with its MLM head is expected)`);
      if (v.length !== s.shape.reduce((a, b) => a * b, 1)) throw new Error(`tensor "${s.name}" has ${v.length} values, expected [${s.shape}]`);
    }
  }

  private graphOpts(T: number, B: number) {
    const { task } = this.o.prepared;
    return { kind: task.kind, numLabels: task.labels.length, pooling: this.o.recipe.pooling, batchSize: B, seqLen: T };
  }

  private session(cache: Map<number, Promise<ort.InferenceSession>>, T: number, build: () => Uint8Array): Promise<ort.InferenceSession> {
    let s = cache.get(T);
    if (!s) {
      s = ort.InferenceSession.create(build(), sessionOptions(this.o.threads ?? 2));
      cache.set(T, s);
    }
    return s;
  }

  private bucket(len: number): number {
    return Math.min(this.o.prepared.maxLength, Math.max(BUCKET, Math.ceil(len / BUCKET) * BUCKET));
  }

  /** input_ids / attention_mask [B, T] and the task's targets for examples `rows` (null = padding row). */
  private feeds(rows: (EncodedExample | null)[], T: number, withTargets: boolean): Record<string, ort.Tensor> {
    const B = rows.length;
    const { task } = this.o.prepared;
    const { pad_token_id: pad, cls_token_id: cls } = this.o.config;
    const ids = new BigInt64Array(B * T).fill(BigInt(pad));
    const mask = new BigInt64Array(B * T);
    rows.forEach((e, b) => {
      // a padding row still has one real token ([CLS]) so every attention row sees a key
      const seq = e ? e.ids : [cls];
      seq.forEach((id, t) => { ids[b * T + t] = BigInt(id); mask[b * T + t] = 1n; });
    });
    const f: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [B, T]),
      attention_mask: new ort.Tensor('int64', mask, [B, T]),
    };
    if (!withTargets) return f;
    const C = task.labels.length;
    if (task.kind === 'single') {
      f.labels = new ort.Tensor('int64', BigInt64Array.from(rows, (e) => BigInt(e ? e.label! : IGNORE_INDEX)), [B]);
    } else if (task.kind === 'token') {
      const lab = new BigInt64Array(B * T).fill(BigInt(IGNORE_INDEX));
      rows.forEach((e, b) => e?.tokenLabels!.forEach((l, t) => { lab[b * T + t] = BigInt(l); }));
      f.labels = new ort.Tensor('int64', lab, [B, T]);
    } else {
      const y = new Float32Array(B * C);
      rows.forEach((e, b) => e?.targets!.forEach((v, c) => { y[b * C + c] = v; }));
      f.targets = new ort.Tensor('float32', y, [B, C]);
      f.row_mask = new ort.Tensor('float32', Float32Array.from(rows, (e) => (e ? 1 : 0)), [B]);
      f.pos_weight = new ort.Tensor('float32', this.posWeight(), [C]);
    }
    return f;
  }

  private posWeightCache: Float32Array | null = null;
  /** Multilabel class weights: none (ones); the recipe could carry them, the paper's weighted BCE. */
  private posWeight(): Float32Array {
    if (!this.posWeightCache) {
      const C = this.o.prepared.task.labels.length;
      const w = this.o.recipe.posWeight;
      this.posWeightCache = w === 'balanced' ? balancedPosWeight(this.o.prepared.encoded.train, C) : new Float32Array(C).fill(1);
    }
    return this.posWeightCache;
  }

  private paramFeeds(params: Map<string, Float32Array>): Record<string, ort.Tensor> {
    return Object.fromEntries(this.specs.map((s) => [s.name, new ort.Tensor('float32', params.get(s.name)!, s.shape)]));
  }

  /** Logits of `examples` with `params` -> predictions (as the task's kind wants them). */
  async predict(params: Map<string, Float32Array>, examples: EncodedExample[]): Promise<Predictions> {
    const { task } = this.o.prepared;
    const C = task.labels.length;
    const pf = this.paramFeeds(params);
    // sort by length so each batch is padded to its own bucket; results go back in input order
    const order = examples.map((_, i) => i).sort((a, b) => examples[a].ids.length - examples[b].ids.length);
    const res = new Array<number | Uint8Array | string[]>(examples.length);
    for (let i = 0; i < order.length; i += EVAL_BATCH) {
      const idx = order.slice(i, i + EVAL_BATCH);
      const rows: (EncodedExample | null)[] = idx.map((j) => examples[j]);
      while (rows.length < EVAL_BATCH) rows.push(null);
      const T = this.bucket(Math.max(...idx.map((j) => examples[j].ids.length)));
      const s = await this.session(this.evals, T, () => buildFinetuneEvalGraph(this.o.config, this.graphOpts(T, EVAL_BATCH)).graph.toModel());
      const r = await s.run({ ...this.feeds(rows, T, false), ...pf });
      const logits = r.logits.data as Float32Array;
      idx.forEach((j, b) => {
        const e = examples[j];
        if (task.kind === 'single') {
          let best = 0;
          for (let c = 1; c < C; c++) if (logits[b * C + c] > logits[b * C + best]) best = c;
          res[j] = best;
        } else if (task.kind === 'multi') {
          const thr = Math.log(this.o.recipe.threshold / (1 - this.o.recipe.threshold));   // sigmoid(x) > t ⟺ x > logit(t)
          res[j] = Uint8Array.from({ length: C }, (_, c) => (logits[b * C + c] > thr ? 1 : 0));
        } else {
          res[j] = e.wordStarts!.map((pos) => {
            if (pos < 0) return 'O';
            const row = (b * T + pos) * C;
            let best = 0;
            for (let c = 1; c < C; c++) if (logits[row + c] > logits[row + best]) best = c;
            return task.labels[best];
          });
        }
      });
    }
    return res as Predictions;
  }

  score(split: SplitName, pred: Predictions): Scores {
    return scoreOf(this.o.prepared, split, pred);
  }

  async runSeed(seed: number): Promise<SeedResult> {
    const t0 = Date.now();
    const { prepared, recipe: r, config: cfg } = this.o;
    const { task } = prepared;
    const rand = mulberry32(seed);
    // parameters: the checkpoint's, copied where they train; a fresh classifier per seed
    const params = new Map<string, Float32Array>();
    for (const s of this.specs) {
      if (s.name.startsWith('classifier.')) {
        const t = new Float32Array(s.shape.reduce((a, b) => a * b, 1));
        if (s.initStd > 0) truncatedNormal(rand, t, s.initStd, cfg.initializer_cutoff_factor ?? 3);
        params.set(s.name, t);
      } else {
        const v = this.o.params.get(s.name)!;
        params.set(s.name, isTrainable(s, r.freeze) ? Float32Array.from(v) : v);
      }
    }
    const m = new Map(this.trainable.map((s) => [s.name, new Float32Array(params.get(s.name)!.length)]));
    const v = new Map(this.trainable.map((s) => [s.name, new Float32Array(params.get(s.name)!.length)]));
    const hyper: AdamWHyper = { beta1: r.beta1, beta2: r.beta2, eps: r.eps, weightDecay: r.weightDecay, clipGradNorm: r.clipGradNorm };

    let train = prepared.encoded.train;
    if (r.maxTrainExamples !== null && train.length > r.maxTrainExamples) {
      // a seeded sample, the same for every seed (seed 0 of the sampler), so seeds differ only in init and order
      const pick = mulberry32(0x5eed);
      const idx = train.map((_, i) => i);
      for (let i = idx.length - 1; i > 0; i--) { const j = Math.floor(pick() * (i + 1)); [idx[i], idx[j]] = [idx[j], idx[i]]; }
      train = idx.slice(0, r.maxTrainExamples).sort((a, b) => a - b).map((i) => train[i]);
    }
    const B = r.batchSize;
    const perEpoch = Math.ceil(train.length / B);
    const total = perEpoch * r.epochs;
    const warmup = Math.ceil(r.warmupRatio * total);
    const key = primaryMetric(task.kind);
    let best = -Infinity, bestEpoch = 0, since = 0, step = 0, epochsRun = 0;
    let bestParams: Map<string, Float32Array> | null = null;
    let bestDev: Scores | null = null;
    const devCurve: SeedResult['devCurve'] = [];
    const lossCurve: SeedResult['lossCurve'] = [];
    for (let epoch = 1; epoch <= r.epochs; epoch++) {
      const order = train.map((_, i) => i);
      for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
      let lossSum = 0;
      for (let k = 0; k < perEpoch; k++) {
        if (this.o.shouldStop?.()) throw new FinetuneStopped(`stopped at step ${step} of seed ${seed}`);
        const rows: (EncodedExample | null)[] = order.slice(k * B, (k + 1) * B).map((i) => train[i]);
        const T = this.bucket(Math.max(...rows.map((e) => e!.ids.length)));
        while (rows.length < B) rows.push(null);
        const s = await this.session(this.train, T, () => buildFinetuneTrainGraph(cfg, { ...this.graphOpts(T, B), freeze: r.freeze }).graph.toModel());
        const out = await s.run({ ...this.feeds(rows, T, true), ...this.paramFeeds(params) });
        const loss = (out.loss.data as Float32Array)[0];
        if (!Number.isFinite(loss)) throw new Error(`seed ${seed}: the loss is ${loss} at step ${step + 1} (lower the learning rate?)`);
        const lr = linearWarmupDecay(r.lr, step, total, warmup);
        const sc = hostAdamwScalars(hyper, lr, step + 1, (out.grad_sq.data as Float32Array)[0]);
        for (const p of this.trainable) this.adamw(sc, params.get(p.name)!, out[gradOutput(p.name)].data as Float32Array, m.get(p.name)!, v.get(p.name)!, p.decay);
        step++;
        lossSum += loss;
        lossCurve.push({ step, loss, lr });
        this.o.onEvent?.({ type: 'step', seed, step, totalSteps: total, epoch, loss, lr, gradNorm: sc.gradNorm });
      }
      epochsRun = epoch;
      const dev = this.score('dev', await this.predict(params, prepared.encoded.dev));
      const score = dev[key] as number;
      const improved = score > best;
      devCurve.push({ epoch, score, trainLoss: lossSum / perEpoch });
      this.o.onEvent?.({ type: 'epoch', seed, epoch, step, trainLoss: lossSum / perEpoch, dev, devScore: score, best: improved });
      if (improved) {
        best = score; bestEpoch = epoch; bestDev = dev; since = 0;
        bestParams = new Map(this.trainable.map((p) => [p.name, Float32Array.from(params.get(p.name)!)]));
      } else if (r.patience > 0 && ++since >= r.patience) break;
    }
    for (const [k, val] of bestParams!) params.set(k, val);
    const testPredictions = await this.predict(params, prepared.encoded.test);
    return { seed, bestEpoch, epochsRun, steps: step, dev: bestDev!, test: this.score('test', testPredictions), testPredictions, devCurve, lossCurve, wallMs: Date.now() - t0 };
  }

  async release(): Promise<void> {
    if (this.ownSessions) await this.sessions.release();
  }
}

/** pos_weight = #negatives / #positives per class (torch's documented choice), 1 where a class has no positive. */
export function balancedPosWeight(train: EncodedExample[], C: number): Float32Array {
  const pos = new Array(C).fill(0);
  for (const e of train) e.targets!.forEach((t, c) => { pos[c] += t; });
  return Float32Array.from(pos, (p) => (p > 0 ? (train.length - p) / p : 1));
}

export function scoreOf(prepared: PreparedTask, split: SplitName, pred: Predictions, indices?: ArrayLike<number>): Scores {
  const { task, encoded } = prepared;
  const ex = encoded[split];
  const idx = indices ? Array.from(indices) : ex.map((_, i) => i);
  if (task.kind === 'single') return singleLabelScores(idx.map((i) => ex[i].label!), idx.map((i) => (pred as number[])[i]));
  if (task.kind === 'multi') return multiLabelScores(idx.map((i) => ex[i].targets!), idx.map((i) => (pred as Uint8Array[])[i]));
  return entityScores(idx.map((i) => ex[i].gold!), idx.map((i) => (pred as string[][])[i]));
}
