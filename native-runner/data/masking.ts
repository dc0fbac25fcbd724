// Training objectives applied to packed token rows: MLM masking (BERT's 80/10/10) and CLM labels.
// The data pipeline yields rows of token ids + attention mask; this module turns them into a Batch
// for one objective, drawing randomness from a seeded Rng whose state is part of the data cursor.

import type { Batch, BatchSource, Objective } from '../train/step-api';
import { Rng, type RngState } from '../util/rng';

export const IGNORE_INDEX = -100n; // HF ignore_index: no loss at this position

export interface MlmOptions {
  rate: number;                   // probability that an eligible position is selected for prediction
  maskTokenId: number;            // id of [MASK]
  vocabSize: number;              // random replacements are drawn from [0, vocabSize) minus specials
  specialIds: readonly number[];  // never selected, never drawn as a random replacement ([CLS], [SEP], [PAD], [MASK] ...)
}

/**
 * MLM: each real (attention 1), non-special position is selected with probability `rate`; a selected
 * position gets label = its original id and its input becomes [MASK] (80%), a random non-special token
 * (10%) or stays unchanged (10%). Every other label is -100. If a whole batch ends up with no selected
 * position (possible for tiny batches), one eligible position is selected so the loss is defined.
 */
export function applyMlm(batch: Batch, o: MlmOptions, rng: Rng): Batch {
  if (!(o.rate > 0 && o.rate < 1)) throw new RangeError(`mask rate must be in (0, 1), got ${o.rate}`);
  const special = new Set(o.specialIds);
  if (!special.has(o.maskTokenId)) special.add(o.maskTokenId);
  if (special.size >= o.vocabSize) throw new Error('MLM needs at least one non-special token in the vocabulary');
  const n = batch.inputIds.length;
  const inputIds = batch.inputIds.slice();
  const labels = new BigInt64Array(n).fill(IGNORE_INDEX);
  const eligible = (i: number) => batch.attentionMask[i] !== 0n && !special.has(Number(batch.inputIds[i]));
  const select = (i: number) => {
    labels[i] = batch.inputIds[i];
    const u = rng.float();
    if (u < 0.8) inputIds[i] = BigInt(o.maskTokenId);
    else if (u < 0.9) inputIds[i] = BigInt(randomToken(rng, o.vocabSize, special));
    // else: unchanged, still predicted
  };
  let selected = 0, candidates = 0;
  for (let i = 0; i < n; i++) {
    if (!eligible(i)) continue;
    candidates++;
    if (rng.float() < o.rate) { select(i); selected++; }
  }
  if (selected === 0 && candidates > 0) {
    let k = rng.int(candidates);
    for (let i = 0; i < n; i++) if (eligible(i) && k-- === 0) { select(i); break; }
  }
  return { batchSize: batch.batchSize, seqLen: batch.seqLen, inputIds, attentionMask: batch.attentionMask, labels };
}

function randomToken(rng: Rng, vocabSize: number, special: Set<number>): number {
  for (;;) {
    const t = rng.int(vocabSize);
    if (!special.has(t)) return t;
  }
}

/**
 * CLM: the label at position t is the token at t+1 of the same packed row; -100 at the last position
 * and wherever t or t+1 is padding. Inputs are unchanged (the causal mask lives in the graph).
 * Documents packed in one row are predicted across their [SEP] boundary, as in plain packed LM training.
 */
export function applyClm(batch: Batch): Batch {
  const { batchSize: B, seqLen: T, inputIds, attentionMask } = batch;
  const labels = new BigInt64Array(B * T).fill(IGNORE_INDEX); // [B, T]
  for (let b = 0; b < B; b++) {
    for (let t = 0; t + 1 < T; t++) {
      const i = b * T + t;
      if (attentionMask[i] !== 0n && attentionMask[i + 1] !== 0n) labels[i] = inputIds[i + 1];
    }
  }
  return { batchSize: B, seqLen: T, inputIds: inputIds.slice(), attentionMask, labels };
}

export type ObjectiveSetting = { objective: 'clm' } | { objective: 'mlm'; mlm: MlmOptions };
export interface ObjectiveCursor<C = unknown> { source: C; rng: RngState }

/**
 * Wraps a source of packed rows (its labels are ignored) and applies the current phase's objective.
 * The cursor = the inner cursor + the masking RNG state, so a resumed run draws the same masks.
 */
export class ObjectiveBatchSource<C = unknown> implements BatchSource<ObjectiveCursor<C>> {
  private setting: ObjectiveSetting | null = null;

  constructor(private readonly rows: BatchSource<C>, private readonly rng: Rng) {}

  setObjective(s: ObjectiveSetting): void {
    this.setting = s;
  }

  get objective(): Objective | null {
    return this.setting?.objective ?? null;
  }

  next(): Batch {
    if (!this.setting) throw new Error('ObjectiveBatchSource: setObjective() before next()');
    const rows = this.rows.next();
    return this.setting.objective === 'mlm' ? applyMlm(rows, this.setting.mlm, this.rng) : applyClm(rows);
  }

  cursor(): ObjectiveCursor<C> {
    return { source: this.rows.cursor(), rng: this.rng.state() };
  }

  seek(c: ObjectiveCursor<C>): void {
    this.rows.seek(c.source);
    this.rng.setState(c.rng);
  }
}
