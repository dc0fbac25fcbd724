// Tags, notes, archive, delete and final metrics on a real workspace database and run folders.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openWorkspaceDb, type Db } from '../store/db';
import { createRun, getRun, setRunOutDir, setRunProgress, setRunStatus } from '../store/runs';
import { insertMetrics } from '../store/metrics';
import { RunEventBus } from '../events';
import { createServices } from '../services';
import { dispatch } from '../ipc/dispatch';

let dir: string;
let db: Db;
let services: ReturnType<typeof createServices>;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-admin-'));
  db = openWorkspaceDb(dir);
  services = createServices({ db, workspaceDir: dir, mode: 'serve', events: new RunEventBus() });
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function finishedRun(name: string, sweep: string | null): number {
  const id = createRun(db, {
    name, sweep, config: { batch_size: 4, seq_len: 32 }, totalSteps: 30,
    phases: [{ name: 'clm', objective: 'clm', firstStep: 1, lastStep: 20 }, { name: 'decay', objective: 'mlm', firstStep: 21, lastStep: 30 }],
  });
  const out = path.join(dir, 'runs', String(id).padStart(5, '0'));
  fs.mkdirSync(path.join(out, 'checkpoints'), { recursive: true });
  fs.writeFileSync(path.join(out, 'run.json'), '{}');
  setRunOutDir(db, id, out);
  // loss 1..30 at steps 1..30; the last 10 of the clm phase are steps 11..20 (mean 15.5)
  insertMetrics(db, id, Array.from({ length: 30 }, (_, i) => ({ step: i + 1, name: 'loss', value: i + 1 })));
  setRunProgress(db, id, 30);
  setRunStatus(db, id, 'running');
  setRunStatus(db, id, 'finished');
  return id;
}

describe('run metadata', () => {
  it('tags, notes, a new name and archiving are stored and listed', async () => {
    const id = finishedRun('a', 'sweep 1');
    const r = await dispatch(services, 'updateRun', { id, tags: ['paper', ' fig 3 ', 'paper'], notes: 'the good one', archived: true, name: 'renamed' });
    expect(r).toMatchObject({ ok: true, value: { id, name: 'renamed', tags: ['paper', 'fig 3'], notes: 'the good one', archived: true, sweep: 'sweep 1' } });
    const list = await dispatch(services, 'listRuns', {});
    expect(list).toMatchObject({ ok: true, value: [{ id, tags: ['paper', 'fig 3'], archived: true }] });
    expect(await dispatch(services, 'updateRun', { id: 999, notes: 'x' })).toMatchObject({ ok: false, error: { name: 'NotFoundError' } });
    expect(await dispatch(services, 'updateRun', { id, tags: [''] })).toMatchObject({ ok: false, error: { name: 'ValidationError' } });
  });

  it('deleting a run removes its folder and every row that belonged to it, in one step', async () => {
    const id = finishedRun('gone', null);
    const keep = finishedRun('kept', null);
    db.prepare("INSERT INTO checkpoints (run_id, step, phase, path, sha256) VALUES (?, 30, 'decay', ?, 'x')").run(id, path.join(dir, 'runs', '00001', 'checkpoints', 'step-30'));
    const out = getRun(db, id)!.outDir!;
    const r = await dispatch(services, 'deleteRun', { id });
    expect(r).toEqual({ ok: true, value: { removedDir: out, keptDir: null } });
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(path.join(dir, 'runs'))).toEqual([path.basename(getRun(db, keep)!.outDir!)]);
    expect(getRun(db, id)).toBeNull();
    for (const table of ['phases', 'metrics', 'checkpoints']) expect(db.prepare(`SELECT count(*) FROM ${table} WHERE run_id = ?`).pluck().get(id)).toBe(0);
    expect(db.prepare('SELECT count(*) FROM metrics WHERE run_id = ?').pluck().get(keep)).toBe(30);
  });

  it('refuses to delete a queued or running run, and never touches a folder outside the workspace', async () => {
    const queued = createRun(db, { name: 'q', config: {} });
    expect(await dispatch(services, 'deleteRun', { id: queued })).toMatchObject({ ok: false, error: { name: 'ConflictError', message: expect.stringMatching(/cancel it/) } });
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-outside-'));
    const id = finishedRun('elsewhere', null);
    setRunOutDir(db, id, outside);
    expect(await dispatch(services, 'deleteRun', { id })).toEqual({ ok: true, value: { removedDir: null, keptDir: outside } });
    expect(fs.existsSync(outside)).toBe(true);
    fs.rmSync(outside, { recursive: true });
  });
});

describe('runFinals', () => {
  it('final loss per phase over its last 10 steps, tokens and wall time', async () => {
    const id = finishedRun('r', 'sw');
    insertMetrics(db, id, [{ step: 30, name: 'held_out_loss', value: 2.5 }]);
    const r = await dispatch(services, 'runFinals', { ids: [id, 999] });
    expect(r.ok).toBe(true);
    const [f] = (r as { value: { phaseLoss: unknown; heldOutLoss: number; tokens: number; wallS: number; sweep: string }[] }).value;
    expect(f.phaseLoss).toEqual([{ phase: 'clm', loss: 15.5 }, { phase: 'decay', loss: 25.5 }]);
    expect(f.heldOutLoss).toBe(2.5);
    expect(f.tokens).toBe(30 * 4 * 32);
    expect(f.wallS).toBeGreaterThanOrEqual(0);
    expect(f.sweep).toBe('sw');
  });
});
