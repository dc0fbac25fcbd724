// Running a probe set through a model and pooling every hidden state (HF hidden_states order:
// index 0 = embedding output, index l = output of layer l-1, the last one before final_norm).
// One inference session of fixed (B, T); the last batch is padded with empty rows, which attention
// masking keeps from touching the real ones, so results do not depend on the batch size.
import * as ort from 'onnxruntime-node';
import type { ModernBertConfig } from '../model/config';
import { buildInferenceGraph } from '../model/inference';
import { parameterSpecs } from '../model/params';
import { sessionOptions } from '../onnx/session-options';
import { DEFAULT_POSITION_SEED, DEFAULT_TOKENS_PER_TEXT, truncationLength } from './extraction-settings';
import { clsPoolInto, meanPoolInto, samplePositions, tokenPoolInto, type Pooling } from './pooling';

export interface ExtractOptions {
  poolings?: Pooling[];          // default ['mean', 'cls', 'tokens']
  batchSize?: number;            // default 16
  maxLength?: number;            // truncate texts (ids incl. [CLS]/[SEP]) to this many tokens; default: the longest text, capped by max_position_embeddings
  tokensPerText?: number;        // k for 'tokens' pooling (default 4)
  positionSeed?: number;         // seed of the sampled positions (default 0)
  intraOpThreads?: number;       // default 2
  onProgress?: (done: number, total: number) => void;
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
  ids.forEach((x, i) => {
    const bad = x.find((t) => !Number.isInteger(t) || t < 0 || t >= cfg.vocab_size);
    if (bad !== undefined) throw new Error(`probe text ${i}: token id ${bad} outside the model's vocabulary (vocab_size ${cfg.vocab_size}): wrong tokenizer for this model?`);
  });

  const graph = buildInferenceGraph(cfg, { batchSize: B, seqLen: T, hiddenStates: true, logits: false });
  const session = await ort.InferenceSession.create(graph.model, sessionOptions(o.intraOpThreads ?? 2));
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const s of parameterSpecs(cfg)) {
      const p = params.get(s.name);
      if (!p) throw new Error(`parameter ${s.name} missing from the checkpoint`);
      if (graph.inputNames.includes(s.name)) feeds[s.name] = new ort.Tensor('float32', p, s.shape);
    }
    const n = ids.length;
    const out = new Map<string, Float32Array>();
    const key = (l: number, p: Pooling) => `${l}:${p}`;
    for (let l = 0; l < nLayers; l++) for (const p of poolings) out.set(key(l, p), new Float32Array((p === 'tokens' ? n * k : n) * D));
    const inputIds = new BigInt64Array(B * T);
    const mask = new BigInt64Array(B * T);
    for (let start = 0; start < n; start += B) {
      const count = Math.min(B, n - start);
      inputIds.fill(BigInt(cfg.pad_token_id));
      mask.fill(0n);
      const positions: number[][] = [];
      for (let b = 0; b < count; b++) {
        const x = ids[start + b].slice(0, T);
        x.forEach((t, j) => {
          inputIds[b * T + j] = BigInt(t);
          mask[b * T + j] = 1n;
        });
        if (poolings.includes('tokens')) positions.push(samplePositions(o.positionSeed ?? DEFAULT_POSITION_SEED, start + b, x.length, k));
      }
      // Padding rows still need one real key, or their softmax is over nothing (NaN in those rows only).
      for (let b = count; b < B; b++) mask[b * T] = 1n;
      feeds.input_ids = new ort.Tensor('int64', inputIds, [B, T]);
      feeds.attention_mask = new ort.Tensor('int64', mask, [B, T]);
      const res = await session.run(feeds);
      for (let l = 0; l < nLayers; l++) {
        const h = res[`hidden_state_${l}`].data as Float32Array; // [B, T, D]
        for (const p of poolings) {
          const target = out.get(key(l, p))!;
          if (p === 'mean') meanPoolInto(h, mask, B, T, D, count, target, start);
          else if (p === 'cls') clsPoolInto(h, T, D, count, target, start);
          else tokenPoolInto(h, T, D, positions, target, start, k);
        }
      }
      o.onProgress?.(start + count, n);
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
    await session.release();
  }
}
