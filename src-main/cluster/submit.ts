// Submitting a sweep to a cluster: check every run config (the queue's own checks), create the runs
// (marked as cluster runs in the same transaction, so the local queue never starts them), upload the
// bundle, write the per-task configs, the manifest and the job script, and submit one job array. If
// anything fails after the runs exist, they fail with the reason (sbatch's own error text included).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ClusterProfile } from '../common/cluster-profile';
import type { Db } from '../store/db';
import type { RunEventBus } from '../events';
import { getRun, setRunStatus } from '../store/runs';
import { addClusterJob, setArrayJobId } from '../store/cluster-jobs';
import { checkRun, registerRun, type CheckedRun } from '../runs/queue';
import { planBundle, uploadBundle } from './bundle';
import { jobScript, sbatchArgs } from './job-script';
import { run, shPath, shq, type ClusterTransport } from './transport';

/** In a cluster run's local folder: the cluster folder of its submission and where its bundled inputs came from. */
export const CLUSTER_HOMES_FILE = 'cluster-bundle.json';

function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

export interface SweepRunInput { config: unknown; name?: string }
export interface SubmitResult { arrayJobId: string; runIds: number[]; jobDir: string }

/** Absolute form of a profile folder on the cluster (creating it when `create`). */
async function resolveDir(t: ClusterTransport, dir: string, create: boolean, what: string): Promise<string> {
  const r = await t.exec(`${create ? `mkdir -p ${shPath(dir)} && ` : ''}cd ${shPath(dir)} && pwd -P`);
  if (r.code !== 0) throw new Error(`${what} ${dir} on ${t.where}: ${r.stderr.trim() || `exit ${r.code}`}`);
  return r.stdout.trim();
}

/** sbatch --parsable prints "<id>" or "<id>;<cluster>". */
export function parseSbatchId(stdout: string): string {
  const m = /^(\d+)(;\S+)?\s*$/.exec(stdout.trim().split('\n').pop() ?? '');
  if (!m) throw new Error(`sbatch answered ${JSON.stringify(stdout.trim())}, not a job id`);
  return m[1];
}

export async function submitSweep(
  db: Db, events: RunEventBus, workspaceDir: string, profile: ClusterProfile, t: ClusterTransport,
  runs: SweepRunInput[], opts: { sweep?: string; baseDir?: string } = {},
): Promise<SubmitResult> {
  if (!runs.length) throw new Error('a sweep needs at least one run');
  // 1. every config is checked before anything is written or sent
  const checked: CheckedRun[] = runs.map((r, i) => {
    try { return checkRun(r.config, workspaceDir, opts.baseDir); } catch (e) { throw Object.assign(e as Error, { message: `runs[${i}]${r.name ? ` (${r.name})` : ''}: ${(e as Error).message}` }); }
  });
  const work = await resolveDir(t, profile.work_dir, true, 'work_dir');
  const wb = await resolveDir(t, profile.workbench_dir, false, 'workbench_dir');
  const probe = await t.exec(`test -f ${shq(`${wb}/native-runner/cli.ts`)} && test -d ${shq(`${wb}/node_modules/tsx`)}`);
  if (probe.code !== 0) throw new Error(`workbench_dir ${wb} on ${t.where} is not a checkout of the workbench with its packages installed (native-runner/cli.ts and node_modules/tsx are needed; run npm ci there)`);
  const plan = planBundle(checked.map((c) => c.raw), profile, work);
  const tag = `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${crypto.randomBytes(3).toString('hex')}`;
  const jobDir = `${work}/jobs/${tag}`;

  // 2. the runs, marked as this cluster's in the same transaction as their creation
  const runIds = checked.map((c, i) => registerRun(db, workspaceDir, c, { name: runs[i].name, sweep: opts.sweep },
    (id) => addClusterJob(db, { runId: id, profile: profile.name, task: i, jobDir })));
  for (const id of runIds) events.emit({ type: 'run-created', run: getRun(db, id)! });
  const failAll = (message: string) => {
    for (const id of runIds) {
      setRunStatus(db, id, 'failed', message);
      events.emit({ type: 'run-status', runId: id, status: 'failed', error: message });
    }
  };

  try {
    // 3. bundle, task configs, manifest, job script
    await uploadBundle(t, plan);
    for (let i = 0; i < runIds.length; i++) await t.writeFile(`${jobDir}/task-${i}/run.json`, JSON.stringify(plan.configs[i], null, 2) + '\n');
    await t.writeFile(`${jobDir}/manifest.json`, JSON.stringify(runIds.map((id, i) => ({ task: i, run_id: id, name: getRun(db, id)!.name })), null, 2) + '\n');
    // where each bundled input came from: the follower maps cluster paths in events back to them
    const homes = JSON.stringify({ job_dir: jobDir, homes: Object.fromEntries(plan.homes) }, null, 2) + '\n';
    for (const id of runIds) writeFileAtomic(path.join(getRun(db, id)!.outDir!, CLUSTER_HOMES_FILE), homes);
    await t.writeFile(`${jobDir}/job.sh`, jobScript(profile, jobDir, wb), 0o755);
    // 4. one job array
    const out = await run(t, `cd ${shq(jobDir)} && sbatch ${sbatchArgs(profile, jobDir, runIds.length, `wb-${tag}`).map(shq).join(' ')} ${shq(`${jobDir}/job.sh`)}`, { label: 'sbatch' });
    const arrayJobId = parseSbatchId(out);
    setArrayJobId(db, runIds, arrayJobId);
    return { arrayJobId, runIds, jobDir };
  } catch (e) {
    failAll(`submission to ${profile.name} failed: ${(e as Error).message}`);
    throw e;
  }
}
