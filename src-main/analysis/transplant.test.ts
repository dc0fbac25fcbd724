// Layer transplants on real tiny model directories: a transplant of everything equals A exactly
// (weights and activations), a group transplant takes exactly that group from A, and bad requests
// leave nothing on disk.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelDir } from '../../native-runner/checkpoint/checkpoint';
import { extractActivations } from '../../native-runner/activations/extract';
import { loadTokenizer } from '../../native-runner/data/tokenizer';
import { openWorkspaceDb, type Db } from '../store/db';
import { getActivation } from '../store/activations';
import { transplant } from './transplant';
import { transplantModel } from './service';
import { DEMO_TOKENIZER, tinyConfig, writeProbeFile, writeTinyModel } from './test-models';

let tmp: string;
let dirA: string, dirB: string, probe: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-tx-'));
  dirA = writeTinyModel(path.join(tmp, 'a'), 11);
  dirB = writeTinyModel(path.join(tmp, 'b'), 12);
  probe = writeProbeFile(path.join(tmp, 'probe.jsonl'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const texts = ['inflammation of the liver', 'a bone of the forearm', 'to cut out surgically, twice over'];

async function activationsOf(dir: string) {
  const tok = loadTokenizer(DEMO_TOKENIZER);
  const { config, params } = loadModelDir(dir);
  return extractActivations(config, params, texts.map((t) => tok.encodeWithSpecials(t)), { poolings: ['mean', 'cls'] });
}

describe('layer transplant', () => {
  it('a transplant of all layers, embeddings and head equals A exactly', async () => {
    const out = path.join(tmp, 'all');
    const r = transplant({ a: dirA, b: dirB, out, layers: [0, 1, 2, 3], embeddings: true, head: true });
    expect(r.fromB).toBe(0);
    const a = loadModelDir(dirA).params;
    const t = loadModelDir(out).params;
    expect([...t.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [k, v] of a) expect(Buffer.from(t.get(k)!.buffer).equals(Buffer.from(v.buffer))).toBe(true);
    const [xa, xt] = [await activationsOf(dirA), await activationsOf(out)];
    expect(xt.length).toBe(xa.length);
    xa.forEach((s, i) => expect(Array.from(xt[i].data)).toEqual(Array.from(s.data))); // identical, not merely close
  });

  it('a group transplant takes exactly that group from A and the rest from B', async () => {
    const out = path.join(tmp, 'mid');
    const r = transplant({ a: dirA, b: dirB, out, group: 'mid' });
    expect(r.layers).toEqual([1, 2]); // tiny: 4 layers -> low [0], mid [1, 2], deep [3]
    const a = loadModelDir(dirA).params;
    const b = loadModelDir(dirB).params;
    const t = loadModelDir(out).params;
    for (const [k, v] of t) {
      const m = /^model\.layers\.(\d+)\./.exec(k);
      const src = m && [1, 2].includes(Number(m[1])) ? a : b;
      expect(Array.from(v), k).toEqual(Array.from(src.get(k)!));
    }
    const meta = JSON.parse(fs.readFileSync(path.join(out, 'transplant.json'), 'utf8'));
    expect(meta).toMatchObject({ layers_from_a: [1, 2], embeddings_from_a: false, head_from_a: false });
    // The embedding output (hidden state 0) is B's; the mid layers' outputs are neither A's nor B's.
    const [xb, xt] = [await activationsOf(dirB), await activationsOf(out)];
    expect(Array.from(xt[0].data)).toEqual(Array.from(xb[0].data));
    expect(Array.from(xt[4].data)).not.toEqual(Array.from(xb[4].data));
  });

  it('refuses models of different architectures, unknown groups and overwriting a source; writes nothing', () => {
    const wide = writeTinyModel(path.join(tmp, 'wide'), 13, tinyConfig({ local_attention: 8 }));
    const out = path.join(tmp, 'refused');
    expect(() => transplant({ a: wide, b: dirB, out, group: 'low' })).toThrow(/differ in local_attention \(8 vs 4\)/);
    expect(() => transplant({ a: dirA, b: dirB, out, group: 'middle' as never })).toThrow(/unknown layer group "middle"/);
    expect(() => transplant({ a: dirA, b: dirB, out, layers: [4] })).toThrow(/layer 4 outside the model's 4 layers/);
    expect(() => transplant({ a: dirA, b: dirB, out: dirB, group: 'low' })).toThrow(/would overwrite a source model/);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
  });

  it('computes the transplant\'s activations, divergence from A and B, and probes', async () => {
    const db: Db = openWorkspaceDb(path.join(tmp, 'ws'));
    try {
      const r = await transplantModel(db, { a: dirA, b: dirB, out: path.join(tmp, 'deep'), group: 'deep', probe, tokenizer: DEMO_TOKENIZER });
      expect(r.transplant.layers).toEqual([3]);
      const d = r.divergence!;
      expect(d.layers).toEqual([0, 1, 2, 3, 4]);
      // Below the transplanted layer the model is B: zero divergence from B at hidden states 0..3.
      for (let l = 0; l <= 3; l++) expect(Math.abs(d.fromB[l])).toBeLessThan(1e-12);
      expect(d.fromB[4]).toBeGreaterThan(1e-6);
      expect(d.fromA[0]).toBeGreaterThan(1e-6);
      expect(r.probes!.tasks.map((t) => t.labelSet)).toEqual(['pos', 'supersense']);
      for (const t of r.probes!.tasks) {
        expect(t.report.layers).toHaveLength(5);
        for (const l of t.report.layers) expect(l.selectivity).toBeCloseTo(l.task.accuracy - l.control.accuracy, 14);
      }
      const stored = getActivation(db, r.checkpointId, r.probes!.probeSet.id, 4, 'mean')!;
      expect(stored.shape).toEqual([24, 16]);
    } finally {
      db.close();
    }
  });
});
