// data.cache_dir outside the workspace is a folder of the user's (the runner writes and sweeps temp
// folders there): it takes an explicit choice, and without one nothing is queued or written.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openWorkspaceDb } from '../store/db';
import { listRuns } from '../store/runs';
import { RunEventBus } from '../events';
import { createServices } from '../services';
import { dispatch } from '../ipc/dispatch';
import { RunQueue } from './queue';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-cachedir-'));
const ws = path.join(tmp, 'ws');
const db = openWorkspaceDb(ws);
afterAll(() => {
  db.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const config = (data: Record<string, unknown>) => ({
  model: 'tiny', seq_len: 32, batch_size: 4,
  data: { corpus: path.resolve(__dirname, '../../fixtures/corpus/wordnet-noun-glosses.txt'), tokenizer: path.resolve(__dirname, '../../fixtures/demo-tokenizer'), ...data },
  phases: [{ name: 'mlm', objective: 'mlm', mask_rate: 0.3, steps: 1, lr: { peak: 1e-3 } }],
});

describe('cache_dir outside the workspace (item 11)', () => {
  const events = new RunEventBus();
  const queue = new RunQueue(db, events, { workspaceDir: ws, spawner: () => { throw new Error('must not start a run'); } });
  const services = createServices({ db, workspaceDir: ws, mode: 'serve', events, queue });
  it('is refused without the explicit choice, naming the field, and nothing is created', async () => {
    const outside = path.join(tmp, 'my-notes');
    const check = await dispatch(services, 'validateRunConfig', { config: config({ cache_dir: outside }) });
    expect(check).toMatchObject({ ok: true, value: { ok: false, errors: [expect.stringMatching(/^data\.cache_dir: .*my-notes is outside the workspace .*data\.cache_dir_outside_workspace: true/)] } });
    const created = await dispatch(services, 'createRun', { config: config({ cache_dir: outside }) });
    expect(created).toMatchObject({ ok: false, error: { name: 'ValidationError', message: expect.stringMatching(/data\.cache_dir/) } });
    expect(listRuns(db)).toEqual([]);
    expect(fs.existsSync(outside)).toBe(false);
  });
  it('is accepted inside the workspace, or outside with the explicit choice', async () => {
    for (const data of [{ cache_dir: path.join(ws, 'cache') }, { cache_dir: 'relative-cache' }, { cache_dir: path.join(tmp, 'shared-cache'), cache_dir_outside_workspace: true }]) {
      const check = await dispatch(services, 'validateRunConfig', { config: config(data) });
      expect(check, JSON.stringify(data)).toMatchObject({ ok: true, value: { ok: true } });
    }
  });
});
