// The agreement analysis end to end: real tiny ModernBERT directories, activations logged through
// ORT into a real SQLite workspace, every measure computed from the stored blobs. Values are checked
// against the measures' independent references on the very matrices stored, ratios against their
// definition, the cache (a second call is served from it, identical), bad inputs (nothing cached),
// and the CLI subcommand (`analyze similarity --json`, exit 2 on an unknown measure).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspaceDb, type Db } from '../../store/db';
import { disposeGemmSessions } from '../linalg';
import { ensureActivations } from '../service';
import { loadActivations } from '../stored-activations';
import { DEMO_TOKENIZER, REPO_ROOT, writeProbeFile, writeTinyModel } from '../test-models';
import { agreementStored } from './agreement-stored';
import { refLinearCKA, refProcrustes, refRSA, refSVCCA, toRows } from './independent-reference';

let tmp: string;
let ws: string;
let db: Db;
let probe: string;
const ids: Record<string, { checkpointId: number; probeSetId: number }> = {};
const count = () => db.prepare("SELECT count(*) FROM analyses WHERE kind = 'similarity-agreement'").pluck().get() as number;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-agree-'));
  ws = path.join(tmp, 'ws');
  db = openWorkspaceDb(ws);
  probe = writeProbeFile(path.join(tmp, 'probe.jsonl'), 3); // 36 texts
  for (const [name, seed] of [['a', 41], ['b', 42], ['c', 43]] as const) {
    const s = await ensureActivations(db, writeTinyModel(path.join(tmp, name), seed), { probe, tokenizer: DEMO_TOKENIZER });
    ids[name] = { checkpointId: s.checkpointId, probeSetId: s.probeSetId };
  }
  const other = writeProbeFile(path.join(tmp, 'other.jsonl'), 3, ' (other)');
  const s = await ensureActivations(db, path.join(tmp, 'a'), { probe: other, tokenizer: DEMO_TOKENIZER });
  ids.otherProbe = { checkpointId: s.checkpointId, probeSetId: s.probeSetId };
});
afterAll(async () => {
  db.close();
  await disposeGemmSessions();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('agreementStored', () => {
  const params = { permutations: 19, knnK: 5, rogueK: 2, influenceK: 3 };

  it('computes every measure from the stored activations, with ratios over the control pair', async () => {
    const r = await agreementStored(db, { a: ids.a, b: ids.b, control: { a: ids.c, b: ids.b }, params });
    expect(r.cached).toBe(false);
    expect(r.examples).toBe(36);
    expect(r.measures.map((m) => m.measure)).toEqual(['cka', 'debiased', 'procrustes', 'svcca', 'pwcca', 'rsa', 'knn', 'rbf']);
    const A = loadActivations(db, { ...ids.a, pooling: 'mean' });
    const B = loadActivations(db, { ...ids.b, pooling: 'mean' });
    const C = loadActivations(db, { ...ids.c, pooling: 'mean' });
    const by = (name: string) => r.measures.find((m) => m.measure === name)!;
    r.layers.forEach((_, l) => {
      const [a, b, c] = [toRows(A.matrices[l]), toRows(B.matrices[l]), toRows(C.matrices[l])];
      expect(Math.abs(by('cka').score[l] - refLinearCKA(a, b))).toBeLessThan(1e-10);
      expect(Math.abs(by('procrustes').divergence[l] - refProcrustes(a, b))).toBeLessThan(1e-10);
      expect(Math.abs(by('rsa').score[l] - refRSA(a, b))).toBeLessThan(1e-10);
      expect(Math.abs(by('svcca').score[l] - refSVCCA(a, b))).toBeLessThan(1e-10);
      expect(Math.abs(by('cka').controlDivergence![l] - (1 - refLinearCKA(c, b)))).toBeLessThan(1e-10);
      for (const m of r.measures) {
        if (m.ratio![l] !== null) expect(m.ratio![l]).toBeCloseTo(m.divergence[l] / m.controlDivergence![l], 12);
        expect(m.pValue![l]).toBeGreaterThanOrEqual(1 / 20);
        expect(m.pValue![l]).toBeLessThanOrEqual(1);
      }
      // rogue-dimension and influence rows are about the same linear CKA
      expect(Math.abs(r.rogue[l].cka - by('cka').score[l])).toBeLessThan(1e-12);
      expect(Math.abs(r.influence[l].cka - by('cka').score[l])).toBeLessThan(1e-10);
      expect(r.influence[l].top).toHaveLength(3);
      expect(r.influence[l].top[0].text).toMatch(/\w/); // the probe file's text, read back
      expect(r.rogue[l].flips).toBeDefined();
    });
    expect(r.concentration?.line).toMatch(/^low-layer concentration: \d of 8 measures agree/);
    expect(r.verdicts?.map((v) => v.region)).toEqual(['low', 'mid', 'deep']);
    expect(count()).toBe(1);

    const again = await agreementStored(db, { a: ids.a, b: ids.b, control: { a: ids.c, b: ids.b }, params });
    expect(again.cached).toBe(true);
    expect({ ...again, cached: false, seconds: 0 }).toEqual({ ...JSON.parse(JSON.stringify(r)), cached: false, seconds: 0 });
  });

  it('refuses another probe set and unknown measures, caching nothing', async () => {
    const before = count();
    await expect(agreementStored(db, { a: ids.a, b: ids.otherProbe, params })).rejects.toThrow(/probe set/);
    await expect(agreementStored(db, { a: ids.a, b: ids.b, params: { ...params, measures: ['cka', 'nope' as never] } })).rejects.toThrow(/unknown measure nope/);
    await expect(agreementStored(db, { a: ids.a, b: ids.b, params: { ...params, knnK: 36 } })).rejects.toThrow(/knnK 36/);
    expect(count()).toBe(before);
  });
});

function analyze(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src-main/analysis/cli.ts'), ...args, '--workspace', ws], { cwd: REPO_ROOT, env: { ...process.env, WORKBENCH_WORKSPACE: '' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('analyze similarity', () => {
  it('prints one JSON object with per-layer values and ratios; a text table without --json', async () => {
    const o = await analyze('similarity', '--a', String(ids.a.checkpointId), '--b', String(ids.b.checkpointId), '--control-a', String(ids.c.checkpointId), '--control-b', String(ids.b.checkpointId), '--measures', 'cka,procrustes,knn', '--permutations', '9', '--knn-k', '4', '--probe', probe, '--tokenizer', DEMO_TOKENIZER, '--json');
    expect(o.code, o.stderr).toBe(0);
    const r = JSON.parse(o.stdout.trim());
    expect(r.command).toBe('similarity');
    expect(r.measures.map((m: { measure: string }) => m.measure)).toEqual(['cka', 'procrustes', 'knn']);
    expect(r.measures[0].ratio).toHaveLength(r.layers.length);
    expect(r.params).toMatchObject({ permutations: 9, knnK: 4 });
    const text = await analyze('similarity', '--a', String(ids.a.checkpointId), '--b', String(ids.b.checkpointId), '--measures', 'rsa', '--permutations', '0', '--probe', probe, '--tokenizer', DEMO_TOKENIZER);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('RSA');
    expect(text.stdout).toContain('most influential probe texts');
  });

  it('exits 2 on an unknown measure', async () => {
    const o = await analyze('similarity', '--a', '1', '--b', '2', '--measures', 'cka,cosine', '--json');
    expect(o.code).toBe(2);
    expect(JSON.parse(o.stdout.trim()).error).toMatch(/--measures/);
  });
});
