// A busy workspace (another connection holds SQLite's write lock for seconds) while a run streams
// events: the process must not crash out of the flush timer, no metric or checkpoint may be lost,
// reads keep answering (WAL), and a write call answers "workspace busy" at once instead of hanging.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { DB_FILE_NAME, openWorkspaceDb } from '../store/db';
import { MAIN_BUSY_TIMEOUT_MS } from '../store/busy';
import { getRun } from '../store/runs';
import { metricSeries } from '../store/metrics';
import { RunEventBus } from '../events';
import { dispatch } from '../ipc/dispatch';
import { createServices } from '../services';
import { RunQueue } from './queue';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-busy-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A runner stand-in (a real process speaking the NDJSON event protocol): 40 steps over ~2 s and a checkpoint. */
const SCRIPT = `
const out = (e) => process.stdout.write(JSON.stringify({ t: Date.now(), ...e }) + '\\n');
out({ type: 'started', total_steps: 40, resumed_from_step: 0, device: 'cpu', out_dir: process.argv[1] });
let step = 0;
const timer = setInterval(() => {
  step++;
  out({ type: 'step', step, phase: 'mlm', loss: 5 - step / 100, lr: 1e-3, grad_norm: 1, layer_grad_norms: [1, 1, 1], tokens_per_s: 100, eta_s: 1 });
  if (step === 20) out({ type: 'checkpoint', path: process.argv[1] + '/checkpoints/step-00000020', step, phase: 'mlm' });
  if (step === 40) { clearInterval(timer); out({ type: 'finished', status: 'completed', step }); }
}, 50);`;

const tinyConfig = {
  model: 'tiny', data: path.resolve(__dirname, '../../fixtures/corpus/wordnet-noun-glosses.txt'), seq_len: 32, batch_size: 4, seed: 1,
  phases: [{ name: 'mlm', objective: 'mlm', mask_rate: 0.3, steps: 40, lr: { peak: 1e-3, warmup: 1, shape: 'constant' } }],
};

describe('busy workspace (item 8)', () => {
  it('keeps streaming, loses nothing, answers reads and reports "workspace busy" for writes', async () => {
    const db = openWorkspaceDb(dir, { busyTimeoutMs: MAIN_BUSY_TIMEOUT_MS });
    const events = new RunEventBus();
    const logs: string[] = [];
    events.subscribe({}, (e) => e.type === 'run-log' && logs.push(e.message));
    const queue = new RunQueue(db, events, {
      workspaceDir: dir,
      flushIntervalMs: 50,
      spawner: (args) => spawn(process.execPath, ['-e', SCRIPT, args[args.indexOf('--out') + 1]], { stdio: ['ignore', 'pipe', 'pipe'] }),
    });
    const services = createServices({ db, workspaceDir: dir, mode: 'serve', events, queue });
    const id = queue.enqueue(tinyConfig, { name: 'busy' });

    // Another process's connection takes the write lock for 2.5 s while the run streams.
    const other = new Database(path.join(dir, DB_FILE_NAME));
    await new Promise((r) => setTimeout(r, 200));
    other.exec("BEGIN IMMEDIATE; INSERT INTO settings (key, value) VALUES ('holder', '1');");
    const t0 = Date.now();
    const read = await dispatch(services, 'listRuns', {});
    expect(read.ok).toBe(true);
    const write = await dispatch(services, 'setConcurrency', { concurrency: 2 });
    expect(write).toEqual({ ok: false, error: { name: 'WorkspaceBusy', message: expect.stringMatching(/^workspace busy/) } });
    expect(Date.now() - t0).toBeLessThan(2000);
    await new Promise((r) => setTimeout(r, 2500));
    other.exec('COMMIT');
    other.close();

    await queue.idle();
    const run = getRun(db, id)!;
    expect(run.status, run.error ?? '').toBe('finished');
    expect(run.lastStep).toBe(40);
    expect(metricSeries(db, id, 'loss').steps).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(run.checkpoints.map((c) => c.step)).toEqual([20]);
    expect(logs.some((m) => /workspace busy/.test(m))).toBe(true);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    await queue.close();
    db.close();
  });
});
