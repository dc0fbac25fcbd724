// Cancelling a fine-tuning sweep, both ways it can run: in the analysis host's child (a real child
// process, ended by interrupt(); the next call gets a fresh child) and in-process (stopped between
// steps). Finished jobs keep their scores; the sweep ends "cancelled", not "failed".
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspaceDb, type Db } from '../store/db';
import { createServices } from '../services';
import { RunEventBus } from '../events';
import { writeTinyModel } from '../analysis/test-models';
import { AnalysisHost } from '../analysis/host';
import { dispatch } from '../ipc/dispatch';
import type { FinetuneStatus } from '../common/finetune-types';

let dir: string;
let ws: string;
let db: Db;
let model: string;
let host: AnalysisHost;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-finetune-cancel-'));
  ws = path.join(dir, 'ws');
  db = openWorkspaceDb(ws);
  model = writeTinyModel(path.join(dir, 'model'), 1);
  host = new AnalysisHost(ws);
});
afterAll(async () => {
  await host.close();
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

// long enough that it is still running when cancelled: 2 jobs × 3 seeds × 3 epochs
const request = () => ({ checkpoints: [{ label: 'tiny', modelDir: model }], tasks: ['demo:supersense', 'demo:biotag'], seeds: 3, epochs: 3, maxTrain: 64, maxLength: 24 });

type Services = ReturnType<typeof createServices>;
const status = async (s: Services) => ((await dispatch(s, 'finetuneStatus', {})) as { ok: true; value: FinetuneStatus }).value;

async function until(s: Services, done: (st: FinetuneStatus) => boolean, what: string): Promise<FinetuneStatus> {
  for (let i = 0; i < 1200; i++) {
    const st = await status(s);
    if (done(st)) return st;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function cancelMidway(s: Services): Promise<FinetuneStatus> {
  expect(await dispatch(s, 'cancelFinetune', {})).toMatchObject({ ok: false, error: { name: 'ConflictError' } });   // nothing runs yet
  expect(await dispatch(s, 'startFinetune', request())).toMatchObject({ ok: true });
  await until(s, (st) => st.curve.length > 0, 'the first training step');
  const c = await dispatch(s, 'cancelFinetune', {});
  expect(c).toMatchObject({ ok: true, value: { message: 'stopping…' } });
  const st = await until(s, (x) => x.stage !== 'running', 'the sweep to end');
  expect(st.stage).toBe('cancelled');
  expect(st.error).toBeNull();
  expect(st.jobs.map((j) => j.status)).toEqual(['cancelled', 'cancelled']);
  expect(st.message).toBe('cancelled: 0 of 2 job(s) finished');
  expect(await dispatch(s, 'cancelFinetune', {})).toMatchObject({ ok: false, error: { name: 'ConflictError' } });
  return st;
}

describe('cancelling a fine-tuning sweep', () => {
  it('in the analysis host: the child is ended, and the next sweep gets a fresh one and runs to the end', async () => {
    const s = createServices({ db, workspaceDir: ws, mode: 'serve', events: new RunEventBus(), analysisHost: host });
    await cancelMidway(s);
    expect(host.inFlight).toBe(0);
    const small = { ...request(), tasks: ['demo:supersense'], seeds: 1, epochs: 1, maxTrain: 16 };
    expect(await dispatch(s, 'startFinetune', small)).toMatchObject({ ok: true });
    const st = await until(s, (x) => x.stage !== 'running', 'the second sweep');
    expect(st.stage).toBe('done');
    expect(st.jobs[0]).toMatchObject({ status: 'done', seedsDone: 1 });
  }, 600_000);

  it('in-process: stopped between steps', async () => {
    const s = createServices({ db, workspaceDir: ws, mode: 'serve', events: new RunEventBus() });
    const st = await cancelMidway(s);
    expect(st.curve.length).toBeGreaterThan(0);
  }, 600_000);
});
