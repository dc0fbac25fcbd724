// The run queue: runs wait in SQLite (status 'queued', oldest first) and are started as separate
// native-runner processes, at most `concurrency` at a time (default 1). Runs can be cancelled; runs
// cut short by a crash or an app restart become 'interrupted' and resume from their last checkpoint.
// Each runner is capped at its share of the cores (--max-threads): a config written on a larger
// machine may ask for more threads than this one has, and two runners of 2 threads each on 2 cores
// fight over them, while two of 1 thread each train 1.05-1.2x more tokens/s together than one run
// alone (docs/benchmarks.md, "Thread settings").
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import { parseRunConfig, RunConfigError, totalSteps, type RunConfig } from '../../native-runner/protocol';
import type { Db } from '../store/db';
import { createRun, getRun, runsWithStatus, setRunOutDir, setRunStatus } from '../store/runs';
import { getSetting, setSetting } from '../store/settings';
import type { RunEventBus } from '../events';
import type { RunStatus } from '../common/types';
import { RunIngest } from './ingest';
import { spawnRunner, type RunnerSpawner } from './runner-process';
import { clearRunnerPid, liveRunner, RUNNER_PID_FILE, writeRunnerPid } from './runner-pid';
import { ConflictError } from '../errors';
import { isBusyError } from '../store/busy';
import { isClusterRun } from '../store/cluster-jobs';

const CONCURRENCY_KEY = 'queue.concurrency';

export interface QueueOptions {
  workspaceDir: string;
  spawner?: RunnerSpawner;
  flushIntervalMs?: number;   // metrics flush period while a run streams steps (default 1000)
}

/** ORT threads per runner when `concurrency` runners share this machine's cores. */
export function threadShare(concurrency: number, cores = os.availableParallelism()): number {
  return Math.max(1, Math.floor(cores / concurrency));
}

/** Make the path fields of a run config absolute (relative paths are relative to `base`). */
export function absolutePaths(raw: Record<string, unknown>, base: string): Record<string, unknown> {
  const abs = (p: unknown) => (typeof p === 'string' && !path.isAbsolute(p) ? path.resolve(base, p) : p);
  const out: Record<string, unknown> = { ...raw };
  if (out.model && typeof out.model === 'object') out.model = { ...(out.model as object), hf_dir: abs((out.model as { hf_dir?: unknown }).hf_dir) };
  if (out.init_from !== undefined) out.init_from = abs(out.init_from);
  if (typeof out.data === 'string') out.data = abs(out.data);
  else if (out.data && typeof out.data === 'object') {
    const d = { ...(out.data as Record<string, unknown>) };
    for (const k of ['corpus', 'held_out'] as const) d[k] = Array.isArray(d[k]) ? (d[k] as unknown[]).map(abs) : abs(d[k]);
    for (const k of ['tokenizer', 'cache_dir'] as const) if (d[k] !== undefined) d[k] = abs(d[k]);
    out.data = d;
  }
  if (out.probe_set && typeof out.probe_set === 'object') {
    const ps = { ...(out.probe_set as Record<string, unknown>) };
    ps.path = abs(ps.path);
    if (ps.tokenizer !== undefined) ps.tokenizer = abs(ps.tokenizer);
    out.probe_set = ps;
  }
  return out;
}

/**
 * The runner writes (and sweeps temp folders in) data.cache_dir. Inside the workspace that is ours to
 * manage; anywhere else it is a folder of the user's, so it takes their explicit choice.
 */
export function checkCacheDirChoice(config: RunConfig, workspaceDir: string): void {
  const dir = config.data.cache_dir;
  if (!dir) return;
  const rel = path.relative(path.resolve(workspaceDir), path.resolve(dir));
  const inside = rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  if (!inside && config.data.cache_dir_outside_workspace !== true) {
    throw new RunConfigError([`data.cache_dir: ${dir} is outside the workspace (${workspaceDir}); the runner writes token shards there. Choose a folder in the workspace, or confirm this one with data.cache_dir_outside_workspace: true`]);
  }
}

export interface CheckedRun { raw: Record<string, unknown>; config: RunConfig }

/** Validate a run config as the queue takes it (paths made absolute against baseDir); writes nothing. */
export function checkRun(rawConfig: unknown, workspaceDir: string, baseDir?: string): CheckedRun {
  if (!rawConfig || typeof rawConfig !== 'object' || Array.isArray(rawConfig)) throw new Error('run config: expected a JSON object');
  const raw = absolutePaths(rawConfig as Record<string, unknown>, baseDir ?? workspaceDir);
  const config: RunConfig = parseRunConfig(raw);
  checkCacheDirChoice(config, workspaceDir);
  return { raw, config };
}

/**
 * Create a checked run's rows (status queued) and its folder WORKSPACE/runs/NNNNN with run.json; returns
 * its id. `inTx` runs in the same transaction (the cluster marks its runs there, so the local queue never
 * sees them as its own).
 */
export function registerRun(db: Db, workspaceDir: string, { raw, config }: CheckedRun, opts: { name?: string; sweep?: string } = {}, inTx?: (id: number) => void): number {
  let first = 1;
  const phases = config.phases.map((p) => {
    const r = { name: p.name, objective: p.objective, firstStep: first, lastStep: first + p.steps - 1 };
    first += p.steps;
    return r;
  });
  const name = opts.name ?? config.name ?? `${typeof config.model === 'string' ? config.model : 'model'} · ${phases.map((p) => p.objective.toUpperCase()).join('→')}`;
  const id = db.transaction(() => {
    const id = createRun(db, { name, config: raw, totalSteps: totalSteps(config), phases, sweep: opts.sweep });
    inTx?.(id);
    return id;
  })();
  const outDir = path.join(workspaceDir, 'runs', String(id).padStart(5, '0'));
  fs.mkdirSync(outDir, { recursive: true });
  const tmp = path.join(outDir, `.run.json.tmp-${process.pid}`);
  fs.writeFileSync(tmp, JSON.stringify(raw, null, 2) + '\n');
  fs.renameSync(tmp, path.join(outDir, 'run.json'));
  setRunOutDir(db, id, outDir);
  return id;
}

interface Active {
  child: ChildProcess;
  cancelRequested: boolean;
  done: Promise<void>;
}

export class RunQueue {
  private active = new Map<number, Active>();
  private closed = false;

  constructor(private db: Db, private events: RunEventBus, private opts: QueueOptions) {}

  get concurrency(): number {
    return getSetting(this.db, CONCURRENCY_KEY, 1);
  }

  setConcurrency(n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > 16) throw new Error(`concurrency: expected an integer 1..16, got ${n}`);
    setSetting(this.db, CONCURRENCY_KEY, n);
    this.pump();
  }

  /** Validate and queue a run; throws RunConfigError (naming the field) and writes nothing on bad input. */
  enqueue(rawConfig: unknown, opts: { name?: string; baseDir?: string; sweep?: string } = {}): number {
    const id = registerRun(this.db, this.opts.workspaceDir, checkRun(rawConfig, this.opts.workspaceDir, opts.baseDir), opts);
    const run = getRun(this.db, id)!;
    this.events.emit({ type: 'run-created', run });
    this.pump();
    return id;
  }

  /** Cancel a queued run at once, or ask a running one to stop (it writes a checkpoint first). */
  cancel(id: number): void {
    const run = getRun(this.db, id);
    if (!run) throw new Error(`no run with id ${id}`);
    if (run.status === 'queued' || run.status === 'interrupted') return this.setStatus(id, 'cancelled', null);
    const a = this.active.get(id);
    if (!a) throw new Error(`run ${id} is ${run.status}; only queued, interrupted or running runs can be cancelled`);
    a.cancelRequested = true;
    a.child.kill('SIGTERM');
  }

  /** Put an interrupted, failed or cancelled run back in the queue; it continues from its last checkpoint. */
  resume(id: number): void {
    const run = getRun(this.db, id);
    if (!run) throw new Error(`no run with id ${id}`);
    if (!['interrupted', 'failed', 'cancelled'].includes(run.status)) throw new Error(`run ${id} is ${run.status}; only interrupted, failed or cancelled runs can be resumed`);
    const orphan = liveRunner(run.outDir);
    if (orphan) throw new ConflictError(`run ${id}: its previous runner (pid ${orphan.pid} on ${orphan.host}) is still running; resume once it has stopped (if that process is gone, delete ${path.join(run.outDir!, RUNNER_PID_FILE)})`);
    this.setStatus(id, 'queued', null);
    this.pump();
  }

  /**
   * At start-up: runs left 'running' by a crash or a quit are interrupted (resumable). A runner that
   * outlived the workbench that started it (kill -9) is asked to checkpoint and stop; the run can be
   * resumed once it has, never while it still writes into its folder.
   */
  recover(): number[] {
    // runs on a cluster keep running while the workbench is closed: the cluster follower owns them
    const stale = runsWithStatus(this.db, 'running').filter((r) => !this.active.has(r.id) && !isClusterRun(this.db, r.id));
    for (const r of stale) {
      const orphan = liveRunner(getRun(this.db, r.id)?.outDir ?? null);
      if (orphan && orphan.host === os.hostname()) {
        try {
          process.kill(orphan.pid, 'SIGTERM');
        } catch {
          /* it exited meanwhile */
        }
      }
      this.setStatus(r.id, 'interrupted', orphan
        ? `the workbench stopped while this run was training; its runner (pid ${orphan.pid} on ${orphan.host}) was still running and has been asked to checkpoint and stop; resume it once it has`
        : 'the workbench stopped while this run was training; resume it to continue from its last checkpoint');
    }
    this.pump();
    return stale.map((r) => r.id);
  }

  /** Resolves when no run is active and none is queued (or the queue is closed). */
  async idle(): Promise<void> {
    while (this.active.size) await Promise.all([...this.active.values()].map((a) => a.done));
  }

  /** Stop every active run (each writes a checkpoint) and start no more. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.repumpTimer) clearTimeout(this.repumpTimer);
    for (const a of this.active.values()) a.child.kill('SIGTERM');
    await this.idle();
  }

  private setStatus(id: number, status: RunStatus, error: string | null): void {
    setRunStatus(this.db, id, status, error);
    this.events.emit({ type: 'run-status', runId: id, status, error });
  }

  private pump(): void {
    if (this.closed) return;
    // pump() runs from timers and process-exit handlers: nothing may escape it.
    try {
      this.pumpNow();
    } catch (e) {
      if (isBusyError(e)) this.repumpSoon();
      else process.stderr.write(`run queue: ${(e as Error).stack ?? String(e)}\n`);
    }
  }

  private pumpNow(): void {
    const queued = runsWithStatus(this.db, 'queued');
    for (const r of queued) {
      if (this.active.size >= this.concurrency) break;
      if (this.active.has(r.id)) continue;
      if (isClusterRun(this.db, r.id)) continue; // queued on a cluster, not here
      // Never two runners in one run folder: wait for a still-running previous runner to exit.
      if (liveRunner(getRun(this.db, r.id)?.outDir ?? null)) {
        this.repumpSoon();
        continue;
      }
      try {
        this.start(r.id);
      } catch (e) {
        if (isBusyError(e)) throw e;
        // A run that cannot even be started (the runner binary cannot be spawned, its folder is
        // gone) fails with the reason instead of staying queued forever.
        this.setStatus(r.id, 'failed', `could not start the runner: ${(e as Error).message}`);
      }
    }
  }

  private repumpTimer: NodeJS.Timeout | null = null;
  private repumpSoon(): void {
    if (this.repumpTimer) return;
    this.repumpTimer = setTimeout(() => {
      this.repumpTimer = null;
      this.pump();
    }, 1000);
    this.repumpTimer.unref();
  }

  private start(id: number): void {
    const run = getRun(this.db, id)!;
    const outDir = run.outDir!;
    const hasCheckpoints = fs.existsSync(path.join(outDir, 'checkpoints')) && fs.readdirSync(path.join(outDir, 'checkpoints')).some((d) => !d.startsWith('.'));
    const args = ['train', '--config', path.join(outDir, 'run.json'), '--out', outDir, '--json', ...(hasCheckpoints ? ['--resume'] : []),
      '--max-threads', String(threadShare(this.concurrency))];
    const child = (this.opts.spawner ?? spawnRunner)(args);
    if (child.pid !== undefined) writeRunnerPid(outDir, child.pid);
    this.setStatus(id, 'running', null);
    const ingest = new RunIngest(this.db, this.events, id);
    const logFile = fs.createWriteStream(path.join(outDir, 'runner.log'), { flags: 'a' });
    let stderrTail = '';
    const flushMs = this.opts.flushIntervalMs ?? 1000;
    // The periodic flush runs in a timer: an exception there would end the whole process. A busy
    // workspace (another connection holds the write lock) keeps the rows buffered and backs off.
    let skipTicks = 0;
    let backoff = 0;
    let warnedBusy = false;
    const flushTick = () => {
      if (skipTicks > 0) return void skipTicks--;
      try {
        if (ingest.tryFlush()) {
          backoff = 0;
          if (warnedBusy) this.events.emit({ type: 'run-log', runId: id, level: 'info', message: 'workspace no longer busy: buffered metrics written' });
          warnedBusy = false;
          return;
        }
        backoff = Math.min(Math.max(1, backoff * 2), 8);
        skipTicks = backoff - 1;
        if (!warnedBusy) this.events.emit({ type: 'run-log', runId: id, level: 'warning', message: 'workspace busy: another process holds the database write lock; metrics are kept and written when it is free' });
        warnedBusy = true;
      } catch (e) {
        this.events.emit({ type: 'run-log', runId: id, level: 'error', message: `could not record an event: ${(e as Error).message}` });
      }
    };
    const flusher = setInterval(flushTick, flushMs);
    const lines = readline.createInterface({ input: child.stdout! });
    lines.on('line', (l) => {
      logFile.write(l + '\n');
      try {
        ingest.line(l);
      } catch (e) {
        this.events.emit({ type: 'run-log', runId: id, level: 'error', message: `could not record an event: ${(e as Error).message}` });
      }
    });
    child.stderr!.on('data', (b: Buffer) => {
      logFile.write(b);
      stderrTail = (stderrTail + b.toString()).slice(-4000);
    });
    const entry: Active = { child, cancelRequested: false, done: Promise.resolve() };
    entry.done = new Promise<void>((resolve) => {
      // Decide the status only once the process has exited AND its stdout is fully read (either
      // can happen first), so the last events are never lost.
      let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
      let stdoutClosed = false;
      let settled = false;
      const settle = () => {
        if (settled || !exit || !stdoutClosed) return;
        settled = true;
        clearInterval(flusher);
        logFile.end();
        clearRunnerPid(outDir, child.pid);
        const { code, signal } = exit;
        // The last events and the final status must reach the database even if it is busy right
        // now: retry with back-off (for up to ~10 minutes) instead of throwing out of this handler.
        let delay = 50;
        let waited = 0;
        const finish = () => {
          try {
            if (!ingest.tryFlush()) throw Object.assign(new Error('workspace busy'), { code: 'SQLITE_BUSY' });
            this.setStatus(id, ...this.outcomeStatus(ingest, entry, code, signal, stderrTail));
          } catch (e) {
            if (isBusyError(e) && waited < 600_000) {
              setTimeout(finish, delay);
              waited += delay;
              delay = Math.min(delay * 2, 5000);
              return;
            }
            this.events.emit({ type: 'run-log', runId: id, level: 'error', message: `could not record the end of the run: ${(e as Error).message}` });
          }
          this.active.delete(id);
          resolve();
          this.pump();
        };
        finish();
      };
      lines.on('close', () => {
        stdoutClosed = true;
        settle();
      });
      child.on('exit', (code, signal) => {
        exit = { code, signal };
        settle();
      });
      child.on('error', (e) => {
        stderrTail += `\n${e.message}`;
        exit = { code: null, signal: null };
        stdoutClosed = true;
        settle();
      });
    });
    this.active.set(id, entry);
  }

  private outcomeStatus(ingest: RunIngest, a: Active, code: number | null, signal: NodeJS.Signals | null, stderr: string): [RunStatus, string | null] {
    const f = ingest.outcome.finished;
    if (f?.status === 'completed') return ['finished', null];
    if (f?.status === 'diverged') return ['diverged', f.message ?? `loss was not finite at step ${f.step}`];
    if (f?.status === 'stopped') return a.cancelRequested ? ['cancelled', null] : ['interrupted', `stopped at step ${f.step}; resume to continue`];
    if (f?.status === 'failed') return ['failed', f.message ?? ingest.outcome.lastError ?? 'the runner failed'];
    if (a.cancelRequested) return ['cancelled', null];
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    return ['failed', `the runner ${how} without finishing${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`];
  }
}
