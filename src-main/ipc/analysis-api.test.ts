// The Compare view's calls through dispatch(), on real stored activations of tiny models.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspaceDb, type Db } from '../store/db';
import { createServices } from '../services';
import { RunEventBus } from '../events';
import { logActivations } from '../analysis/activation-log';
import { DEMO_TOKENIZER, writeProbeFile, writeTinyModel } from '../analysis/test-models';
import { dispatch } from './dispatch';
import type { CompareResult, ComparableCheckpoint, ProbeResult } from '../common/analysis-types';

let dir: string;
let db: Db;
let services: ReturnType<typeof createServices>;
const ids: Record<string, { checkpointId: number; probeSetId: number }> = {};

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-api-analysis-'));
  db = openWorkspaceDb(path.join(dir, 'ws'));
  services = createServices({ db, workspaceDir: path.join(dir, 'ws'), mode: 'serve', events: new RunEventBus() });
  const probe = writeProbeFile(path.join(dir, 'probe.jsonl'));
  const other = writeProbeFile(path.join(dir, 'other.jsonl'), 2, 'variant');
  for (const [name, seed, file] of [['a', 1, probe], ['b', 2, probe], ['c', 3, probe], ['x', 1, other]] as const) {
    const model = writeTinyModel(path.join(dir, `model-${name}`), seed);
    const r = await logActivations(db, { modelDir: name === 'x' ? path.join(dir, 'model-a') : model, probeSet: file, tokenizer: DEMO_TOKENIZER });
    ids[name] = { checkpointId: r.checkpointId, probeSetId: r.probeSetId };
  }
});
afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('analysis calls', () => {
  it('lists the checkpoints with activations, per probe set', async () => {
    const r = (await dispatch(services, 'listComparable', {})) as { ok: true; value: ComparableCheckpoint[] };
    expect(r.ok).toBe(true);
    expect(r.value).toHaveLength(3);
    const a = r.value.find((c) => c.checkpointId === ids.a.checkpointId)!;
    expect(a.layers).toBe(5);
    expect(a.probeSets.map((p) => p.id).sort()).toEqual([ids.a.probeSetId, ids.x.probeSetId].sort());
  });

  it('compares A vs B with a control pair and the cross-layer table', async () => {
    const r = (await dispatch(services, 'compare', { a: ids.a, b: ids.b, control: { a: ids.c, b: ids.b }, cross: true })) as { ok: boolean; value: CompareResult };
    expect(r.ok, JSON.stringify(r)).toBe(true);
    const v = r.value;
    expect(v.layers).toEqual([0, 1, 2, 3, 4]);
    expect(v.divergence.every((d) => d >= -1e-12 && d <= 1)).toBe(true);
    expect(v.ratio).toHaveLength(5);
    expect(v.cross!.cka).toHaveLength(5);
    v.cka.forEach((c, i) => expect(v.cross!.cka[i][i]).toBeCloseTo(c, 10));
    const self = (await dispatch(services, 'compare', { a: ids.a, b: ids.a })) as { value: CompareResult };
    self.value.cka.forEach((c) => expect(c).toBeCloseTo(1, 10));
  });

  it('refuses activations of different probe sets with a clear error', async () => {
    const r = await dispatch(services, 'compare', { a: ids.a, b: ids.x });
    expect(r).toMatchObject({ ok: false, error: { name: 'ValidationError' } });
    expect((r as { error: { message: string } }).error.message).toMatch(/probe set/);
  });

  it('probes every label set of the probe file, per layer, with control tasks', async () => {
    const r = (await dispatch(services, 'probe', { checkpointId: ids.a.checkpointId, probeSetId: ids.a.probeSetId })) as { ok: boolean; value: ProbeResult };
    expect(r.ok, JSON.stringify(r)).toBe(true);
    expect(r.value.tasks.length).toBeGreaterThan(0);
    for (const t of r.value.tasks) {
      expect(t.report.layers).toHaveLength(5);
      for (const l of t.report.layers) expect(l.selectivity).toBeCloseTo(l.task.accuracy - l.control.accuracy, 12);
    }
  });
});

describe('drift and transplant calls', () => {
  it('weightDrift reports every layer, zero against itself', async () => {
    const r = (await dispatch(services, 'weightDrift', { checkpointId: ids.a.checkpointId, refCheckpointId: ids.b.checkpointId })) as { ok: boolean; value: { rows: { group: string; relative: number }[] } };
    expect(r.ok, JSON.stringify(r)).toBe(true);
    expect(r.value.rows.map((x) => x.group)).toEqual(['layer 0', 'layer 1', 'layer 2', 'layer 3', 'embeddings', 'head', 'all']);
    expect(r.value.rows.every((x) => x.relative > 0)).toBe(true);
    const self = (await dispatch(services, 'weightDrift', { checkpointId: ids.a.checkpointId, refCheckpointId: ids.a.checkpointId })) as { value: { rows: { relative: number }[] } };
    expect(self.value.rows.every((x) => x.relative === 0)).toBe(true);
  });

  it('transplant puts a layer group of A into B, logs its activations and probes it', async () => {
    const r = (await dispatch(services, 'transplant', { a: ids.a.checkpointId, b: ids.b.checkpointId, group: 'mid', probeSetId: ids.a.probeSetId, tokenizer: DEMO_TOKENIZER })) as {
      ok: boolean; value: { transplant: { layers: number[]; out: string }; divergence: { fromA: number[]; fromB: number[] }; probes?: { tasks: unknown[] } };
    };
    expect(r.ok, JSON.stringify(r)).toBe(true);
    expect(r.value.transplant.layers).toEqual([1, 2]); // tiny (4 layers): mid = layers 1-2
    expect(r.value.transplant.out).toBe(path.join(dir, 'ws', 'transplants', `mid-from-${ids.a.checkpointId}-into-${ids.b.checkpointId}`));
    // Below the transplanted group the model is B: hidden states 0 (embeddings) and 1 (layer 0) equal B's.
    expect(r.value.divergence.fromB[0]).toBeCloseTo(0, 10);
    expect(r.value.divergence.fromB[1]).toBeCloseTo(0, 10);
    expect(r.value.probes?.tasks.length).toBeGreaterThan(0);
    const bad = await dispatch(services, 'transplant', { a: ids.a.checkpointId, b: 999, group: 'low', probeSetId: ids.a.probeSetId });
    expect(bad).toMatchObject({ ok: false });
  });

  it('logs any model directory into the workspace, then compares it; bad paths are named and store nothing', async () => {
    const model = writeTinyModel(path.join(dir, 'model-external'), 9);
    const before = db.prepare('SELECT count(*) FROM activations').pluck().get() as number;
    const probePath = path.join(dir, 'probe.jsonl');
    const r = (await dispatch(services, 'logActivations', { modelDir: model, probePath, tokenizer: DEMO_TOKENIZER, poolings: ['mean'] })) as { ok: boolean; value: { checkpointId: number; probeSetId: number; layers: number; cached: boolean } };
    expect(r.ok, JSON.stringify(r)).toBe(true);
    expect(r.value).toMatchObject({ probeSetId: ids.a.probeSetId, layers: 5, cached: false });
    expect(db.prepare('SELECT count(*) FROM activations').pluck().get()).toBe(before + 5);
    const listed = (await dispatch(services, 'listComparable', {})) as { value: ComparableCheckpoint[] };
    expect(listed.value.some((c) => c.checkpointId === r.value.checkpointId && c.path === path.resolve(model))).toBe(true);
    const cmp = (await dispatch(services, 'compare', { a: ids.a, b: { checkpointId: r.value.checkpointId, probeSetId: r.value.probeSetId } })) as { ok: boolean; value: CompareResult };
    expect(cmp.ok, JSON.stringify(cmp)).toBe(true);
    expect(cmp.value.cka).toHaveLength(5);
    // the same request again is served from the store
    const again = (await dispatch(services, 'logActivations', { modelDir: model, probePath, tokenizer: DEMO_TOKENIZER, poolings: ['mean'] })) as { value: { cached: boolean } };
    expect(again.value.cached).toBe(true);

    const count = db.prepare('SELECT count(*) FROM activations').pluck().get();
    const missing = await dispatch(services, 'logActivations', { modelDir: path.join(dir, 'nowhere'), probePath, tokenizer: DEMO_TOKENIZER });
    expect(missing).toMatchObject({ ok: false, error: { name: 'ValidationError', message: expect.stringContaining(path.join(dir, 'nowhere')) } });
    const noProbe = await dispatch(services, 'logActivations', { modelDir: model, probePath: path.join(dir, 'no-probe.jsonl'), tokenizer: DEMO_TOKENIZER });
    expect(noProbe).toMatchObject({ ok: false, error: { name: 'ValidationError', message: expect.stringContaining('no-probe.jsonl') } });
    const badField = await dispatch(services, 'logActivations', { modelDir: model, probePath, maxLength: 1 });
    expect(badField).toMatchObject({ ok: false, error: { name: 'ValidationError', message: expect.stringContaining('maxLength') } });
    expect(db.prepare('SELECT count(*) FROM activations').pluck().get()).toBe(count);
  });
});
