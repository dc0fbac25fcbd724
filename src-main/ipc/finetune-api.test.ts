// startFinetune / finetuneStatus through dispatch(), in-process (no analysis host): a tiny model ×
// demo:supersense × 2 seeds runs to the end with a score per seed; bad input is refused by name, and a
// second sweep while one runs is a ConflictError.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspaceDb, type Db } from '../store/db';
import { createServices } from '../services';
import { RunEventBus } from '../events';
import { writeTinyModel } from '../analysis/test-models';
import { dispatch } from './dispatch';
import type { FinetuneStatus } from '../common/finetune-types';
import { readResults } from '../../native-runner/finetune/results';

let dir: string;
let db: Db;
let services: ReturnType<typeof createServices>;
let model: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-api-finetune-'));
  db = openWorkspaceDb(path.join(dir, 'ws'));
  services = createServices({ db, workspaceDir: path.join(dir, 'ws'), mode: 'serve', events: new RunEventBus() });
  model = writeTinyModel(path.join(dir, 'model'), 1);
});
afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const request = () => ({ checkpoints: [{ label: 'tiny', modelDir: model }], tasks: ['demo:supersense'], seeds: 2, epochs: 1, maxTrain: 16, maxLength: 24 });

/** The sweep's status once it is no longer running (polled every 200 ms, at most 2 minutes). */
async function whenSettled(): Promise<FinetuneStatus> {
  let st: FinetuneStatus | null = null;
  for (let i = 0; i < 600; i++) {
    st = ((await dispatch(services, 'finetuneStatus', {})) as { ok: true; value: FinetuneStatus }).value;
    if (st.stage !== 'running') break;
    await new Promise((res) => setTimeout(res, 200));
  }
  return st!;
}

describe('fine-tuning calls', () => {
  it('refuses bad input by field, and a directory that is not a model', async () => {
    const bad = await dispatch(services, 'startFinetune', { ...request(), seeds: 0 });
    expect(bad).toMatchObject({ ok: false, error: { name: 'ValidationError' } });
    expect((bad as { error: { message: string } }).error.message).toMatch(/seeds/);
    const task = await dispatch(services, 'startFinetune', { ...request(), tasks: ['demo:nope'] });
    expect(task).toMatchObject({ ok: false, error: { name: 'ValidationError' } });
    const nodir = await dispatch(services, 'startFinetune', { ...request(), checkpoints: [{ label: 'x', modelDir: path.join(dir, 'nothing') }] });
    expect(nodir).toMatchObject({ ok: false, error: { name: 'ValidationError' } });
    expect((nodir as { error: { message: string } }).error.message).toMatch(/has no config\.json/);
    expect(await dispatch(services, 'finetuneStatus', {})).toEqual({ ok: true, value: null });
  });

  it('runs a sweep to the end: a score per seed, mean ± sd, a results file; a second start while running conflicts', async () => {
    const r = (await dispatch(services, 'startFinetune', request())) as { ok: true; value: FinetuneStatus };
    expect(r.ok).toBe(true);
    expect(r.value.jobs).toHaveLength(1);
    expect(await dispatch(services, 'startFinetune', request())).toMatchObject({ ok: false, error: { name: 'ConflictError' } });
    const st: FinetuneStatus | null = await whenSettled();
    expect(st!.stage).toBe('done');
    const job = st!.jobs[0];
    expect(job).toMatchObject({ status: 'done', metric: 'accuracy', seedsDone: 2 });
    expect(job.perSeed).toHaveLength(2);
    expect(job.mean).toBeCloseTo((job.perSeed[0] + job.perSeed[1]) / 2, 12);
    expect(st!.curve.length).toBeGreaterThan(0);
    const res = readResults(job.resultsFile!);
    expect(res.seeds.map((s) => s.test.accuracy)).toEqual(job.perSeed);
  }, 300_000);

  it('fine-tunes on a user JSONL task file (split by the rule); a bad line is refused at once by file and line', async () => {
    const words = ['cell', 'gene', 'river', 'stone', 'liver', 'cloud', 'tissue', 'mountain'];
    const lines = Array.from({ length: 80 }, (_, i) => {
      const w = words[i % words.length];
      return JSON.stringify({ text: `the ${w} number ${i}`, label: ['cell', 'gene', 'liver', 'tissue'].includes(w) ? 'bio' : 'other' });
    });
    const good = path.join(dir, 'ws', 'tasks', 'mine.jsonl');
    fs.mkdirSync(path.dirname(good), { recursive: true });
    fs.writeFileSync(good, lines.join('\n') + '\n');
    const bad = path.join(dir, 'ws', 'tasks', 'bad.jsonl');
    fs.writeFileSync(bad, [lines[0], lines[1], '{"text": "no label here"'].join('\n') + '\n');
    const refused = await dispatch(services, 'startFinetune', { ...request(), tasks: ['tasks/bad.jsonl'] });
    expect(refused).toMatchObject({ ok: false, error: { name: 'ValidationError' } });
    expect((refused as { error: { message: string } }).error.message).toMatch(/tasks\[0\]: .*bad\.jsonl:3/);
    const missing = await dispatch(services, 'startFinetune', { ...request(), tasks: ['tasks/none.jsonl'] });
    expect((missing as { error: { message: string } }).error.message).toMatch(/tasks\[0\]: .*none\.jsonl does not exist/);
    const r = await dispatch(services, 'startFinetune', { ...request(), tasks: ['tasks/mine.jsonl'], seeds: 1 });
    expect(r).toMatchObject({ ok: true });
    const st: FinetuneStatus | null = await whenSettled();
    expect(st!.stage).toBe('done');
    expect(st!.jobs[0]).toMatchObject({ task: good, status: 'done', metric: 'accuracy', seedsDone: 1 });
    expect(path.basename(st!.jobs[0].resultsFile!)).toBe('00-tiny-mine.jsonl.json');
  }, 300_000);
});
