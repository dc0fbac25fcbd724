// "Test" on the cluster page: can we reach the submit host, does Slurm answer, does a tiny job run with
// this profile's partition, account, memory and time settings. Each step says what it found.
import type { ClusterProfile, ProbeStep } from '../common/cluster-profile';
import { connectProfile } from './connect';
import { parseSbatchId } from './submit';
import { shPath, shq } from './transport';

export async function probeProfile(p: ClusterProfile, opts: { jobTimeoutS?: number } = {}): Promise<ProbeStep[]> {
  const steps: ProbeStep[] = [];
  let t;
  try {
    t = await connectProfile(p);
    steps.push({ step: 'connect', ok: true, detail: t.where });
  } catch (e) {
    steps.push({ step: 'connect', ok: false, detail: (e as Error).message });
    return steps;
  }
  try {
    const sinfo = await t.exec(`sinfo ${p.partition ? `--partition=${shq(p.partition)} ` : ''}-h -o '%P %a %D nodes %t %c CPUs %m MiB'`, { timeoutMs: 60_000 });
    steps.push({ step: 'sinfo', ok: sinfo.code === 0 && sinfo.stdout.trim() !== '', detail: (sinfo.stdout.trim() || sinfo.stderr.trim() || `exit ${sinfo.code}, no partitions`).split('\n').slice(0, 8).join('\n') });
    if (!steps.at(-1)!.ok) return steps;
    const wd = await t.exec(`mkdir -p ${shPath(p.work_dir)} && test -w ${shPath(p.work_dir)} && test -f ${shPath(p.workbench_dir)}/native-runner/cli.ts && echo ok`);
    steps.push({ step: 'folders', ok: wd.code === 0, detail: wd.code === 0 ? `${p.work_dir} writable; ${p.workbench_dir} holds the workbench` : (wd.stderr.trim() || `${p.work_dir} not writable or ${p.workbench_dir}/native-runner/cli.ts missing`) });
    if (!steps.at(-1)!.ok) return steps;
    const args = [`--mem=${p.mem}`, `--cpus-per-task=1`, '--time=00:02:00', '--job-name=wb-probe', '--output=/dev/null', '--parsable', '--wait',
      ...(p.partition ? [`--partition=${p.partition}`] : []), ...(p.account ? [`--account=${p.account}`] : []), ...(p.qos ? [`--qos=${p.qos}`] : []), ...(p.gres ? [`--gres=${p.gres}`] : [])];
    const job = await t.exec(`cd ${shPath(p.work_dir)} && sbatch ${args.map(shq).join(' ')} --wrap=${shq(`${p.setup.join('; ')}${p.setup.length ? '; ' : ''}${p.node} --version`)}`, { timeoutMs: (opts.jobTimeoutS ?? 300) * 1000 });
    let id = '';
    try { id = parseSbatchId(job.stdout); } catch { /* the error text says why */ }
    steps.push({ step: 'probe job', ok: job.code === 0, detail: job.code === 0 ? `job ${id} ran and exited 0` : (job.stderr.trim() || job.stdout.trim() || `sbatch exit ${job.code}`) });
  } finally {
    await t.close();
  }
  return steps;
}
