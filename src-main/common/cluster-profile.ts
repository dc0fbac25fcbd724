// Cluster profiles: where and how a sweep runs on a Slurm cluster. One schema for the main side (which
// reads WORKSPACE/cluster-profiles.json), the renderer (the cluster page, the Run-on picker) and the
// tests. Pure: imports neither node nor electron.
//
// A profile file (JSON):
//   { "format": "encoder-workbench/cluster-profiles", "version": 1,
//     "profiles": [ { "name": "hpc", "submit": { "kind": "ssh", "host": "login.hpc.example", "user": "me" },
//                     "work_dir": "/scratch/me/wb", "workbench_dir": "/home/me/encoder-workbench",
//                     "mem": "16G", "time_limit": "04:00:00", "gres": "gpu:1", "partition": "gpu" } ] }
// No secret is ever stored here: SSH authenticates with the agent or a key file the user names, and
// the host key is checked against known_hosts (docs/cluster.md, "Security model").
import { z } from 'zod';

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: 'use letters, digits, . _ - (at most 64, starting with a letter or digit)' });
const absPath = z.string().min(1).refine((s) => s.startsWith('/') || s.startsWith('~/'), { error: 'must be an absolute path (or start with ~/)' })
  .refine((s) => !/[\n\r\0'"`$\\]/.test(s.replace(/^~\//, '')), { error: 'must not contain quotes, $, backslashes or line breaks' });
// Values that end up on the sbatch command line: plain tokens only (no shell syntax to escape).
const token = (what: string, re: RegExp) => z.string().regex(re, { error: `not a valid ${what}` });

export const SshSubmitSchema = z.strictObject({
  kind: z.literal('ssh'),
  host: z.string().min(1).regex(/^[A-Za-z0-9.:_\[\]-]+$/, { error: 'not a host name or address' }),
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().min(1).regex(/^[A-Za-z0-9._-]+$/, { error: 'not a user name' }),
  identity_file: z.string().min(1).optional(),   // private key file (unencrypted, or use the agent); absent: agent only
  agent: z.boolean().default(true),               // use SSH_AUTH_SOCK when it is set
  known_hosts: z.string().min(1).optional(),      // default ~/.ssh/known_hosts
});
export const LocalSubmitSchema = z.strictObject({ kind: z.literal('local') }); // sbatch on this machine's PATH

export const ClusterProfileSchema = z.strictObject({
  name,
  submit: z.discriminatedUnion('kind', [LocalSubmitSchema, SshSubmitSchema], { error: 'expected {kind: "local"} or {kind: "ssh", host, user, …}' }),
  work_dir: absPath,                  // remote work folder: bundles, job scripts, run folders
  workbench_dir: absPath,             // a checkout of this workbench on the cluster (npm ci done there)
  node: z.string().min(1).regex(/^[A-Za-z0-9_./~-]+$/, { error: 'not a command name or path' }).default('node'),
  partition: token('partition', /^[A-Za-z0-9_,.-]+$/).optional(),
  account: token('account', /^[A-Za-z0-9_.-]+$/).optional(),
  qos: token('QOS', /^[A-Za-z0-9_.-]+$/).optional(),
  time_limit: token('time limit (e.g. 04:00:00 or 1-00:00:00)', /^(\d+-)?\d{1,3}(:\d{2}){0,2}$/).default('01:00:00'),
  gres: token('--gres value (e.g. gpu:1)', /^[A-Za-z0-9_:,.-]+$/).optional(),
  cpus_per_task: z.number().int().min(1).max(1024).default(1),
  mem: token('memory (e.g. 4G, 16000M)', /^\d+[KMGT]?$/),   // always passed as --mem (no default: a cluster's default may be tiny)
  max_parallel: z.number().int().min(1).max(10000).default(4), // %P of --array
  signal_seconds: z.number().int().min(10).max(3600).default(120), // --signal=B:USR2@N: checkpoint this long before the limit
  setup: z.array(z.string().refine((s) => !/[\n\r]/.test(s), { error: 'one line per entry' })).default([]),       // job-script lines before the runner (module load, container)
  login_setup: z.array(z.string().refine((s) => !/[\n\r]/.test(s), { error: 'one line per entry' })).default([]), // lines before every command on the submit host (module load slurm, export SLURM_CONF=…)
  corpora: z.enum(['copy', 'reference']).default('copy'),  // copy corpora into the bundle, or use the same paths on the cluster
  pull_models: z.enum(['final', 'all', 'none']).default('final'), // which checkpoints' weights come home (activations always do)
});
export type ClusterProfile = z.output<typeof ClusterProfileSchema>;
export type ClusterProfileInput = z.input<typeof ClusterProfileSchema>;

export const CLUSTER_PROFILES_FORMAT = 'encoder-workbench/cluster-profiles';
export const ClusterProfilesFileSchema = z.strictObject({
  format: z.literal(CLUSTER_PROFILES_FORMAT),
  version: z.literal(1),
  profiles: z.array(ClusterProfileSchema),
}).superRefine((f, ctx) => {
  const seen = new Set<string>();
  f.profiles.forEach((p, i) => {
    if (seen.has(p.name)) ctx.addIssue({ code: 'custom', path: ['profiles', i, 'name'], message: `duplicate profile name "${p.name}"` });
    seen.add(p.name);
  });
});
export type ClusterProfilesFile = z.output<typeof ClusterProfilesFileSchema>;

export class ClusterProfileError extends Error {
  constructor(readonly issues: string[], source?: string) {
    super(`invalid cluster profile${source ? `s in ${source}` : ''}:\n  ${issues.join('\n  ')}`);
    this.name = 'ClusterProfileError';
  }
}

function pathText(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s || '(root)';
}

function issuesOf(e: z.ZodError): string[] {
  return e.issues.flatMap((i) => (i.code === 'unrecognized_keys' ? i.keys.map((k) => `${pathText([...i.path, k])}: unknown field`) : [`${pathText(i.path)}: ${i.message}`]));
}

export function parseClusterProfile(raw: unknown): ClusterProfile {
  const r = ClusterProfileSchema.safeParse(raw);
  if (!r.success) throw new ClusterProfileError(issuesOf(r.error));
  return r.data;
}

export function parseClusterProfilesFile(raw: unknown, source?: string): ClusterProfilesFile {
  const r = ClusterProfilesFileSchema.safeParse(raw);
  if (!r.success) throw new ClusterProfileError(issuesOf(r.error), source);
  return r.data;
}

/** Queue-side view of a Slurm job state (squeue's job_state, or a task's own exit file). */
export type ClusterState = 'pending' | 'running' | 'finished' | 'failed' | 'cancelled' | 'timeout' | 'preempted';

/** What the run list shows of a run that runs on a cluster. */
export interface ClusterJobInfo {
  runId: number;
  profile: string;
  jobId: string;            // "<array job id>_<task>"
  node: string | null;
  state: ClusterState;
  slurmState: string | null; // squeue's own word (PENDING, RUNNING, REQUEUED, …) or null once gone
  reason: string | null;     // squeue's state_reason (Resources, Priority, BeginTime, …)
}

/** One step of testing a profile (connect, sinfo, folders, a tiny probe job). */
export interface ProbeStep { step: string; ok: boolean; detail: string }

/** The cluster page's view of the workspace's profiles. */
export interface ClusterProfilesView { file: string; profiles: ClusterProfile[]; error: string | null }
