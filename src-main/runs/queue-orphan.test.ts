// A runner that outlived the workbench that started it (kill -9 of serve) still trains in its run
// folder. A new queue must not start a second runner there: recovery asks the orphan to stop, and
// resume / start wait until it has exited.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openWorkspaceDb, type Db } from '../store/db';
import { createRun, getRun, setRunOutDir, setRunStatus } from '../store/runs';
import { RunEventBus } from '../events';
import { RunQueue } from './queue';
import { readRunnerPid, writeRunnerPid } from './runner-pid';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-orphan-'));
const db: Db = openWorkspaceDb(dir);
const procs: ChildProcess[] = [];
afterEach(() => procs.splice(0).forEach((p) => p.exitCode === null && p.signalCode === null && p.kill('SIGKILL')));
afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A stand-in orphan runner: a real process, optionally deaf to SIGTERM (still checkpointing). */
function orphan(ignoreTerm: boolean): Promise<ChildProcess> {
  const p = spawn(process.execPath, ['-e', `${ignoreTerm ? "process.on('SIGTERM', () => {});" : ''} console.log('up'); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'ignore'] });
  procs.push(p);
  return new Promise((r) => p.stdout!.once('data', () => r(p)));
}

function runningRun(name: string): { id: number; outDir: string } {
  const id = createRun(db, { name, config: {} });
  const outDir = path.join(dir, 'runs', String(id));
  fs.mkdirSync(outDir, { recursive: true });
  setRunOutDir(db, id, outDir);
  setRunStatus(db, id, 'running', null);
  return { id, outDir };
}

describe('queue recovery never takes over a live runner (item 7)', () => {
  it('asks an orphaned runner to stop, marks the run interrupted, and refuses to resume it while it lives', async () => {
    const { id, outDir } = runningRun('orphaned');
    const p = await orphan(true);
    writeRunnerPid(outDir, p.pid!);
    const spawned: string[][] = [];
    const q = new RunQueue(db, new RunEventBus(), {
      workspaceDir: dir,
      spawner: (args) => (spawned.push(args), spawn(process.execPath, ['-e', 'process.exit(1)'], { stdio: ['ignore', 'pipe', 'pipe'] })),
    });
    expect(q.recover()).toEqual([id]);
    const run = getRun(db, id)!;
    expect(run.status).toBe('interrupted');
    expect(run.error).toMatch(new RegExp(`its runner \\(pid ${p.pid} on .*\\) was still running`));
    expect(() => q.resume(id)).toThrow(new RegExp(`previous runner \\(pid ${p.pid} .*still running`));
    expect(getRun(db, id)!.status).toBe('interrupted');
    expect(spawned).toEqual([]);
    // Once it is gone, the run resumes (and the spawner is called once, for it).
    p.kill('SIGKILL');
    await new Promise((r) => p.once('exit', r));
    q.resume(id);
    await q.idle();
    expect(spawned).toHaveLength(1);
    expect(readRunnerPid(outDir)).toBeNull(); // the queue clears its own runner's pid file
    await q.close();
  });

  it('an orphan that obeys SIGTERM is stopped by recovery', async () => {
    const { outDir } = runningRun('obeys');
    const p = await orphan(false);
    writeRunnerPid(outDir, p.pid!);
    const exited = new Promise((r) => p.once('exit', (_c, sig) => r(sig)));
    const q = new RunQueue(db, new RunEventBus(), { workspaceDir: dir, spawner: () => { throw new Error('must not spawn'); } });
    q.recover();
    expect(await exited).toBe('SIGTERM');
    await q.close();
  });

  it('a queued run whose folder still has a live runner is not started until that runner exits', async () => {
    const { id, outDir } = runningRun('queued-with-orphan');
    setRunStatus(db, id, 'queued', null);
    const p = await orphan(true);
    writeRunnerPid(outDir, p.pid!);
    let spawns = 0;
    const q = new RunQueue(db, new RunEventBus(), { workspaceDir: dir, spawner: () => (spawns++, spawn(process.execPath, ['-e', 'process.exit(1)'], { stdio: ['ignore', 'pipe', 'pipe'] })) });
    q.recover();
    await new Promise((r) => setTimeout(r, 1500));
    expect(spawns).toBe(0);
    expect(getRun(db, id)!.status).toBe('queued');
    p.kill('SIGKILL');
    await new Promise((r) => p.once('exit', r));
    await new Promise((r) => setTimeout(r, 1500));
    await q.idle();
    expect(spawns).toBe(1);
    await q.close();
  });
});
