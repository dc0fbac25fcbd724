// Following runs on a cluster: one batched `squeue --json` per profile and poll (with back-off while
// nothing changes), the tail of each task's events.ndjson pulled and ingested exactly as a local run's
// stdout (RunIngest), checkpoints' activations (and the weights the profile asks for) pulled home
// before their event is ingested, and each task's own exit file read once squeue no longer lists it
// (no accounting database, so no sacct). Cancel = scancel.
import fs from 'node:fs';
import path from 'node:path';
import type { ClusterProfile, ClusterState } from '../common/cluster-profile';
import type { RunStatus } from '../common/types';
import type { Db } from '../store/db';
import type { RunEventBus } from '../events';
import { RunIngest } from '../runs/ingest';
import { getRun, setRunStatus } from '../store/runs';
import { activeClusterJobs, getClusterJob, updateClusterJob, type ClusterJobRow } from '../store/cluster-jobs';
import { isBusyError } from '../store/busy';
import { entryOf, mapSlurmState, parseSqueueJson, type QueueEntry } from './squeue';
import { pullDir } from './pull';
import { CLUSTER_HOMES_FILE } from './submit';
import { findProfile } from './profiles-file';
import { connectProfile } from './connect';
import { ClusterCommandError, run, shq, type ClusterTransport } from './transport';

export interface FollowerOptions {
  profile: (name: string) => ClusterProfile | null;
  connect: (p: ClusterProfile) => Promise<ClusterTransport>;
  minIntervalMs?: number;   // first poll interval and the one after any change (default 3 s)
  maxIntervalMs?: number;   // back-off ceiling while nothing changes (default 60 s)
}

interface ExitFile { state: 'finished' | 'failed' | 'cancelled' | 'diverged' | 'preempted'; code: number; restarts: number; node: string; job: string }

const EVENTS_CHUNK = 8 << 20;   // bytes of events.ndjson read per task and poll
const MISSING_POLLS = 3;        // polls without queue entry and exit file before a task counts as lost

export class ClusterFollower {
  private transports = new Map<string, Promise<ClusterTransport>>();
  private ingests = new Map<number, RunIngest>();
  private timer: NodeJS.Timeout | null = null;
  private interval: number;
  private polling: Promise<void> | null = null;
  private closed = false;

  constructor(private db: Db, private events: RunEventBus, private opts: FollowerOptions) {
    this.interval = opts.minIntervalMs ?? 3000;
  }

  /** Poll now and then on a timer until close(). */
  start(): void {
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.pollOnce().finally(() => this.schedule(this.interval));
    }, ms);
    this.timer.unref();
  }

  /** One poll of every active cluster run (re-entrant calls wait for the running one). */
  pollOnce(): Promise<void> {
    this.polling ??= this.poll().finally(() => { this.polling = null; });
    return this.polling;
  }

  /** Whether any cluster run is still followed. */
  get active(): boolean {
    return activeClusterJobs(this.db).length > 0;
  }

  /** Poll until no cluster run is followed any more (tests, the CLI). */
  async untilSettled(opts: { timeoutMs?: number; onPoll?: () => void | Promise<void> } = {}): Promise<void> {
    const until = Date.now() + (opts.timeoutMs ?? 30 * 60_000);
    while (this.active) {
      await this.pollOnce();
      await opts.onPoll?.();
      if (!this.active) return;
      if (Date.now() > until) throw new Error('cluster runs did not settle in time');
      await new Promise((r) => setTimeout(r, this.interval));
    }
  }

  async cancel(runId: number): Promise<void> {
    const job = getClusterJob(this.db, runId);
    if (!job) throw new Error(`run ${runId} does not run on a cluster`);
    if (job.done) throw new Error(`run ${runId} has already ended on the cluster`);
    if (!job.array_job_id) throw new Error(`run ${runId} is still being submitted; cancel it once it has a job id`);
    const p = this.profileOf(job);
    const t = await this.transport(p);
    await run(t, `scancel ${shq(`${job.array_job_id}_${job.task}`)}`);
    this.interval = this.opts.minIntervalMs ?? 3000;
    this.schedule(500);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.polling;
    for (const t of this.transports.values()) await t.then((x) => x.close(), () => undefined);
    this.transports.clear();
  }

  // ---- one poll ----------------------------------------------------------------------------------

  private profileOf(job: ClusterJobRow): ClusterProfile {
    const p = this.opts.profile(job.profile);
    if (!p) throw new Error(`cluster profile "${job.profile}" is not in the workspace's cluster-profiles.json any more`);
    return p;
  }

  private transport(p: ClusterProfile): Promise<ClusterTransport> {
    let t = this.transports.get(p.name);
    if (!t) {
      t = this.opts.connect(p);
      t.catch(() => this.transports.delete(p.name));
      this.transports.set(p.name, t);
    }
    return t;
  }

  private async poll(): Promise<void> {
    const jobs = activeClusterJobs(this.db);
    if (!jobs.length && this.transports.size) {
      // nothing to follow: no SSH connection is kept open
      for (const t of this.transports.values()) await t.then((x) => x.close(), () => undefined);
      this.transports.clear();
    }
    const byProfile = new Map<string, ClusterJobRow[]>();
    for (const j of jobs) byProfile.set(j.profile, [...(byProfile.get(j.profile) ?? []), j]);
    let changed = false;
    for (const [name, group] of byProfile) {
      try {
        const p = this.profileOf(group[0]);
        const t = await this.transport(p);
        const r = await t.exec('squeue --json', { timeoutMs: 120_000 });
        if (r.code !== 0) throw new ClusterCommandError(t.where, 'squeue --json', r);
        const entries = parseSqueueJson(r.stdout, new Set(group.map((j) => j.array_job_id!)));
        for (const job of group) changed = (await this.followTask(p, t, job, entries)) || changed;
      } catch (e) {
        if (isBusyError(e)) continue;
        // an unreachable login node or a broken squeue: say so on each run once per poll, keep the runs
        this.transports.delete(name);
        for (const j of group) this.events.emit({ type: 'run-log', runId: j.run_id, level: 'warning', message: `following on ${name}: ${(e as Error).message}` });
      }
    }
    const min = this.opts.minIntervalMs ?? 3000, max = this.opts.maxIntervalMs ?? 60_000;
    this.interval = changed ? min : Math.min(max, Math.round(this.interval * 1.5));
  }

  private ingestOf(runId: number): RunIngest {
    let ing = this.ingests.get(runId);
    if (!ing) { ing = new RunIngest(this.db, this.events, runId); this.ingests.set(runId, ing); }
    return ing;
  }

  /** Returns whether anything changed for this task. */
  private async followTask(p: ClusterProfile, t: ClusterTransport, job: ClusterJobRow, entries: QueueEntry[]): Promise<boolean> {
    const taskDir = `${job.job_dir}/task-${job.task}`;
    const entry = entryOf(entries, job.array_job_id!, job.task);
    const gone = !entry || ['finished', 'cancelled', 'timeout', 'failed'].includes(mapSlurmState(entry.state));
    // the exit file before the events: everything the runner wrote is in events.ndjson by then
    const exit = gone ? await this.readExit(t, `${taskDir}/exit.json`) : null;
    let changed = await this.pullEvents(p, t, job, `${taskDir}/run`);
    const runRow = getRun(this.db, job.run_id)!;

    if (!gone) {
      const slurm = mapSlurmState(entry!.state);
      const state: ClusterState = slurm === 'pending' && entry!.restarts > 0 ? 'preempted' : slurm;
      const status: RunStatus = state === 'running' ? 'running' : 'queued';
      if (job.state !== state || job.slurm_state !== entry!.state || job.node !== entry!.node || job.reason !== entry!.reason) {
        updateClusterJob(this.db, job.run_id, { state, slurm_state: entry!.state, reason: entry!.reason, node: entry!.node ?? job.node, restarts: entry!.restarts, missing_polls: 0 });
        this.events.emit({ type: 'run-log', runId: job.run_id, level: 'info', message: `${job.array_job_id}_${job.task}: ${entry!.state}${entry!.reason ? ` (${entry!.reason})` : ''}${entry!.node ? ` on ${entry!.node}` : ''}` });
        changed = true;
      }
      if (runRow.status !== status) this.setStatus(job.run_id, status, null);
      return changed;
    }

    if (exit?.state === 'preempted' && !entry) {
      // requeued by its own script: the queue lists it again within a poll or two
      if (job.missing_polls + 1 < MISSING_POLLS) { updateClusterJob(this.db, job.run_id, { missing_polls: job.missing_polls + 1, state: 'preempted' }); return changed; }
      return this.settle(p, t, job, 'interrupted', 'preempted', 'the task checkpointed before a time limit or preemption but was not requeued; resubmit it to continue');
    }
    if (exit) {
      const ing = this.ingestOf(job.run_id);
      const f = ing.outcome.finished;
      if (exit.state === 'finished' && f?.status === 'completed') return this.settle(p, t, job, 'finished', 'finished', null, exit.node);
      if (exit.state === 'diverged') return this.settle(p, t, job, 'diverged', 'failed', f?.message ?? 'the loss diverged', exit.node);
      if (exit.state === 'cancelled') return this.settle(p, t, job, 'cancelled', 'cancelled', null, exit.node);
      const tail = await this.stderrTail(t, `${taskDir}/slurm.err`);
      const why = f?.message ?? ing.outcome.lastError ?? (exit.state === 'finished' ? 'the runner exited 0 without reporting the end of training' : `exit code ${exit.code}`);
      return this.settle(p, t, job, 'failed', 'failed', `task ${job.array_job_id}_${job.task} failed on ${exit.node}: ${why}${tail ? `\n--- stderr (last lines) ---\n${tail}` : ''}`, exit.node);
    }
    if (entry) {
      // left the queue in a terminal state without its own exit file (killed at the time limit, cancelled before it started, node failure, out of memory)
      const st = mapSlurmState(entry.state);
      const tail = await this.stderrTail(t, `${taskDir}/slurm.err`);
      const msg = st === 'cancelled' ? null : `Slurm ended task ${job.array_job_id}_${job.task} as ${entry.state}${entry.reason ? ` (${entry.reason})` : ''}${st === 'timeout' ? ': the time limit was reached before the runner could checkpoint; raise time_limit or signal_seconds' : ''}${tail ? `\n--- stderr (last lines) ---\n${tail}` : ''}`;
      return this.settle(p, t, job, st === 'cancelled' ? 'cancelled' : 'failed', st, msg, entry.node);
    }
    if (job.missing_polls + 1 < MISSING_POLLS) { updateClusterJob(this.db, job.run_id, { missing_polls: job.missing_polls + 1 }); return changed; }
    const tail = await this.stderrTail(t, `${taskDir}/slurm.err`);
    return this.settle(p, t, job, 'failed', 'failed', `task ${job.array_job_id}_${job.task} left the queue without writing ${taskDir}/exit.json (the node may have failed or the job was removed)${tail ? `\n--- stderr (last lines) ---\n${tail}` : ''}`);
  }

  private settle(_p: ClusterProfile, _t: ClusterTransport, job: ClusterJobRow, status: RunStatus, state: ClusterState, error: string | null, node?: string | null): boolean {
    const ing = this.ingestOf(job.run_id);
    if (!ing.tryFlush()) return false; // busy: try again next poll, nothing is lost
    updateClusterJob(this.db, job.run_id, { state, slurm_state: null, reason: null, node: node ?? job.node, done: 1 });
    this.setStatus(job.run_id, status, error);
    this.ingests.delete(job.run_id);
    return true;
  }

  private setStatus(runId: number, status: RunStatus, error: string | null): void {
    setRunStatus(this.db, runId, status, error);
    this.events.emit({ type: 'run-status', runId, status, error });
  }

  private async readExit(t: ClusterTransport, file: string): Promise<ExitFile | null> {
    const b = await t.readRange(file, 0, 4096);
    if (!b) return null;
    try { return JSON.parse(b.toString('utf8')) as ExitFile; } catch { return null; }
  }

  private async stderrTail(t: ClusterTransport, file: string): Promise<string> {
    const size = await t.size(file);
    if (!size) return '';
    const b = await t.readRange(file, Math.max(0, size - 4000), 4000);
    return (b?.toString('utf8') ?? '').trim().split('\n').filter((l) => !l.startsWith('== ')).slice(-12).join('\n');
  }

  // ---- events and the files they name ------------------------------------------------------------

  private homes(runId: number): { remote: string; local: string }[] {
    const outDir = getRun(this.db, runId)!.outDir!;
    try {
      const f = JSON.parse(fs.readFileSync(path.join(outDir, CLUSTER_HOMES_FILE), 'utf8')) as { homes: Record<string, string> };
      return Object.entries(f.homes).map(([remote, local]) => ({ remote, local }));
    } catch {
      return [];
    }
  }

  private async pullEvents(p: ClusterProfile, t: ClusterTransport, job: ClusterJobRow, remoteRun: string): Promise<boolean> {
    const file = `${remoteRun}/events.ndjson`;
    const size = await t.size(file);
    if (size === null || size <= job.events_offset) return false;
    const buf = await t.readRange(file, job.events_offset, Math.min(size - job.events_offset, EVENTS_CHUNK));
    if (!buf) return false;
    const end = buf.lastIndexOf(0x0a);
    if (end < 0) return false; // a line still being written
    const outDir = getRun(this.db, job.run_id)!.outDir!;
    const homes = this.homes(job.run_id);
    const toLocal = (remote: string): string | null => {
      if (remote === remoteRun || remote.startsWith(`${remoteRun}/`)) return path.join(outDir, remote.slice(remoteRun.length));
      const h = homes.find((x) => remote === x.remote || remote.startsWith(`${x.remote}/`));
      return h ? path.join(h.local, remote.slice(h.remote.length)) : null;
    };
    const ing = this.ingestOf(job.run_id);
    const totalSteps = getRun(this.db, job.run_id)!.totalSteps;
    let offset = job.events_offset;
    // The offset moves with what the database holds (a restart re-reads only unrecorded events; the
    // events are idempotent to record twice). One transaction per batch of step lines, and one before
    // each event whose files come home first (a long pull never holds many unrecorded metrics).
    const commit = () => { if (ing.tryFlush()) updateClusterJob(this.db, job.run_id, { events_offset: offset }); };
    for (const line of buf.subarray(0, end).toString('utf8').split('\n')) {
      if (/^\{"type":"(checkpoint|activations)"/.test(line)) commit();
      const mapped = await this.bringHome(p, t, line, toLocal, totalSteps, job.run_id);
      ing.line(mapped);
      offset += Buffer.byteLength(line, 'utf8') + 1;
    }
    commit();
    return true;
  }

  /** Pull what an event names (activations; checkpoint config and, per profile, weights) and rewrite its paths to local ones. */
  private async bringHome(p: ClusterProfile, t: ClusterTransport, line: string, toLocal: (r: string) => string | null, totalSteps: number | null, runId: number): Promise<string> {
    if (!line.startsWith('{')) return line;
    let e: Record<string, unknown>;
    try { e = JSON.parse(line); } catch { return line; }
    const local = (k: string) => {
      const v = e[k];
      if (typeof v !== 'string') return;
      const l = toLocal(v);
      if (l) e[k] = l;
      else this.events.emit({ type: 'run-log', runId, level: 'warning', message: `${e.type} event: ${v} is outside the run folder and the bundle; left as the cluster's path` });
      return l ? { remote: v, local: l } : undefined;
    };
    if (e.type === 'checkpoint') {
      const m = local('path');
      if (m) {
        const weights = p.pull_models === 'all' || (p.pull_models === 'final' && e.step === totalSteps);
        await pullDir(t, m.remote, m.local, ['config.json', ...(weights ? ['model.safetensors'] : [])]);
      }
    } else if (e.type === 'activations') {
      const ck = local('checkpoint');
      const dir = local('dir');
      if (ck) await pullDir(t, ck.remote, ck.local, ['config.json']);
      if (dir) await pullDir(t, dir.remote, dir.local);
    } else if (e.type === 'started') {
      local('out_dir');
    }
    return JSON.stringify(e);
  }
}

/** The follower of a workspace: profiles from WORKSPACE/cluster-profiles.json, transports by profile kind. */
export function workspaceFollower(db: Db, events: RunEventBus, workspaceDir: string): ClusterFollower {
  return new ClusterFollower(db, events, {
    profile: (name) => findProfile(workspaceDir, name),
    connect: (p) => connectProfile(p),
  });
}
