// The runner's data: a BatchSource of packed token rows plus the tokenizer facts the model config and
// the MLM masking need. Two sources:
//   - data.tokenizer set: the data pipeline (tokenizer.json → cached token shards → packed rows);
//   - no tokenizer: the INTERIM character-level source over one text file (char-batches.ts).

import { mkdirSync } from 'node:fs';
import type { RunConfig } from '../protocol';
import { CHAR_SPECIALS, CharTextBatches } from './char-batches';
import type { BatchSource } from './step-api';

export interface RunData {
  rows: BatchSource;                 // packed rows, labels ignored (the objective is applied later)
  vocabSize: number;
  pad: number; cls: number; sep: number; mask: number;
  specialIds: number[];              // never masked, never drawn as random replacements
  describe: string;                  // for logs
  vocab?: string[];                  // interim character vocabulary (written to OUT/vocab.json)
}

/** Check the data inputs without writing anything (used before OUT is created). */
export function openCharData(cfg: RunConfig): RunData {
  if (cfg.data.corpus.length !== 1) throw new Error(`data.corpus: the interim character-level source reads exactly one text file (got ${cfg.data.corpus.length}); give data.tokenizer for the full pipeline`);
  const src = new CharTextBatches(cfg.data.corpus[0], cfg.batch_size, cfg.seq_len, cfg.seed);
  const { pad, cls, sep, mask, unk } = CHAR_SPECIALS;
  return { rows: src, vocabSize: src.vocabSize, pad, cls, sep, mask, specialIds: [pad, cls, sep, mask, unk], vocab: src.vocab.tokens,
    describe: `${cfg.data.corpus[0]} (interim character vocabulary, ${src.vocabSize} tokens, ${src.rowsPerEpoch} rows/epoch)` };
}

/** The tokenizer pipeline; builds (or reuses) shards in `cacheDir`. */
export async function openTokenizedData(cfg: RunConfig, cacheDir: string): Promise<RunData> {
  const [{ loadTokenizer }, { buildShards, DocumentStore }, { PackedBatchSource }] = await Promise.all([
    import('../data/tokenizer'), import('../data/shards'), import('../data/packing'),
  ]);
  const tok = loadTokenizer(cfg.data.tokenizer!);
  mkdirSync(cacheDir, { recursive: true });
  const dir = await buildShards(cfg.data.corpus.length === 1 ? cfg.data.corpus[0] : cfg.data.corpus, tok, {
    cacheDir,
    corpus: { txtMode: cfg.data.txt_mode, jsonField: cfg.data.json_field },
    heldOutFraction: cfg.data.held_out_fraction ?? 0,
    splitSeed: cfg.data.split_seed ?? 0,
  });
  const rows = new PackedBatchSource(new DocumentStore(dir, 'train'), { seqLen: cfg.seq_len, batchSize: cfg.batch_size, seed: cfg.seed });
  const s = tok.specialIds;
  return { rows, vocabSize: tok.vocabSize, pad: s.pad, cls: s.cls, sep: s.sep, mask: s.mask,
    specialIds: [s.pad, s.cls, s.sep, s.mask, ...(s.unk === null ? [] : [s.unk])], describe: `${cfg.data.corpus.join(', ')} (tokenizer ${tok.path})` };
}
