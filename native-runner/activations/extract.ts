// Running a probe set through a model and pooling every hidden state (HF hidden_states order:
// index 0 = embedding output, index l = output of layer l-1, the last one before final_norm).
// Texts are run in order of length, and each batch is padded only to its longest text (rounded up
// to SEQ_STEP), so short texts do not pay for the longest one: on the demo probe set (500 texts,
// mean 34.5 of max 64 tokens) that runs 37% fewer tokens (`npm run bench:extract` measures both ways). Padding rows and positions are masked,
// so results do not depend on batch size, order or padding (tests compare them to each text alone);
// every row is written at its text's own index.
// The pooling runs inside the graph (model/pooling-graph.ts): the session returns only pooled rows
// [B·r, L+1, D], not every hidden state, which onnxruntime-node would copy out after each run (the JS
// pooling in pooling.ts is the reference the tests compare it to).
import * as ort from 'onnxruntime-node';
import type { ModernBertConfig } from '../model/config';
import { buildInferenceGraph } from '../model/inference';
import { parameterSpecs } from '../model/params';
import { sessionOptions } from '../onnx/session-options';
import { DEFAULT_POSITION_SEED, DEFAULT_TOKENS_PER_TEXT, truncationLength } from './extraction-settings';
import { POOLED_OUTPUTS, TOKEN_ROWS_INPUT } from '../model/pooling-graph';
import { POOLINGS, samplePositions, type Pooling } from './pooling';

/** Batch lengths are rounded up to a multiple of this: fewer distinct shapes, so fewer sessions. */
export const SEQ_STEP = 8;

export interface ExtractOptions {
  poolings?: Pooling[];          // default ['mean', 'cls', 'tokens']
  batchSize?: number;            // default 16
  maxLength?: number;            // truncate texts (ids incl. [CLS]/[SEP]) to this many tokens; default: the longest text, capped by max_position_embeddings
  tokensPerText?: number;        // k for 'tokens' pooling (default 4)
  positionSeed?: number;         // seed of the sampled positions (default 0)
  intraOpThreads?: number;       // default 2
  onProgress?: (done: number, total: number) => void;
  /** Pad every batch to the longest text of the whole set, in text order (the behaviour before
   *  length-ordered batches; bench:extract compares the two). Default false. */
  padToLongest?: boolean;
  /** Sessions to reuse across calls (one per batch shape); the caller releases it. Default: a fresh
   *  cache released at the end of the call. A run's probe logging keeps one for all its checkpoints. */
  sessions?: ExtractionSessions;
}

/** Inference sessions of one architecture with the pooling done in-graph (model/pooling-graph.ts), one
 *  per (B, T) batch shape and pooling set. */
export class ExtractionSessions {
  private readonly byKey = new Map<string, Promise<{ session: ort.InferenceSession; inputNames: string[] }>>();
  /** memPattern: ORT's memory pattern (session-options.ts); default on, see docs/benchmarks.md, "Activation logging". */
  constructor(private readonly cfg: ModernBertConfig, private readonly threads = 2, private readonly memPattern = true) {}

  get(B: number, T: number, poolings: readonly Pooling[] = POOLINGS, k = DEFAULT_TOKENS_PER_TEXT): Promise<{ session: ort.InferenceSession; inputNames: string[] }> {
    const tokensPerRow = poolings.includes('tokens') ? k : 0;
    const key = `${B}x${T}|${['mean', 'cls'].filter((p) => poolings.includes(p as Pooling)).join(',')}|${tokensPerRow}`;
    let s = this.byKey.get(key);
    if (!s) {
      const graph = buildInferenceGraph(this.cfg, {
        batchSize: B, seqLen: T, hiddenStates: false, logits: false,
        pooled: { mean: poolings.includes('mean'), cls: poolings.includes('cls'), tokensPerRow },
      });
      s = ort.InferenceSession.create(graph.model, sessionOptions(this.threads, false, this.memPattern)).then((session) => ({ session, inputNames: graph.inputNames }));
      this.byKey.set(key, s);
    }
    return s;
  }

  /** Batch shapes compiled so far, e.g. ["50x24", "50x32"] (each once, whatever poolings they serve). */
  get shapes(): string[] {
    return [...new Set([...this.byKey.keys()].map((k) => k.split('|')[0]))];
  }

  async release(): Promise<void> {
    const all = [...this.byKey.values()];
    this.byKey.clear();
    for (const s of all) await (await s).session.release();
  }
}

export interface ActivationSet {
  layer: number;                 // 0 .. num_hidden_layers
  pooling: Pooling;
  shape: [number, number];       // [rows, hidden]: rows = texts, or texts * tokensPerText for 'tokens'
  data: Float32Array;
}

/**
 * ids: one token-id list per probe text, already framed as [CLS] … [SEP].
 * Returns (L + 1) × poolings activation sets.
 */
export async function extractActivations(cfg: ModernBertConfig, params: Map<string, Float32Array>, ids: number[][], o: ExtractOptions = {}): Promise<ActivationSet[]> {
  if (ids.length === 0) throw new Error('probe set is empty: nothing to run through the model');
  const poolings = o.poolings ?? ['mean', 'cls', 'tokens'];
  const B = Math.min(o.batchSize ?? 16, ids.length);
  const T = truncationLength(ids, o.maxLength, cfg.max_position_embeddings); // see extraction-settings.ts
  const k = o.tokensPerText ?? DEFAULT_TOKENS_PER_TEXT;
  const D = cfg.hidden_size;
  const nLayers = cfg.num_hidden_layers + 1;
  const positionSeed = o.positionSeed ?? DEFAULT_POSITION_SEED;
  ids.forEach((x, i) => {
    const bad = x.find((t) => !Number.isInteger(t) || t < 0 || t >= cfg.vocab_size);
    if (bad !== undefined) throw new Error(`probe text ${i}: token id ${bad} outside the model's vocabulary (vocab_size ${cfg.vocab_size}): wrong tokenizer for this model?`);
  });

  const sessions = o.sessions ?? new ExtractionSessions(cfg, o.intraOpThreads ?? 2);
  try {
    const n = ids.length;
    const lengths = ids.map((x) => Math.min(x.length, T));
    const order = Array.from({ length: n }, (_, i) => i);
    if (!o.padToLongest) order.sort((a, b) => lengths[a] - lengths[b] || a - b);
    const out = new Map<string, Float32Array>();
    const key = (l: number, p: Pooling) => `${l}:${p}`;
    for (let l = 0; l < nLayers; l++) for (const p of poolings) out.set(key(l, p), new Float32Array((p === 'tokens' ? n * k : n) * D));
    const paramFeeds = new Map<string, ort.Tensor>();
    for (const s of parameterSpecs(cfg)) {
      const p = params.get(s.name);
      if (!p) throw new Error(`parameter ${s.name} missing from the checkpoint`);
      paramFeeds.set(s.name, new ort.Tensor('float32', p, s.shape));
    }
    for (let start = 0; start < n; start += B) {
      const rows = order.slice(start, start + B);                                  // text indices of this batch
      const Tb = o.padToLongest ? T : Math.min(T, Math.ceil(Math.max(...rows.map((i) => lengths[i])) / SEQ_STEP) * SEQ_STEP);
      const { session, inputNames } = await sessions.get(B, Tb, poolings, k);
      const inputIds = new BigInt64Array(B * Tb).fill(BigInt(cfg.pad_token_id));  // [B, Tb]
      const mask = new BigInt64Array(B * Tb);                                       // [B, Tb]
      rows.forEach((i, b) => {
        ids[i].slice(0, T).forEach((t, j) => {
          inputIds[b * Tb + j] = BigInt(t);
          mask[b * Tb + j] = 1n;
        });
      });
      // Padding rows still need one real key, or their softmax is over nothing (NaN in those rows only).
      for (let b = rows.length; b < B; b++) mask[b * Tb] = 1n;
      const feeds: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor('int64', inputIds, [B, Tb]),
        attention_mask: new ort.Tensor('int64', mask, [B, Tb]),
      };
      if (poolings.includes('tokens')) {
        // flat rows b·Tb + position into a hidden state [B·Tb, D]; padding rows gather row b·Tb
        const tokenRows = new BigInt64Array(B * k);                                 // [B·k]
        for (let b = 0; b < B; b++) tokenRows.fill(BigInt(b * Tb), b * k, (b + 1) * k);
        rows.forEach((i, b) => samplePositions(positionSeed, i, lengths[i], k).forEach((t, j) => { tokenRows[b * k + j] = BigInt(b * Tb + t); }));
        feeds[TOKEN_ROWS_INPUT] = new ort.Tensor('int64', tokenRows, [B * k]);
      }
      for (const name of inputNames) { const t = paramFeeds.get(name); if (t) feeds[name] = t; }
      const res = await session.run(feeds);
      for (const p of poolings) {
        const pooled = res[POOLED_OUTPUTS[p]].data as Float32Array;               // [B·r, L+1, D], r = k for tokens, else 1
        const r = p === 'tokens' ? k : 1;
        for (let l = 0; l < nLayers; l++) {
          const target = out.get(key(l, p))!;
          rows.forEach((i, b) => {
            for (let j = 0; j < r; j++) {
              const src = ((b * r + j) * nLayers + l) * D;
              target.set(pooled.subarray(src, src + D), (i * r + j) * D);       // row of text i (its j-th sampled token)
            }
          });
        }
      }
      o.onProgress?.(start + rows.length, n);
    }
    const sets: ActivationSet[] = [];
    for (let l = 0; l < nLayers; l++) {
      for (const p of poolings) {
        const data = out.get(key(l, p))!;
        sets.push({ layer: l, pooling: p, shape: [data.length / D, D], data });
      }
    }
    return sets;
  } finally {
    if (!o.sessions) await sessions.release();
  }
}
