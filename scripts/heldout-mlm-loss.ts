// Held-out MLM loss of a model on one split of a tokenized corpus, and the unigram baseline it is
// judged against. Used by scripts/pretrain-demo.ts (the number recorded for the shipped demo base
// model) and test/runner/demo-base.test.ts (the level a fine-tuning run must start near).
//
// The split is read once in corpus order (data/packing.ts evalBatches: [CLS] d1 [SEP] d2 ..., the
// last row padded), masked with data/masking.ts applyMlm from a fixed seed, and run through the
// inference graph (model/inference.ts) in one ORT session of fixed (B, T); the mean cross-entropy
// over all selected positions is computed here in float64. Same model + data + seed = same number.

import * as ort from 'onnxruntime-node';
import { applyMlm } from '../native-runner/data/masking';
import { evalBatches } from '../native-runner/data/packing';
import type { DocumentStore } from '../native-runner/data/shards';
import type { ModernBertConfig } from '../native-runner/model/config';
import { buildInferenceGraph } from '../native-runner/model/inference';
import { parameterSpecs } from '../native-runner/model/params';
import { Rng } from '../native-runner/util/rng';

export interface HeldoutOptions {
  maskRate: number;              // share of positions predicted (0.15 / 0.3)
  seqLen?: number;               // T (128)
  batchSize?: number;            // B (16)
  seed?: number;                 // masking seed (0)
  maxBatches?: number;           // stop after this many batches (all)
  threads?: number;              // ORT intra-op threads (2)
}

export interface HeldoutLoss { loss: number; predicted: number; batches: number }

/** Mean MLM cross-entropy (nats) over the masked positions of a pass over `store`. */
export async function heldoutMlmLoss(cfg: ModernBertConfig, params: Map<string, Float32Array>, store: DocumentStore, o: HeldoutOptions): Promise<HeldoutLoss> {
  const T = o.seqLen ?? 128, B = o.batchSize ?? 16, V = cfg.vocab_size;
  const s = store.meta.specialIds;
  const specialIds = [s.pad, s.cls, s.sep, s.mask, ...(s.unk === null ? [] : [s.unk])];
  if (store.meta.vocabSize > V) throw new Error(`${store.dir}: tokenized with ${store.meta.vocabSize} tokens, the model has vocab_size ${V}`);
  const rng = Rng.seeded(o.seed ?? 0, 'heldout-mask');
  const graph = buildInferenceGraph(cfg, { batchSize: B, seqLen: T, logits: true });
  const session = await ort.InferenceSession.create(graph.model, { intraOpNumThreads: o.threads ?? 2, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const spec of parameterSpecs(cfg)) {
      if (!graph.inputNames.includes(spec.name)) continue;
      const p = params.get(spec.name);
      if (!p) throw new Error(`parameter ${spec.name} missing from the model`);
      feeds[spec.name] = new ort.Tensor('float32', p, spec.shape);
    }
    let sum = 0, predicted = 0, batches = 0;
    const ids = new BigInt64Array(B * T), mask = new BigInt64Array(B * T); // [B, T]
    for (const rows of evalBatches(store, T, B)) {
      if (o.maxBatches !== undefined && batches >= o.maxBatches) break;
      const b = applyMlm(rows, { rate: o.maskRate, maskTokenId: s.mask, vocabSize: V, specialIds }, rng);
      // a short last batch is padded with empty rows; each keeps one real key so its softmax is defined
      ids.fill(BigInt(s.pad)); mask.fill(0n);
      ids.set(b.inputIds); mask.set(b.attentionMask);
      for (let r = b.batchSize; r < B; r++) mask[r * T] = 1n;
      feeds.input_ids = new ort.Tensor('int64', ids, [B, T]);
      feeds.attention_mask = new ort.Tensor('int64', mask, [B, T]);
      const logits = (await session.run(feeds)).logits.data as Float32Array; // [B, T, V]
      for (let i = 0; i < b.labels.length; i++) {
        if (b.labels[i] < 0n) continue;
        const row = logits.subarray(i * V, (i + 1) * V);
        let max = -Infinity;
        for (let v = 0; v < V; v++) if (row[v] > max) max = row[v];
        let z = 0;
        for (let v = 0; v < V; v++) z += Math.exp(row[v] - max);
        sum += max + Math.log(z) - row[Number(b.labels[i])];
        predicted++;
      }
      batches++;
    }
    if (!predicted) throw new Error(`${store.dir}: split "${store.split}" gave no masked positions`);
    return { loss: sum / predicted, predicted, batches };
  } finally {
    await session.release();
  }
}

export interface UnigramBaseline {
  entropy: number;               // nats: entropy of the training split's token distribution
  heldoutCrossEntropy: number;   // nats: held-out tokens under that distribution (add-one smoothed)
  trainTokens: number;
  heldoutTokens: number;
}

/**
 * The best an MLM can do without context is predict the unigram distribution; its loss is then the
 * unigram cross-entropy. Special tokens never carry an MLM label, so they are left out.
 */
export function unigramBaseline(train: DocumentStore, heldout: DocumentStore): UnigramBaseline {
  const V = train.meta.vocabSize;
  const s = train.meta.specialIds;
  const special = new Set([s.pad, s.cls, s.sep, s.mask, ...(s.unk === null ? [] : [s.unk])]);
  const counts = new Float64Array(V);
  let n = 0;
  for (let d = 0; d < train.documents; d++) for (const t of train.readDoc(d)) if (!special.has(t)) { counts[t]++; n++; }
  let entropy = 0;
  for (const c of counts) if (c > 0) entropy -= (c / n) * Math.log(c / n);
  const kinds = V - special.size;
  let ce = 0, m = 0;
  for (let d = 0; d < heldout.documents; d++) {
    for (const t of heldout.readDoc(d)) if (!special.has(t)) { ce -= Math.log((counts[t] + 1) / (n + kinds)); m++; }
  }
  return { entropy, heldoutCrossEntropy: ce / m, trainTokens: n, heldoutTokens: m };
}
