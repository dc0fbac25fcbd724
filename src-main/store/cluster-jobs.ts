// The cluster_jobs table: which runs run on a cluster, and where the follower is with each.
import type { Db } from './db';
import type { ClusterJobInfo, ClusterState } from '../common/cluster-profile';

export interface ClusterJobRow {
  run_id: number; profile: string; array_job_id: string | null; task: number; job_dir: string;
  state: ClusterState; slurm_state: string | null; reason: string | null; node: string | null;
  restarts: number; events_offset: number; missing_polls: number; done: number;
}

export function addClusterJob(db: Db, j: { runId: number; profile: string; task: number; jobDir: string }): void {
  db.prepare('INSERT INTO cluster_jobs (run_id, profile, task, job_dir) VALUES (?, ?, ?, ?)').run(j.runId, j.profile, j.task, j.jobDir);
}

export function setArrayJobId(db: Db, runIds: number[], arrayJobId: string): void {
  const st = db.prepare('UPDATE cluster_jobs SET array_job_id = ? WHERE run_id = ?');
  db.transaction(() => { for (const id of runIds) st.run(arrayJobId, id); })();
}

export function getClusterJob(db: Db, runId: number): ClusterJobRow | null {
  return (db.prepare('SELECT * FROM cluster_jobs WHERE run_id = ?').get(runId) as ClusterJobRow | undefined) ?? null;
}

/** Jobs the follower still watches (submitted, not yet settled). */
export function activeClusterJobs(db: Db): ClusterJobRow[] {
  return db.prepare('SELECT * FROM cluster_jobs WHERE done = 0 AND array_job_id IS NOT NULL ORDER BY run_id').all() as ClusterJobRow[];
}

export function updateClusterJob(db: Db, runId: number, patch: Partial<Omit<ClusterJobRow, 'run_id'>>): void {
  const keys = Object.keys(patch);
  if (!keys.length) return;
  db.prepare(`UPDATE cluster_jobs SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE run_id = @run_id`).run({ ...patch, run_id: runId });
}

export function isClusterRun(db: Db, runId: number): boolean {
  return db.prepare('SELECT 1 FROM cluster_jobs WHERE run_id = ?').pluck().get(runId) !== undefined;
}

export function clusterJobInfos(db: Db): ClusterJobInfo[] {
  return (db.prepare('SELECT * FROM cluster_jobs ORDER BY run_id').all() as ClusterJobRow[]).map((r) => ({
    runId: r.run_id, profile: r.profile, jobId: r.array_job_id ? `${r.array_job_id}_${r.task}` : '(submitting)',
    node: r.node, state: r.state, slurmState: r.slurm_state, reason: r.reason,
  }));
}
