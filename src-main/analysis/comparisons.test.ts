// Comparisons over stored activations, end to end: real tiny model directories, real activation
// logging into a real SQLite workspace, CKA through ORT; results checked against the math modules
// called directly, caching checked through the analyses table, bad inputs checked to cache nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspaceDb, type Db } from '../store/db';
import { addCheckpoint } from '../store/checkpoints';
import { getActivation, putActivations } from '../store/activations';
import { linearCKA } from './cka';
import { replicateCKAs, resampleCounts } from './bootstrap';
import { crossLayerCKA } from './cross-layer';
import { compareModels, ensureActivations } from './service';
import { compareStored } from './comparisons';
import { loadActivations } from './stored-activations';
import { trajectory } from './trajectory';
import { createRun } from '../store/runs';
import { DEMO_TOKENIZER, writeProbeFile, writeTinyModel } from './test-models';

let tmp: string;
let db: Db;
let dirA: string, dirB: string, dirB2: string;
let probe: string, probe2: string;
const count = (kind?: string) => db.prepare(`SELECT count(*) FROM analyses${kind ? ' WHERE kind = ?' : ''}`).pluck().get(...(kind ? [kind] : [])) as number;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-cmp-'));
  db = openWorkspaceDb(path.join(tmp, 'ws'));
  dirA = writeTinyModel(path.join(tmp, 'a'), 1);
  dirB = writeTinyModel(path.join(tmp, 'b'), 2);
  dirB2 = writeTinyModel(path.join(tmp, 'b2'), 3);
  probe = writeProbeFile(path.join(tmp, 'probe.jsonl'));
  probe2 = writeProbeFile(path.join(tmp, 'probe2.jsonl'), 1, ' (other set)');
  for (const d of [dirA, dirB, dirB2]) await ensureActivations(db, d, { probe, tokenizer: DEMO_TOKENIZER });
});
afterAll(() => {
  db.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function layersOf(checkpointId: number, probeSetId: number) {
  return [0, 1, 2, 3, 4].map((l) => getActivation(db, checkpointId, probeSetId, l, 'mean')!).map((b) => ({ rows: b.shape[0], cols: b.shape[1], data: b.data }));
}

describe('comparisons over stored activations', () => {
  it('same-layer divergence, control ratio and regions agree with the CKA math on the stored matrices', async () => {
    const r = await compareModels(db, { a: dirA, b: dirB, control: { a: dirB2, b: dirB } });
    expect(r.layers).toEqual([0, 1, 2, 3, 4]);
    expect(r.examples).toBe(24);
    const a = layersOf(r.a.checkpointId, r.probeSet.id);
    const b = layersOf(r.b.checkpointId, r.probeSet.id);
    const c = layersOf(r.control!.a.checkpointId, r.probeSet.id);
    for (let l = 0; l < 5; l++) {
      expect(r.cka[l]).toBeCloseTo(await linearCKA(a[l], b[l]), 12);
      expect(r.divergence[l]).toBeCloseTo(1 - r.cka[l], 15);
      expect(r.controlDivergence![l]).toBeCloseTo(1 - (await linearCKA(c[l], b[l])), 12);
      expect(r.ratio![l]).toBeCloseTo(r.divergence[l] / r.controlDivergence![l], 12);
    }
    // tiny (4 layers): low = [0], mid = [1, 2], deep = [3]; hidden state l + 1 is layer l's output.
    const regions = Object.fromEntries(r.regions!.divergence.map((x) => [x.region, x]));
    expect(regions.mid.layers).toEqual([1, 2]);
    expect(regions.mid.mean).toBeCloseTo((r.divergence[2] + r.divergence[3]) / 2, 14);
    expect(regions.all.mean).toBeCloseTo((r.divergence[1] + r.divergence[2] + r.divergence[3] + r.divergence[4]) / 4, 14);
    expect(r.cached).toEqual({ sameLayer: false, control: false });
  });

  it('cross-layer table and bootstrap intervals', async () => {
    const r = await compareModels(db, { a: dirA, b: dirB, cross: true, bootstrap: { reps: 50, seed: 3 } });
    const a = layersOf(r.a.checkpointId, r.probeSet.id);
    const b = layersOf(r.b.checkpointId, r.probeSet.id);
    const t = await crossLayerCKA(a, b);
    expect(r.cross!.cka).toHaveLength(5);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) expect(r.cross!.cka[i][j]).toBeCloseTo(t.data[i * 5 + j], 12);
    for (let l = 0; l < 5; l++) expect(r.cross!.cka[l][l]).toBeCloseTo(r.cka[l], 12);
    for (const row of r.bootstrap!.layers) {
      expect(row.cka.estimate).toBeCloseTo(r.cka[row.layer], 10);
      expect(row.cka.lo).toBeLessThanOrEqual(row.cka.hi);
      expect(row.divergence.lo).toBeCloseTo(1 - row.cka.hi, 10);
    }
    // The shift is the mean replicate divergence minus the estimate: recomputed from the same resamples.
    const w = resampleCounts(24, 50, 3);
    const reps = await replicateCKAs(a[2], b[2], w);
    const meanDiv = Array.from(reps.subarray(1)).reduce((s, c) => s + (1 - c), 0) / 50;
    expect(r.bootstrap!.layers[2].divergenceShift).toBeCloseTo(meanDiv - r.divergence[2], 10);
    expect(r.cached).toEqual({ sameLayer: true, cross: false, bootstrap: false });
  });

  it('serves a repeated comparison from the cache, and recomputes when the activations change', async () => {
    const first = await compareModels(db, { a: dirA, b: dirB, debiased: true });
    const n = count();
    const again = await compareModels(db, { a: dirA, b: dirB, debiased: true });
    expect(again.cached.sameLayer).toBe(true);
    expect(again.cka).toEqual(first.cka);
    expect(count()).toBe(n);
    // Re-store B's layer 2 with different values: the digest changes, so the old result is not served.
    const blk = getActivation(db, first.b.checkpointId, first.probeSet.id, 2, 'mean')!;
    const changed = Float32Array.from(blk.data, (v, i) => v + (i % 7) * 0.1);
    putActivations(db, first.b.checkpointId, first.probeSet.id, [{ ...blk, data: changed }]);
    const after = await compareModels(db, { a: dirA, b: dirB, debiased: true });
    expect(after.cached.sameLayer).toBe(false);
    expect(after.cka[2]).not.toBeCloseTo(first.cka[2], 6);
    expect(after.cka[1]).toBeCloseTo(first.cka[1], 14);
    putActivations(db, first.b.checkpointId, first.probeSet.id, [blk]);
    expect((await compareModels(db, { a: dirA, b: dirB, debiased: true })).cached.sameLayer).toBe(true);
  });

  it('refuses bad inputs with errors naming the checkpoint and layer, caching nothing', async () => {
    const a = await ensureActivations(db, dirA, {});
    const b = await ensureActivations(db, dirB, {});
    const other = await ensureActivations(db, dirB2, { probe: probe2, tokenizer: DEMO_TOKENIZER });
    const before = count();
    // Another probe set (also another example count).
    await expect(compareStored(db, { a, b: other })).rejects.toThrow(new RegExp(`checkpoint ${a.checkpointId} .* uses probe set ${a.probeSetId} .* probe set ${other.probeSetId}`));
    // Same probe set, but a checkpoint whose stored activations hold fewer examples.
    const odd = addCheckpoint(db, { runId: null, step: null, phase: null, path: path.join(tmp, 'odd'), sha256: 'odd' });
    putActivations(db, odd, a.probeSetId, [0, 1, 2, 3, 4].map((layer) => ({ layer, pooling: 'mean' as const, shape: [20, 16] as [number, number], data: new Float32Array(320).map((_, i) => Math.sin(i + layer)) })));
    await expect(compareStored(db, { a, b: { checkpointId: odd, probeSetId: a.probeSetId } })).rejects.toThrow(/has 24 examples but checkpoint \d+ .*odd\) has 20: different example counts/);
    // A missing layer.
    db.prepare('DELETE FROM activations WHERE checkpoint_id = ? AND layer = 3').run(odd);
    await expect(compareStored(db, { a: { checkpointId: odd, probeSetId: a.probeSetId }, b: { checkpointId: odd, probeSetId: a.probeSetId }, layers: [2, 3] })).rejects.toThrow(/checkpoint \d+ \(.*odd\): layer 3 missing/);
    // A corrupt blob: fewer bytes than its shape needs, in the control pair (checked before anything is computed).
    db.prepare("UPDATE activations SET data = substr(data, 1, 100) WHERE checkpoint_id = ? AND layer = 4 AND pooling = 'mean'").run(odd);
    await expect(compareStored(db, { a, b, control: { a: { checkpointId: odd, probeSetId: a.probeSetId }, b } })).rejects.toThrow(/checkpoint \d+ \(.*odd\) layer 4 \(mean\): corrupt blob: 100 bytes, shape \[20, 16\] of float32 needs 1280/);
    await expect(compareStored(db, { a, b, bootstrap: { reps: 50 }, debiased: true })).rejects.toThrow(/linear CKA only/);
    await expect(compareStored(db, { a, b, cross: true, bootstrap: { reps: 5 } })).rejects.toThrow(/reps must be an integer ≥ 10, got 5/);
    expect(count()).toBe(before);
    // Nothing stored for a model without a probe file: a clear hint.
    const fresh = writeTinyModel(path.join(tmp, 'fresh'), 9);
    await expect(compareModels(db, { a: fresh, b: dirB })).rejects.toThrow(/no mean-pooled activations stored; pass --probe FILE/);
  });
});

describe('extraction settings of compared activations', () => {
  it('refuses sets logged with another max_length, naming both; re-logging one with the same settings makes them comparable', async () => {
    const dirC = writeTinyModel(path.join(tmp, 'c'), 4);
    const dirD = writeTinyModel(path.join(tmp, 'd'), 5);
    const c = await ensureActivations(db, dirC, { probe, tokenizer: DEMO_TOKENIZER, maxLength: 6 });
    const d = await ensureActivations(db, dirD, { probe, tokenizer: DEMO_TOKENIZER, maxLength: 8 });
    expect(c.extraction).toMatchObject({ max_length: 6, truncated_to: 6 });
    const before = count();
    const err = await compareStored(db, { a: c, b: d }).catch((e: Error) => e.message);
    expect(err).toBe(
      `checkpoint ${c.checkpointId} (${path.resolve(dirC)}) was logged with max_length 6, checkpoint ${d.checkpointId} (${path.resolve(dirD)}) with max_length 8: ` +
        `CKA would compare different inputs; re-log one of them with the same settings (npm run analyze -- activations --model ${path.resolve(dirD)} --probe ${path.resolve(probe)} --max-length 6)`,
    );
    // Also against a set logged without a max_length (cut only by the longest text), and as a control pair.
    const a = await ensureActivations(db, dirA, {});
    await expect(compareStored(db, { a, b: c })).rejects.toThrow(/with max_length unset \(texts cut at \d+ tokens\), checkpoint \d+ \(.*c\) with max_length 6: CKA would compare different inputs/);
    await expect(compareStored(db, { a, b: a, control: { a: c, b: c } })).rejects.toThrow(/max_length unset .* max_length 6/);
    expect(count()).toBe(before);
    // The suggested re-log: D with max_length 6 replaces its blocks (the stored ones were cut at 8).
    const again = await ensureActivations(db, dirD, { probe, tokenizer: DEMO_TOKENIZER, maxLength: 6 });
    expect(again.logged).toBe(true);
    const r = await compareStored(db, { a: c, b: again });
    expect(r.layers).toEqual([0, 1, 2, 3, 4]);
    expect(r.warnings).toBeUndefined();
    // Equal settings and the stored blocks are reused, not recomputed.
    expect((await ensureActivations(db, dirD, { probe, tokenizer: DEMO_TOKENIZER, maxLength: 6 })).logged).toBe(false);
  });

  it('refuses other tokens_per_text for tokens pooling only, and refuses it in a trajectory before computing any point', async () => {
    const dirE = writeTinyModel(path.join(tmp, 'e'), 6);
    const dirF = writeTinyModel(path.join(tmp, 'f'), 7);
    const e = await ensureActivations(db, dirE, { probe, tokenizer: DEMO_TOKENIZER, maxLength: 8, tokensPerText: 2 });
    const f = await ensureActivations(db, dirF, { probe, tokenizer: DEMO_TOKENIZER, maxLength: 8, tokensPerText: 3 });
    await expect(compareStored(db, { a: e, b: f, pooling: 'tokens' })).rejects.toThrow(/was logged with tokens_per_text 2, checkpoint \d+ \(.*f\) with tokens_per_text 3: .* --tokens-per-text 2\)$/);
    expect((await compareStored(db, { a: e, b: f, pooling: 'mean' })).examples).toBe(24);
    // A run whose checkpoints are E and F, against E as the reference.
    const runId = createRun(db, { name: 'traj', config: {} });
    db.prepare('UPDATE checkpoints SET run_id = ?, step = ? WHERE id = ?').run(runId, 1, e.checkpointId);
    db.prepare('UPDATE checkpoints SET run_id = ?, step = ? WHERE id = ?').run(runId, 2, f.checkpointId);
    const before = count();
    await expect(trajectory(db, { runId, ref: { checkpointId: e.checkpointId }, probeSetId: e.probeSetId, pooling: 'tokens' })).rejects.toThrow(/tokens_per_text 3.*tokens_per_text 2/);
    expect(count()).toBe(before);
    expect((await trajectory(db, { runId, ref: { checkpointId: e.checkpointId }, probeSetId: e.probeSetId })).points).toHaveLength(2);
  });

  it('allows unknown (NULL) settings on one side, keeping it visible as a warning', async () => {
    const a = await ensureActivations(db, dirA, {});
    const b = await ensureActivations(db, dirB, {});
    const known = await compareStored(db, { a, b });
    expect(known.warnings).toBeUndefined();
    // As a row logged before migration 3: its settings are unknown.
    db.prepare('UPDATE activations SET extraction = NULL WHERE checkpoint_id = ?').run(b.checkpointId);
    try {
      const r = await compareStored(db, { a, b });
      expect(r.cka).toEqual(known.cka);
      expect(r.warnings).toHaveLength(1);
      expect(r.warnings![0]).toMatch(new RegExp(`^checkpoint ${b.checkpointId} \\(.*b\\): the tokenizer and truncation its activations were logged with are unknown .*npm run analyze -- activations --model .*b --probe`));
      // One unknown layer makes the whole set unknown (it may come from another logging).
      db.prepare('UPDATE activations SET extraction = (SELECT extraction FROM activations WHERE checkpoint_id = ? LIMIT 1) WHERE checkpoint_id = ? AND layer != 2').run(a.checkpointId, b.checkpointId);
      expect((await compareStored(db, { a, b })).warnings).toHaveLength(1);
    } finally {
      // Re-log B (its settings unknown, so the stored blocks are not reused) for the tests after this one.
      expect((await ensureActivations(db, dirB, { probe, tokenizer: DEMO_TOKENIZER })).logged).toBe(true);
    }
    expect((await compareStored(db, { a, b })).warnings).toBeUndefined();
  });

  it('keys cached results by the settings: a set re-logged under other settings is not served a stale result', async () => {
    const dirG = writeTinyModel(path.join(tmp, 'g'), 8);
    const dirH = writeTinyModel(path.join(tmp, 'h'), 9);
    // 32 and 48 tokens cut none of these texts: the activations are the same bytes either way.
    const log = (dir: string, maxLength: number) => ensureActivations(db, dir, { probe, tokenizer: DEMO_TOKENIZER, maxLength });
    const [g, h] = [await log(dirG, 32), await log(dirH, 32)];
    const bytes = () => Buffer.from(getActivation(db, g.checkpointId, g.probeSetId, 3, 'mean')!.data.buffer).toString('hex');
    const first = await compareStored(db, { a: g, b: h });
    expect(first.cached.sameLayer).toBe(false);
    expect((await compareStored(db, { a: g, b: h })).cached.sameLayer).toBe(true);
    const digest = loadActivations(db, { checkpointId: g.checkpointId, probeSetId: g.probeSetId, pooling: 'mean' }).digest;
    const before = bytes();
    expect((await log(dirG, 48)).logged).toBe(true);
    expect((await log(dirH, 48)).logged).toBe(true);
    expect(bytes()).toBe(before);
    expect(loadActivations(db, { checkpointId: g.checkpointId, probeSetId: g.probeSetId, pooling: 'mean' }).digest).not.toBe(digest);
    const relogged = await compareStored(db, { a: g, b: h });
    expect(relogged.cached.sameLayer).toBe(false);
    expect(relogged.cka).toEqual(first.cka);
  });
});
