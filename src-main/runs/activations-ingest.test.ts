// A run with a probe set logs activations of its starting model and of every checkpoint; the queue
// stores them in SQLite, and they equal what the analysis side computes from the same directories.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspaceDb, type Db } from '../store/db';
import { getRun } from '../store/runs';
import { activationLayers, getActivation } from '../store/activations';
import { RunEventBus } from '../events';
import { RunQueue } from './queue';
import { logActivations, modelDirHash } from '../analysis/activation-log';
import { loadTokenizer } from '../../native-runner/data/tokenizer';
import { sameExtraction } from '../../native-runner/activations/extraction-settings';
import { writeActivationDir } from '../../native-runner/activations/store-files';
import { createRun } from '../store/runs';
import { RunIngest } from './ingest';

const root = path.resolve(__dirname, '../..');
const CORPUS = path.join(root, 'fixtures/corpus/wordnet-noun-glosses.txt');
const TOKENIZER = path.join(root, 'fixtures/demo-tokenizer');
const PROBE_TEXTS = ['a disease of the liver', 'a bone of the leg', 'the study of plants', 'an instrument for cutting', 'a drug that reduces fever', 'a small domestic animal'];
let dir: string;
let db: Db;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-ingest-'));
  db = openWorkspaceDb(path.join(dir, 'ws'));
  fs.writeFileSync(path.join(dir, 'probe.jsonl'), PROBE_TEXTS.map((t, i) => JSON.stringify({ id: String(i), text: t, word: `w${i}`, domain: i % 2 ? 'general' : 'bio' })).join('\n') + '\n');
});
afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('activation logging during a run', () => {
  it('stores the start model and every checkpoint, identical to a direct computation', async () => {
    const q = new RunQueue(db, new RunEventBus(), { workspaceDir: path.join(dir, 'ws'), flushIntervalMs: 50 });
    const id = q.enqueue({
      model: 'tiny', data: { corpus: CORPUS, tokenizer: TOKENIZER, cache_dir: path.join(dir, 'cache'), cache_dir_outside_workspace: true }, seq_len: 32, batch_size: 4, seed: 3, checkpoint_every: 2,
      phases: [{ name: 'clm', objective: 'clm', steps: 4, lr: { peak: 3e-3, warmup: 1, shape: 'constant' } }],
      probe_set: { path: path.join(dir, 'probe.jsonl'), poolings: ['mean', 'tokens'], batch_size: 4, tokens_per_text: 2 },
    });
    await q.idle();
    const run = getRun(db, id)!;
    expect(run.status, run.error ?? '').toBe('finished');
    expect(run.checkpoints.map((c) => [c.step, c.phase])).toEqual([[0, 'start'], [2, 'clm'], [4, 'clm']]);
    // One weights hash everywhere: the same as a directory registered for analysis.
    for (const c of run.checkpoints) expect(c.sha256).toBe(modelDirHash(c.path));
    const probeSetId = db.prepare('SELECT id FROM probe_sets').pluck().get() as number;
    for (const c of run.checkpoints) {
      expect(activationLayers(db, c.id, probeSetId, 'mean')).toEqual([0, 1, 2, 3, 4]);
      expect(activationLayers(db, c.id, probeSetId, 'tokens')).toEqual([0, 1, 2, 3, 4]);
      expect(getActivation(db, c.id, probeSetId, 4, 'tokens')!.shape).toEqual([12, 16]);
    }
    // Training changed the representations: the start and the last checkpoint differ.
    const first = getActivation(db, run.checkpoints[0].id, probeSetId, 4, 'mean')!.data;
    const last = getActivation(db, run.checkpoints[2].id, probeSetId, 4, 'mean')!.data;
    expect(first.some((v, i) => Math.abs(v - last[i]) > 1e-4)).toBe(true);
    // Every stored block carries the settings it was extracted under: the run's seq_len as max_length
    // (probe_set.max_length unset), the tokenizer file's hash, tokens_per_text.
    const tok = loadTokenizer(TOKENIZER);
    const longest = Math.max(...PROBE_TEXTS.map((t) => tok.encodeWithSpecials(t).length));
    const rows = db.prepare('SELECT DISTINCT extraction FROM activations').pluck().all() as string[];
    expect(rows).toHaveLength(1);
    const stored = JSON.parse(rows[0]);
    expect(stored).toMatchObject({ max_length: 32, truncated_to: Math.min(32, longest), tokenizer_sha256: tok.hash, tokenizer_path: tok.path, tokens_per_text: 2, position_seed: 0 });
    expect(getActivation(db, run.checkpoints[1].id, probeSetId, 0, 'mean')!.extraction).toEqual(stored);
    // The main side, computing from the checkpoint directory with the same settings, gets the same numbers and records the same settings.
    const other = openWorkspaceDb(path.join(dir, 'ws2'));
    const r = await logActivations(other, { modelDir: run.checkpoints[2].path, probeSet: path.join(dir, 'probe.jsonl'), tokenizer: TOKENIZER, poolings: ['mean'], maxLength: 32, tokensPerText: 2 });
    const direct = getActivation(other, r.checkpointId, r.probeSetId, 4, 'mean')!.data;
    let worst = 0;
    direct.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - last[i]))));
    expect(worst).toBeLessThan(1e-5);
    expect(sameExtraction(r.extraction, stored)).toBe(true);
    other.close();
  });

  it('activation files written before settings were recorded are ingested with unknown (NULL) settings', () => {
    const runId = createRun(db, { name: 'old runner', config: {} });
    const modelDir = path.join(dir, 'old-model');
    const actDir = writeActivationDir(modelDir, {
      format: 'encoder-workbench/activations@1', probe_sha256: 'd'.repeat(64), probe_path: path.join(dir, 'old-probe.txt'), texts: 2, layers: 2, poolings: ['mean'], tokens_per_text: 4, max_length: 16,
    }, [0, 1].map((layer) => ({ layer, pooling: 'mean' as const, shape: [2, 3] as [number, number], data: Float32Array.from({ length: 6 }, (_, i) => i + layer) })));
    const ingest = new RunIngest(db, new RunEventBus(), runId);
    const e = ingest.line(JSON.stringify({ t: 0, type: 'activations', step: 0, phase: 'start', checkpoint: modelDir, dir: actDir, probe_sha256: 'd'.repeat(64), texts: 2, layers: 2, poolings: ['mean'] }));
    expect(e?.type).toBe('activations');
    const ck = db.prepare('SELECT id FROM checkpoints WHERE path = ?').pluck().get(path.resolve(modelDir)) as number;
    const ps = db.prepare('SELECT id FROM probe_sets WHERE sha256 = ?').pluck().get('d'.repeat(64)) as number;
    expect(activationLayers(db, ck, ps, 'mean')).toEqual([0, 1]);
    expect(getActivation(db, ck, ps, 1, 'mean')!.extraction).toBeNull();
  });

  it('a probe set without a tokenizer is refused before the run starts', () => {
    const q = new RunQueue(db, new RunEventBus(), { workspaceDir: path.join(dir, 'ws') });
    expect(() =>
      q.enqueue({ model: 'tiny', data: CORPUS, seq_len: 16, batch_size: 2, phases: [{ name: 'p', objective: 'clm', steps: 1, lr: { peak: 1e-3 } }], probe_set: { path: path.join(dir, 'probe.jsonl') } }),
    ).toThrow(/probe_set\.tokenizer: required/);
  });
});
