// Done-when check of issue 5 through the store: activations logged with batch size 1 and with batch
// size 16 (24 texts: a full batch, then 8 real rows and 8 padding rows) agree to float32 tolerance,
// for every layer and pooling, and their same-layer CKA is 1.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openWorkspaceDb } from '../store/db';
import { getActivation } from '../store/activations';
import { logActivations } from './activation-log';
import { linearCKA } from './cka';
import { DEMO_TOKENIZER, writeProbeFile, writeTinyModel } from './test-models';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-batch-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('activation logging and batch size', () => {
  it('batch size 1 and 16 store the same activations', async () => {
    const model = writeTinyModel(path.join(tmp, 'm'), 41);
    const probe = writeProbeFile(path.join(tmp, 'probe.jsonl'));
    const stored = async (batchSize: number) => {
      const db = openWorkspaceDb(path.join(tmp, `ws-${batchSize}`));
      try {
        const r = await logActivations(db, { modelDir: model, probeSet: probe, tokenizer: DEMO_TOKENIZER, batchSize });
        return (['mean', 'cls', 'tokens'] as const).flatMap((p) => [0, 1, 2, 3, 4].map((l) => getActivation(db, r.checkpointId, r.probeSetId, l, p)!));
      } finally {
        db.close();
      }
    };
    const one = await stored(1);
    const sixteen = await stored(16);
    expect(one[0].shape).toEqual([24, 16]);
    for (let i = 0; i < one.length; i++) {
      expect(sixteen[i].shape).toEqual(one[i].shape);
      let worst = 0;
      for (let k = 0; k < one[i].data.length; k++) worst = Math.max(worst, Math.abs(one[i].data[k] - sixteen[i].data[k]));
      expect(worst, `layer ${one[i].layer} ${one[i].pooling}`).toBeLessThan(1e-5);
    }
    const m = (b: (typeof one)[number]) => ({ rows: b.shape[0], cols: b.shape[1], data: b.data });
    expect(1 - (await linearCKA(m(one[4]), m(sixteen[4])))).toBeLessThan(1e-9);
  });
});
