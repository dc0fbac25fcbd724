// Logging activations of a model directory registers its checkpoint only together with its
// activations: failed attempts (NaN weights, a mismatched tokenizer) leave no rows behind.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openWorkspaceDb } from '../store/db';
import { logActivations } from './activation-log';
import { DEMO_TOKENIZER, writeProbeFile, writeTinyModel } from './test-models';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-actlog-'));
const db = openWorkspaceDb(path.join(tmp, 'ws'));
afterAll(() => {
  db.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});
const count = (table: string) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;

/** Overwrite one float of a tensor inside a safetensors file. */
function poison(file: string, tensor: string, index: number, value: number): void {
  const buf = fs.readFileSync(file);
  const hlen = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + hlen).toString());
  buf.writeFloatLE(value, 8 + hlen + header[tensor].data_offsets[0] + 4 * index);
  fs.writeFileSync(file, buf);
}

describe('analyze activations registers only after success (items 14, 15)', () => {
  it('a model with a NaN weight is refused (naming the tensor) and leaves no checkpoints row, however often tried', async () => {
    const model = writeTinyModel(path.join(tmp, 'nan-model'), 3);
    poison(path.join(model, 'model.safetensors'), 'model.layers.0.mlp.Wi.weight', 11, NaN);
    const probe = writeProbeFile(path.join(tmp, 'probe.jsonl'));
    for (let i = 0; i < 3; i++) {
      await expect(logActivations(db, { modelDir: model, probeSet: probe, tokenizer: DEMO_TOKENIZER })).rejects.toThrow(/tensor "model\.layers\.0\.mlp\.Wi\.weight" has a non-finite value \(NaN\) at flat index 11/);
    }
    expect([count('checkpoints'), count('probe_sets'), count('activations')]).toEqual([0, 0, 0]);
  });
  it('a good model logs its checkpoint, probe set and every layer together', async () => {
    const model = writeTinyModel(path.join(tmp, 'good-model'), 4);
    const probe = writeProbeFile(path.join(tmp, 'probe2.jsonl'));
    const r = await logActivations(db, { modelDir: model, probeSet: probe, tokenizer: DEMO_TOKENIZER, poolings: ['mean'] });
    expect(r.cached).toBe(false);
    expect([count('checkpoints'), count('probe_sets'), count('activations')]).toEqual([1, 1, r.layers]);
    const again = await logActivations(db, { modelDir: model, probeSet: probe, tokenizer: DEMO_TOKENIZER, poolings: ['mean'] });
    expect(again).toMatchObject({ cached: true, checkpointId: r.checkpointId, probeSetId: r.probeSetId });
  });
});
