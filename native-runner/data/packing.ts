// Packing tokenized documents into fixed-length sequences, ModernBERT-style, and serving them as
// batches with a resumable cursor.
//
// Each epoch visits the documents of a split in a seeded random order (Fisher-Yates with util/rng.ts
// seeded by (seed, epoch)). The visited documents form one stream "d1 [SEP] d2 [SEP] ..."; it is cut
// into rows of T-1 tokens and every row starts with [CLS]. A document longer than the room left
// continues on the next row. Training streams never pad (the stream runs on into the next epoch),
// so their attention mask is all ones; evalBatches pads the last row with [PAD] (mask 0).
//
// The cursor (epoch, position in that epoch's order, tokens of that document already emitted,
// batches served) is all the state there is: a source built with the same data and options and
// seek()ed to a saved cursor yields exactly the batches the original would have yielded next.
// Use: new ObjectiveBatchSource(new PackedBatchSource(store, opts), rng) (data/masking.ts) gives the
// train loop its BatchSource; that wrapper's cursor holds this cursor plus the masking RNG state.

import type { Batch, BatchSource } from '../train/step-api';
import { Rng } from '../util/rng';
import { DataError } from './errors';
import type { DocumentStore } from './shards';

export interface PackOptions {
  seqLen: number;               // T, including the leading [CLS]
  batchSize: number;            // B
  seed: number;                 // shuffling seed (document order per epoch)
  shuffle?: boolean;            // false: corpus order every epoch (true)
}

export interface PackCursor {
  data: string;                 // DocumentStore fingerprint + T/B/seed: refuses a mismatched resume
  epoch: number;
  doc: number;                  // position in the epoch's document order
  offset: number;               // tokens of that document already emitted (== its length: [SEP] pending)
  batches: number;              // batches served so far (masking seeds per batch from it)
}

/**
 * Token rows of one batch before the objective is applied: a Batch whose labels are all -100;
 * data/masking.ts's ObjectiveBatchSource wraps this source and makes the MLM/CLM inputs and labels.
 */
export interface PackedBatch extends Batch {
  inputIds: BigInt64Array;      // [B, T] [CLS] ... [SEP] ... token ids
  attentionMask: BigInt64Array; // [B, T] 1 = real token, 0 = padding
  labels: BigInt64Array;        // [B, T] all -100 (no objective yet)
  index: number;                // ordinal of this batch in the stream (0-based), stable across resume
  epoch: number;                // epoch of the batch's first row
}

/** Document order of one epoch: Fisher-Yates driven by an independent stream per (seed, epoch). */
export function epochOrder(n: number, seed: number, epoch: number, shuffle = true): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (!shuffle) return order;
  const rng = Rng.seeded(seed, `shuffle/epoch ${epoch}`);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i]; order[i] = order[j]; order[j] = t;
  }
  return order;
}

/** Endless stream of packed batches over one split of a tokenized corpus. */
export class PackedBatchSource implements BatchSource<PackCursor> {
  private epoch = 0;
  private doc = 0;
  private offset = 0;
  private batches = 0;
  private order: Uint32Array;
  private current: Uint32Array | null = null;   // tokens of order[doc], read lazily
  private readonly cls: number;
  private readonly sep: number;
  private readonly dataId: string;

  constructor(private readonly store: DocumentStore, private readonly opts: PackOptions) {
    if (store.documents === 0) throw new DataError(`${store.dir}: split "${store.split}" has no documents`, store.dir);
    if (!(opts.seqLen >= 2 && opts.batchSize >= 1)) throw new DataError(`packing needs seqLen >= 2 and batchSize >= 1 (got T=${opts.seqLen}, B=${opts.batchSize})`);
    this.cls = store.meta.specialIds.cls;
    this.sep = store.meta.specialIds.sep;
    this.dataId = `${store.fingerprint}:T${opts.seqLen}:B${opts.batchSize}:s${opts.seed}:${opts.shuffle === false ? 'ordered' : 'shuffled'}`;
    this.order = epochOrder(store.documents, opts.seed, 0, opts.shuffle);
  }

  cursor(): PackCursor {
    return { data: this.dataId, epoch: this.epoch, doc: this.doc, offset: this.offset, batches: this.batches };
  }

  seek(c: PackCursor): void {
    if (c.data !== this.dataId) throw new DataError(`data cursor is for "${c.data}", this source is "${this.dataId}"`);
    if (!(c.doc >= 0 && c.doc < this.store.documents)) throw new DataError(`data cursor document ${c.doc} out of range`);
    if (c.epoch !== this.epoch) this.order = epochOrder(this.store.documents, this.opts.seed, c.epoch, this.opts.shuffle);
    this.epoch = c.epoch;
    this.doc = c.doc;
    this.offset = c.offset;
    this.batches = c.batches;
    this.current = null;
  }

  /** Fill row [T] from the stream: [CLS] then documents, each followed by [SEP]. */
  private fillRow(row: BigInt64Array): void {
    const T = row.length;
    row[0] = BigInt(this.cls);
    let p = 1;
    while (p < T) {
      if (!this.current) this.current = this.store.readDoc(this.order[this.doc]);
      const doc = this.current;
      const n = Math.min(T - p, doc.length - this.offset);
      for (let k = 0; k < n; k++) row[p + k] = BigInt(doc[this.offset + k]);
      p += n;
      this.offset += n;
      if (p < T && this.offset === doc.length) {
        row[p++] = BigInt(this.sep);
        this.advanceDoc();
      }
    }
  }

  private advanceDoc(): void {
    this.current = null;
    this.offset = 0;
    if (++this.doc === this.store.documents) {
      this.doc = 0;
      this.epoch++;
      this.order = epochOrder(this.store.documents, this.opts.seed, this.epoch, this.opts.shuffle);
    }
  }

  next(): PackedBatch {
    const { batchSize: B, seqLen: T } = this.opts;
    const inputIds = new BigInt64Array(B * T);      // [B, T]
    const attentionMask = new BigInt64Array(B * T).fill(1n);
    const epoch = this.epoch;
    for (let b = 0; b < B; b++) this.fillRow(inputIds.subarray(b * T, (b + 1) * T));
    const labels = new BigInt64Array(B * T).fill(-100n);
    return { batchSize: B, seqLen: T, inputIds, attentionMask, labels, index: this.batches++, epoch };
  }
}

/** One ordered pass over a split (e.g. held-out loss): the last row is padded, the last batch may be short. */
export function* evalBatches(store: DocumentStore, seqLen: number, batchSize: number): Generator<PackedBatch> {
  const { cls, sep, pad } = store.meta.specialIds;
  const T = seqLen;
  let rows: number[][] = [];
  let row: number[] = [cls];
  let index = 0;
  const flush = function* (final: boolean): Generator<PackedBatch> {
    while (rows.length >= batchSize || (final && rows.length)) {
      const take = rows.splice(0, batchSize);
      const inputIds = new BigInt64Array(take.length * T).fill(BigInt(pad));   // [B, T]
      const attentionMask = new BigInt64Array(take.length * T);                // [B, T]
      take.forEach((r, b) => r.forEach((id, t) => { inputIds[b * T + t] = BigInt(id); attentionMask[b * T + t] = 1n; }));
      const labels = new BigInt64Array(take.length * T).fill(-100n);
      yield { batchSize: take.length, seqLen: T, inputIds, attentionMask, labels, index: index++, epoch: 0 };
    }
  };
  for (let d = 0; d < store.documents; d++) {
    const toks = [...store.readDoc(d), sep];
    for (const id of toks) {
      row.push(id);
      if (row.length === T) { rows.push(row); row = [cls]; }
    }
    yield* flush(false);
  }
  if (row.length > 1) rows.push(row);
  yield* flush(true);
}
