// Run-level analyses on a real workspace: the trajectory of a run's checkpoints against a reference,
// weight drift per layer (exact on scaled weights), and gradient-norm summaries per phase.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelDir } from '../../native-runner/checkpoint/checkpoint';
import { writeSafetensors } from '../../native-runner/checkpoint/safetensors';
import { parameterSpecs } from '../../native-runner/model/params';
import { openWorkspaceDb, type Db } from '../store/db';
import { addCheckpoint } from '../store/checkpoints';
import { insertMetrics } from '../store/metrics';
import { createRun } from '../store/runs';
import { modelDirHash } from './activation-log';
import { gradNormSummary } from './grad-norms';
import { driftBetweenDirs, runDrift } from './model-drift';
import { runTrajectory } from './service';
import { DEMO_TOKENIZER, tinyConfig, writeProbeFile, writeTinyModel } from './test-models';

let tmp: string;
let db: Db;
let ref: string;
let probe: string;
let runId: number;
const SCALES = [0.5, 0.1, 0]; // layer 1's weights at steps 10, 20, 30 are ref · (1 + scale)

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-run-'));
  db = openWorkspaceDb(path.join(tmp, 'ws'));
  ref = writeTinyModel(path.join(tmp, 'ref'), 21);
  probe = writeProbeFile(path.join(tmp, 'probe.jsonl'));
  runId = createRun(db, { name: 'clm', config: {}, phases: [{ name: 'clm', objective: 'clm', firstStep: 1, lastStep: 20 }, { name: 'decay', objective: 'mlm', firstStep: 21, lastStep: 30 }] });
  const cfg = tinyConfig();
  const base = loadModelDir(ref).params;
  SCALES.forEach((s, i) => {
    const step = (i + 1) * 10;
    const dir = path.join(tmp, 'run', `step-${step}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(ref, 'config.json'), path.join(dir, 'config.json'));
    const tensors = new Map(parameterSpecs(cfg).map((p) => {
      const w = base.get(p.name)!;
      return [p.name, { shape: p.shape, data: p.name.startsWith('model.layers.1.') ? w.map((v) => v * (1 + s)) : w }];
    }));
    writeSafetensors(path.join(dir, 'model.safetensors'), tensors);
    addCheckpoint(db, { runId, step, phase: step <= 20 ? 'clm' : 'decay', path: dir, sha256: modelDirHash(dir) });
  });
  const points = [];
  for (let step = 1; step <= 30; step++) {
    points.push({ step, name: 'grad_norm/embeddings', value: step });
    for (let l = 0; l < 4; l++) points.push({ step, name: `grad_norm/layer_0${l}`, value: l + (step <= 20 ? 1 : 10) });
    points.push({ step, name: 'grad_norm/head', value: step === 25 ? Number.NaN : 2 });
    points.push({ step, name: 'grad_norm', value: 3 }, { step, name: 'loss', value: 1 });
  }
  insertMetrics(db, runId, points);
});
afterAll(() => {
  db.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('run analyses', () => {
  it('trajectory: every checkpoint against the reference, per layer and whole model', async () => {
    const r = await runTrajectory(db, { runId, ref, probe, tokenizer: DEMO_TOKENIZER });
    expect(r.points.map((p) => p.checkpoint.step)).toEqual([10, 20, 30]);
    expect(r.layers).toEqual([0, 1, 2, 3, 4]);
    for (const p of r.points) {
      expect(p.divergence[0]).toBeLessThan(1e-12); // embeddings untouched
      expect(p.divergence[1]).toBeLessThan(1e-12); // layer 0 untouched
      const transformer = p.divergence.slice(1);
      expect(p.whole).toBeCloseTo(transformer.reduce((s, v) => s + v, 0) / 4, 14);
    }
    // The scaled layer 1 (hidden state 2) moves away from the reference, less as the scale shrinks.
    const [d10, d20, d30] = r.points.map((p) => p.divergence[2]);
    expect(d10).toBeGreaterThan(d20);
    expect(d20).toBeGreaterThan(0);
    expect(d30).toBeLessThan(1e-12); // step 30 has the reference's weights
    const again = await runTrajectory(db, { runId, ref });
    expect(again.points.every((p) => p.cached)).toBe(true);
    expect(again.points.map((p) => p.divergence)).toEqual(r.points.map((p) => p.divergence));
  });

  it("trajectory uses the run's tokenizer and truncation (probe_set / seq_len) for the reference too", async () => {
    // A run whose only checkpoint has the reference's weights, with texts cut at 6 tokens by the run's
    // config: the reference (not a run checkpoint) must be cut the same way, or identical weights
    // would show a divergence.
    const run2 = createRun(db, { name: 'short', config: { seq_len: 6, data: { corpus: 'x.txt', tokenizer: DEMO_TOKENIZER } }, phases: [{ name: 'mlm', objective: 'mlm', firstStep: 1, lastStep: 5 }] });
    const same = path.join(tmp, 'run2', 'step-5');
    fs.mkdirSync(same, { recursive: true });
    for (const f of ['config.json', 'model.safetensors']) fs.copyFileSync(path.join(ref, f), path.join(same, f));
    addCheckpoint(db, { runId: run2, step: 5, phase: 'mlm', path: same, sha256: modelDirHash(same) });
    const ref2 = writeTinyModel(path.join(tmp, 'ref2'), 21); // the same weights as ref, a fresh directory
    const r = await runTrajectory(db, { runId: run2, ref: ref2, probe: writeProbeFile(path.join(tmp, 'probe-short.jsonl'), 1, ' with a longer tail of words') });
    expect(r.points).toHaveLength(1);
    for (const d of r.points[0].divergence) expect(d).toBeLessThan(1e-12);
  });

  it('weight drift per layer: exact for scaled weights, cached by the weights\' hashes', async () => {
    const rows = await runDrift(db, runId, ref);
    expect(rows.map((r) => r.step)).toEqual([10, 20, 30]);
    rows.forEach((r, i) => {
      const byGroup = Object.fromEntries(r.drift.rows.map((x) => [x.group, x.relative]));
      expect(byGroup['layer 1']).toBeCloseTo(SCALES[i], 6);
      expect(byGroup['layer 0']).toBe(0);
      expect(byGroup.embeddings).toBe(0);
      expect(byGroup.head).toBe(0);
      expect(r.drift.cached).toBe(false);
    });
    const again = await driftBetweenDirs(db, rows[0].drift.model.path, ref);
    expect(again.cached).toBe(true);
    expect(again.rows).toEqual(rows[0].drift.rows);
    const other = writeTinyModel(path.join(tmp, 'other'), 22, tinyConfig({ num_hidden_layers: 3 }));
    await expect(driftBetweenDirs(db, other, ref)).rejects.toThrow(/"model\.layers\.3\.attn_norm\.weight" is in the reference checkpoint but not in the current one/);
  });

  it('gradient-norm summaries per phase', () => {
    const phases = gradNormSummary(db, runId);
    expect(phases.map((p) => [p.name, p.firstStep, p.lastStep])).toEqual([['clm', 1, 20], ['decay', 21, 30]]);
    const names = phases[0].norms.map((n) => n.name);
    expect(names).toEqual(['grad_norm/embeddings', 'grad_norm/layer_00', 'grad_norm/layer_01', 'grad_norm/layer_02', 'grad_norm/layer_03', 'grad_norm/head', 'grad_norm']);
    const emb = phases[0].norms[0];
    expect(emb).toMatchObject({ group: 'embeddings', count: 20, mean: 10.5, min: 1, max: 20, first: 1, last: 20 });
    expect(emb.rms).toBeCloseTo(Math.sqrt((20 * 21 * 41) / 6 / 20), 12);
    expect(phases[1].norms[3]).toMatchObject({ group: 'layer', layer: 2, count: 10, mean: 12 });
    expect(phases[1].norms[5]).toMatchObject({ group: 'head', count: 9, nonFinite: 1, mean: 2 });
    expect(() => gradNormSummary(db, 999)).toThrow(/no run with id 999/);
  });
});
