// The shipped demo base model (fixtures/demo-base, made by `npm run pretrain:demo`) starts a domain-
// adaptation run on the demo BIOMEDICAL corpus at the model's own level, not at random-init level.
// Real files, real runner CLI, real ORT sessions: the base model's MLM loss on the biomedical held-out
// documents is measured here, then the runner trains 3 steps of MLM 15% on the biomedical training
// documents twice, from the base model and from a random init, on the same batches.
// Measured (fixtures/README.md): base level 3.83 (unigram 6.54); first step from the base 3.71,
// from a random init 8.32 (~ln 4096).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelDir } from '../../native-runner/checkpoint/checkpoint';
import { buildDemo, DEMO_FIXTURE_TOKENIZER, type DemoManifest } from '../../native-runner/data/demo-build';
import { DocumentStore } from '../../native-runner/data/shards';
import { loadTokenizer } from '../../native-runner/data/tokenizer';
import type { RunEvent } from '../../native-runner/protocol';
import { writeDemoTrainJsonl } from '../../native-runner/data/demo-train-split';
import { heldoutMlmLoss, unigramBaseline } from '../../scripts/heldout-mlm-loss';
import { ROOT, startRunner, writeConfig } from './run-cli';

const BASE = join(ROOT, 'fixtures/demo-base');
const DEMO = join(ROOT, '.cache/demo');           // built here if missing (~10 s), reused otherwise
const dir = mkdtempSync(join(tmpdir(), 'demo-base-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let manifest: DemoManifest;
let bioCorpus: string;
beforeAll(async () => {
  manifest = await buildDemo({ outDir: DEMO });
  bioCorpus = (await writeDemoTrainJsonl(DEMO, manifest, 'biomedical', join(dir, 'biomedical-train.jsonl'))).file;
});

/** First-step losses of a 3-step MLM 15% run on the biomedical training documents. */
async function firstLosses(name: string, init: object): Promise<number[]> {
  const cfg = writeConfig(dir, `${name}.json`, {
    model: 'demo', ...init,
    data: { corpus: bioCorpus, tokenizer: DEMO_FIXTURE_TOKENIZER, cache_dir: join(dir, 'data-cache') },
    seq_len: 128, batch_size: 32, seed: 3,
    phases: [{ name: 'adapt', objective: 'mlm', mask_rate: 0.15, steps: 3, lr: { peak: 2e-4, warmup: 0 } }],
  });
  const run = await startRunner(['train', '--config', cfg, '--out', join(dir, name), '--json']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return run.events.filter((e): e is Extract<RunEvent, { type: 'step' }> => e.type === 'step').map((e) => e.loss);
}

describe('fixtures/demo-base', () => {
  it('is a 12-layer demo-preset ModernBERT with the demo tokenizer, under 20 MB', () => {
    const { config, params } = loadModelDir(BASE);
    expect(config).toMatchObject({ model_type: 'modernbert', num_hidden_layers: 12, hidden_size: 128, num_attention_heads: 4, intermediate_size: 256, vocab_size: 4096 });
    const tok = loadTokenizer(BASE);
    expect(tok.vocabSize).toBe(config.vocab_size);
    expect(tok.hash).toBe(loadTokenizer(DEMO_FIXTURE_TOKENIZER).hash);    // the same tokenizer.json bytes
    expect([tok.specialIds.cls, tok.specialIds.sep, tok.specialIds.pad]).toEqual([config.cls_token_id, config.sep_token_id, config.pad_token_id]);
    expect(params.get('model.embeddings.tok_embeddings.weight')!.length).toBe(4096 * 128);
    expect(statSync(join(BASE, 'model.safetensors')).size).toBeLessThan(20e6);
  });

  it('a biomedical run from it starts at its held-out level, far below a random init', async () => {
    const { config, params } = loadModelDir(BASE);
    const shards = join(DEMO, manifest.corpora.biomedical.shardDir!);
    const held = new DocumentStore(shards, 'heldout'), train = new DocumentStore(shards, 'train');
    // the held-out split is small (76 documents): average three maskings (~1,100 predicted positions)
    const levels = [];
    for (const seed of [0, 1, 2]) levels.push(await heldoutMlmLoss(config, params, held, { maskRate: 0.15, seqLen: 128, batchSize: 16, seed }));
    const base = levels.reduce((a, l) => a + l.loss, 0) / levels.length;
    const unigram = unigramBaseline(train, held).heldoutCrossEntropy;
    held.close(); train.close();
    expect(levels.every((l) => l.predicted > 300)).toBe(true);
    expect(base).toBeLessThan(unigram - 1);        // the base model uses context on unseen-domain text

    const fromBase = await firstLosses('from-base', { init_from: BASE });
    const fromScratch = await firstLosses('from-scratch', {});
    expect(fromBase).toHaveLength(3);
    expect(fromScratch[0]).toBeGreaterThan(Math.log(4096) - 0.5);   // random init: ~ln V = 8.32
    expect(Math.abs(fromBase[0] - base)).toBeLessThan(0.5);          // same distribution, other documents and masks
    expect(fromBase[0]).toBeLessThan(fromScratch[0] - 3);
  });
});
