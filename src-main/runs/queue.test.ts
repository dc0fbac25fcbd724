// The run queue with real native-runner processes on a real workspace database.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspaceDb, type Db } from '../store/db';
import { getRun } from '../store/runs';
import { metricNames, metricSeries } from '../store/metrics';
import { RunEventBus } from '../events';
import type { RunEvent } from '../common/types';
import { RunQueue, threadShare } from './queue';
import { spawnRunner } from './runner-process';
import { readRunLog } from './run-log';

const CORPUS = path.resolve(__dirname, '../../fixtures/corpus/wordnet-noun-glosses.txt');
let dir: string;
let db: Db;
const events = new RunEventBus();
const seen: RunEvent[] = [];
events.subscribe({}, (e) => seen.push(e));

const tinyRun = (steps: number, extra: Record<string, unknown> = {}) => ({
  model: 'tiny', data: CORPUS, seq_len: 32, batch_size: 4, seed: 1, checkpoint_every: 3,
  phases: [
    { name: 'clm', objective: 'clm', steps, lr: { peak: 2e-3, warmup: 1, shape: 'constant' } },
    { name: 'decay', objective: 'mlm', mask_rate: 0.15, steps: 2, lr: { peak: 2e-3, shape: 'one_minus_sqrt', final_ratio: 0.1 } },
  ],
  ...extra,
});

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-queue-'));
  db = openWorkspaceDb(dir);
});
afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('run queue', () => {
  it('runs queued runs one at a time and records metrics, checkpoints and statuses', async () => {
    const q = new RunQueue(db, events, { workspaceDir: dir, flushIntervalMs: 50 });
    const a = q.enqueue(tinyRun(4), { name: 'a' });
    const b = q.enqueue(tinyRun(3), { name: 'b' });
    expect(getRun(db, a)!.status).toBe('running');
    expect(getRun(db, b)!.status).toBe('queued'); // concurrency 1
    await q.idle();
    for (const [id, steps] of [[a, 6], [b, 5]] as const) {
      const run = getRun(db, id)!;
      expect(run.status, run.error ?? '').toBe('finished');
      expect(run.totalSteps).toBe(steps);
      expect(run.lastStep).toBe(steps);
      expect(run.phases.map((p) => [p.name, p.firstStep, p.lastStep])).toEqual([['clm', 1, steps - 2], ['decay', steps - 1, steps]]);
      expect(run.checkpoints.length).toBeGreaterThanOrEqual(2);
      expect(run.checkpoints.every((c) => c.sha256.length === 64 && fs.existsSync(path.join(c.path, 'model.safetensors')))).toBe(true);
      const loss = metricSeries(db, id, 'loss');
      expect(loss.steps).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
      expect(loss.values.every((v) => v !== null && v > 0)).toBe(true);
    }
    // Per-layer gradient norms: embeddings, the tiny model's 4 layers, head.
    expect(metricNames(db, a)).toEqual(expect.arrayContaining(['grad_norm/embeddings', 'grad_norm/layer_00', 'grad_norm/layer_03', 'grad_norm/head', 'lr', 'tokens_per_s']));
    // The event log reads back as text lines.
    const log = readRunLog(getRun(db, a)!.outDir!);
    expect(log[0].text).toMatch(/^started: 6 steps/);
    expect(log.at(-1)!.text).toBe('finished: completed at step 6');
    // Runs did not overlap: b started after a finished.
    expect(getRun(db, b)!.startedAt! >= getRun(db, a)!.finishedAt!).toBe(true);
    expect(seen.some((e) => e.type === 'run-progress' && e.runId === a && e.step === 6)).toBe(true);
    expect(seen.filter((e) => e.type === 'run-status' && e.runId === b).map((e) => (e as { status: string }).status)).toEqual(['running', 'finished']);
  });

  it('refuses a bad config with the field named and writes nothing', () => {
    const q = new RunQueue(db, events, { workspaceDir: dir });
    const before = db.prepare('SELECT count(*) FROM runs').pluck().get();
    expect(() => q.enqueue({ ...tinyRun(2), seq_len: 100000 })).toThrow(/seq_len/);
    expect(() => q.enqueue({ ...tinyRun(2), phases: [{ name: 'x', objective: 'mlm', mask_rate: 1.5, steps: 1, lr: { peak: 1e-3 } }] })).toThrow(/phases\[0\]\.mask_rate/);
    expect(db.prepare('SELECT count(*) FROM runs').pluck().get()).toBe(before);
  });

  it('cancels a running run, marks runs orphaned by a restart as interrupted, and resumes them to the end', async () => {
    const q = new RunQueue(db, events, { workspaceDir: dir, flushIntervalMs: 50 });
    const id = q.enqueue(tinyRun(40, { checkpoint_every: 2 }), { name: 'long' });
    // Cancel once the run has written a checkpoint.
    await new Promise<void>((resolve) => {
      const off = events.subscribe({ runId: id }, (e) => {
        if (e.type === 'run-checkpoint') {
          off();
          q.cancel(id);
          resolve();
        }
      });
    });
    await q.idle();
    const cancelled = getRun(db, id)!;
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.lastStep).toBeLessThan(42);

    // Simulate an app crash mid-run: the row says running, no process exists.
    db.prepare("UPDATE runs SET status = 'running' WHERE id = ?").run(id);
    const q2 = new RunQueue(db, events, { workspaceDir: dir, flushIntervalMs: 50 });
    expect(q2.recover()).toEqual([id]);
    expect(getRun(db, id)!.status).toBe('interrupted');
    expect(cancelled.finishedAt).not.toBeNull();
    q2.resume(id);
    // Back in the queue (or already running): the old "Finished" time is gone at the source.
    expect(getRun(db, id)!.finishedAt).toBeNull();
    await q2.idle();
    const done = getRun(db, id)!;
    expect(done.status, done.error ?? '').toBe('finished');
    expect(done.lastStep).toBe(42);
    const loss = metricSeries(db, id, 'loss');
    expect(loss.steps.at(-1)).toBe(42);
    expect(fs.readFileSync(path.join(done.outDir!, 'runner.log'), 'utf8')).toMatch(/"resumed_from_step":[1-9]/);
  });

  it('with concurrency 2 runs two at once, each capped at its share of the cores', async () => {
    expect(threadShare(2, 2)).toBe(1);
    expect(threadShare(2, 16)).toBe(8);
    expect(threadShare(4, 2)).toBe(1);
    const spawned: string[][] = [];
    const q = new RunQueue(db, events, { workspaceDir: dir, flushIntervalMs: 50, spawner: (args) => { spawned.push(args); return spawnRunner(args); } });
    q.setConcurrency(2);
    const a = q.enqueue(tinyRun(2), { name: 'pair-a' });
    const b = q.enqueue(tinyRun(2), { name: 'pair-b' });
    expect([getRun(db, a)!.status, getRun(db, b)!.status]).toEqual(['running', 'running']);
    const share = String(threadShare(2));
    for (const args of spawned) expect(args.slice(args.indexOf('--max-threads'))).toEqual(['--max-threads', share]);
    await q.idle();
    for (const id of [a, b]) {
      const run = getRun(db, id)!;
      expect(run.status, run.error ?? '').toBe('finished');
      // the runner reports the thread count it used (the config asks for 2)
      expect(readRunLog(run.outDir!)[0].text).toContain(`on cpu (${share} thread${share === '1' ? '' : 's'})`);
    }
    q.setConcurrency(1);
  });
});
