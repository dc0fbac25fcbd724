// Probes over stored activations: labels come from the probe file and line up with the stored rows
// (a linearly separable synthetic set stored as activations reaches accuracy 1; its control task does
// not), 'tokens' rows inherit their text's label, results are cached, and bad requests say why.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../native-runner/util/rng';
import { openWorkspaceDb, type Db } from '../store/db';
import { addCheckpoint } from '../store/checkpoints';
import { putActivations } from '../store/activations';
import { ensureProbeSet } from '../store/probe-sets';
import { readProbeSet } from './probe-set';
import { probeStored } from './probe-stored';

let tmp: string;
let db: Db;
let file: string;
let ck: number;
let ps: number;
const TYPES = 40;
const COPIES = 3;
const WIDTH = 8;
const KINDS = ['a', 'b', 'c', 'd'];

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-probe-'));
  db = openWorkspaceDb(path.join(tmp, 'ws'));
  file = path.join(tmp, 'synthetic.jsonl');
  const rows: string[] = [];
  for (let c = 0; c < COPIES; c++) {
    for (let t = 0; t < TYPES; t++) {
      const row: Record<string, string> = { text: `text ${t} copy ${c}`, word: `w${t}`, kind: KINDS[t % 4] };
      if (t % 2 === 0) row.sparse = t % 4 === 0 ? 'x' : 'y'; // only on even types
      rows.push(JSON.stringify(row));
    }
  }
  fs.writeFileSync(file, rows.join('\n') + '\n');
  const p = readProbeSet(file);
  ps = ensureProbeSet(db, { name: p.name, sha256: p.sha256, nTexts: p.texts.length, path: p.path });
  ck = addCheckpoint(db, { runId: null, step: null, phase: null, path: path.join(tmp, 'synthetic-model'), sha256: 'synthetic' });
  // Layer 0: pure noise. Layer 1: the kind's centre (far apart) plus small noise -> linearly separable.
  const rng = Rng.seeded(5, 'probe-stored-test');
  const n = p.texts.length;
  const k = 2; // 'tokens' rows per text
  const layer = (l: number, rowsPerText: number) => {
    const data = new Float32Array(n * rowsPerText * WIDTH);
    for (let r = 0; r < n * rowsPerText; r++) {
      const kind = KINDS.indexOf(p.labels.kind[Math.floor(r / rowsPerText)]);
      for (let j = 0; j < WIDTH; j++) data[r * WIDTH + j] = (l === 1 && j === kind ? 8 : 0) + rng.normal() * 0.5;
    }
    return data;
  };
  putActivations(db, ck, ps, [0, 1].flatMap((l) => [
    { layer: l, pooling: 'mean' as const, shape: [n, WIDTH] as [number, number], data: layer(l, 1) },
    { layer: l, pooling: 'tokens' as const, shape: [n * k, WIDTH] as [number, number], data: layer(l, k) },
  ]));
});
afterAll(() => {
  db.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('probes over stored activations', () => {
  it('probes every label set of the probe file; separable layer reaches 1, the control task does not', async () => {
    const r = await probeStored(db, { checkpointId: ck, probeSetId: ps });
    expect(r.tasks.map((t) => t.labelSet)).toEqual(['kind', 'sparse']); // "word" is the split key, not a task
    const kind = r.tasks[0];
    expect(kind.examples).toBe(TYPES * COPIES);
    expect(kind.report.classes).toEqual(KINDS);
    const [noise, separable] = kind.report.layers;
    expect(separable.task.accuracy).toBe(1);
    expect(separable.task.macroF1).toBe(1);
    expect(separable.control.accuracy).toBeLessThan(0.7);
    expect(noise.task.accuracy).toBeLessThan(0.6);
    expect(r.tasks[1].examples).toBe((TYPES / 2) * COPIES); // rows without the field are left out
    expect(r.tasks[1].report.layers[1].task.accuracy).toBe(1);
    expect(r.tasks.every((t) => !t.cached)).toBe(true);
  });

  it('serves repeated probes from the cache; new options compute anew', async () => {
    const n = db.prepare("SELECT count(*) FROM analyses WHERE kind = 'probe'").pluck().get();
    const again = await probeStored(db, { checkpointId: ck, probeSetId: ps });
    expect(again.tasks.every((t) => t.cached)).toBe(true);
    expect(db.prepare("SELECT count(*) FROM analyses WHERE kind = 'probe'").pluck().get()).toBe(n);
    const other = await probeStored(db, { checkpointId: ck, probeSetId: ps, labelSets: ['kind'], options: { seed: 4 } });
    expect(other.tasks[0].cached).toBe(false);
  });

  it("gives 'tokens' rows their text's label", async () => {
    const r = await probeStored(db, { checkpointId: ck, probeSetId: ps, pooling: 'tokens', labelSets: ['kind'] });
    expect(r.tasks[0].examples).toBe(TYPES * COPIES * 2);
    expect(r.tasks[0].report.layers[1].task.accuracy).toBe(1);
  });

  it('refuses an unknown label set, and a probe file changed since its activations were stored', async () => {
    await expect(probeStored(db, { checkpointId: ck, probeSetId: ps, labelSets: ['pos'] })).rejects.toThrow(/no label set "pos" \(has: kind, sparse\)/);
    const changed = path.join(tmp, 'changed.jsonl');
    fs.writeFileSync(changed, fs.readFileSync(file, 'utf8').replace('text 0 copy 0', 'text 0 edited'));
    await expect(probeStored(db, { checkpointId: ck, probeSetId: ps, probeFile: changed })).rejects.toThrow(/changed\.jsonl: content differs from probe set/);
  });
});
