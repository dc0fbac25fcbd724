// The sbatch side of a sweep: one job array, one task per run. The job script runs the headless
// runner on its task's row of the manifest and leaves an exit file the workbench reads once squeue no
// longer lists the task (no accounting database needed, so no sacct).
//
// Folder of one submitted sweep on the cluster (W = the profile's work_dir):
//   W/bundle/<sha256>/<name>            content-addressed inputs (model, tokenizer, probe set, corpora)
//   W/jobs/<tag>/job.sh                 this script
//   W/jobs/<tag>/manifest.json          [{task, run_id, name}] (for people; the script needs only the index)
//   W/jobs/<tag>/task-<i>/run.json      the run config with cluster paths
//   W/jobs/<tag>/task-<i>/run/          the runner's --out: events.ndjson, checkpoints/, activations
//   W/jobs/<tag>/task-<i>/slurm.out|err the task's stdout / stderr (appended across requeues)
//   W/jobs/<tag>/task-<i>/exit.json     {state, code, restarts, node} written by the script on exit
//
// Preemption and time limits: sbatch --signal=B:USR2@N sends SIGUSR2 to this script N seconds before
// the end; the script passes it to the runner, which checkpoints and exits with code 2, and the
// script requeues its own task (scontrol requeue). The requeued task starts the runner with --resume:
// the existing exact resume (same data cursor, RNG and optimizer state).
import type { ClusterProfile } from '../common/cluster-profile';
import { MALLOC_TUNABLES } from '../../native-runner/util/malloc-tunables';
import { shq } from './transport';

/** sbatch arguments (besides the script) for an array of `tasks` tasks in `jobDir` (absolute). */
export function sbatchArgs(p: ClusterProfile, jobDir: string, tasks: number, jobName: string): string[] {
  const args = [
    '--parsable', `--array=0-${tasks - 1}%${Math.min(p.max_parallel, tasks)}`, `--job-name=${jobName}`,
    `--output=${jobDir}/task-%a/slurm.out`, `--error=${jobDir}/task-%a/slurm.err`, '--open-mode=append',
    `--mem=${p.mem}`, `--cpus-per-task=${p.cpus_per_task}`, `--time=${p.time_limit}`,
    `--signal=B:USR2@${p.signal_seconds}`, '--requeue',
  ];
  if (p.partition) args.push(`--partition=${p.partition}`);
  if (p.account) args.push(`--account=${p.account}`);
  if (p.qos) args.push(`--qos=${p.qos}`);
  if (p.gres) args.push(`--gres=${p.gres}`);
  return args;
}

/** The job script (bash). Paths must be absolute (resolved on the cluster before submission). */
export function jobScript(p: ClusterProfile, jobDir: string, workbenchDir: string): string {
  return `#!/bin/bash
# written by the encoder workbench (src-main/cluster/job-script.ts); one task = one run
set -u
task_dir=${shq(jobDir)}/task-\${SLURM_ARRAY_TASK_ID}
restarts=\${SLURM_RESTART_COUNT:-0}
write_exit() {  # state code
  printf '{"state":"%s","code":%s,"restarts":%s,"node":"%s","job":"%s"}\\n' "$1" "$2" "$restarts" "\${SLURMD_NODENAME:-$(hostname)}" "\${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID}" > "$task_dir/exit.json.tmp" && mv -f "$task_dir/exit.json.tmp" "$task_dir/exit.json"
}
rm -f "$task_dir/exit.json"
echo "== task \${SLURM_ARRAY_TASK_ID} of job \${SLURM_ARRAY_JOB_ID} on $(hostname), start $((restarts + 1)) at $(date -u +%FT%TZ)" >&2
# --- profile setup lines (module loads, container) ---
${p.setup.join('\n')}
# ---
cd ${shq(workbenchDir)} || { echo "workbench_dir ${workbenchDir} is missing on $(hostname)" >&2; write_exit failed 1; exit 1; }
# glibc malloc settings the train steps need (native-runner/util/malloc-tunables.ts); set here so the runner does not relaunch itself
export GLIBC_TUNABLES=${MALLOC_TUNABLES.join(':')}
preempted=0
cancelled=0
${shq(p.node)} --import tsx native-runner/cli.ts train --config "$task_dir/run.json" --out "$task_dir/run" --resume --max-threads "\${SLURM_CPUS_PER_TASK:-1}" &
pid=$!
# USR2 (time limit / preemption warning) goes to this shell only: pass it on. scancel's TERM reaches the runner itself.
trap 'preempted=1; kill -USR2 $pid 2>/dev/null' USR2
trap 'cancelled=1' TERM
code=0
while :; do
  wait "$pid"; code=$?
  kill -0 "$pid" 2>/dev/null || break
done
wait "$pid" 2>/dev/null; c=$?; [ "$c" -ne 127 ] && code=$c
if [ "$code" -eq 2 ] && [ "$preempted" -eq 1 ]; then
  write_exit preempted "$code"
  echo "== checkpointed before the time limit / preemption; requeueing" >&2
  scontrol requeue "\${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID}" || { echo "scontrol requeue failed; the run can be resumed from the workbench" >&2; exit 0; }
  exit 0
fi
if [ "$cancelled" -eq 1 ] || { [ "$code" -eq 2 ] && [ "$preempted" -eq 0 ]; }; then write_exit cancelled "$code"; exit "$code"; fi
case "$code" in
  0) write_exit finished 0 ;;
  3) write_exit diverged 3 ;;
  *) write_exit failed "$code" ;;
esac
exit "$code"
`;
}
