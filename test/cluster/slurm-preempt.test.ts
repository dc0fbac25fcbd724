// Done-when of issue 15, preemption: a running task is told it will be preempted (Slurm's own
// `scancel --signal=USR2 --batch`, what --signal=B:USR2@N sends before a time limit); the runner
// checkpoints and stops, the job script requeues the task, the requeued task resumes from that
// checkpoint, and the run ends with exactly the parameters of an uninterrupted run. Submitted through
// a local profile (sbatch on this machine's PATH) to the real single-node Slurm.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseClusterProfile, type ClusterProfile } from '../../src-main/common/cluster-profile';
import { openWorkspaceDb, type Db } from '../../src-main/store/db';
import { RunEventBus } from '../../src-main/events';
import { getRun } from '../../src-main/store/runs';
import { getClusterJob } from '../../src-main/store/cluster-jobs';
import { LocalTransport } from '../../src-main/cluster/local-transport';
import { submitSweep } from '../../src-main/cluster/submit';
import { ClusterFollower } from '../../src-main/cluster/follow';
import { run, shq } from '../../src-main/cluster/transport';
import { loadTensors, maxAbsDiff, startRunner, writeConfig } from '../runner/run-cli';
import { ROOT, SLURM_CONF, slurmAvailable } from './slurm';

const why = slurmAvailable();
if (why) console.warn(`skipping the Slurm preemption test: ${why}`);

const STEPS = 3000; // ~12 s of tiny steps here: the signal goes at step 20 (a 1-2 s poll), far before the end

describe.skipIf(why !== null)('preemption on Slurm', () => {
  let dir: string;
  let db: Db;
  let profile: ClusterProfile;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-slurm-preempt-'));
    db = openWorkspaceDb(path.join(dir, 'ws'));
    profile = parseClusterProfile({
      name: 'here', submit: { kind: 'local' }, work_dir: path.join(dir, 'cluster-work'), workbench_dir: ROOT, mem: '1G', cpus_per_task: 1,
      time_limit: '00:30:00', login_setup: [`export SLURM_CONF=${SLURM_CONF}`],
    });
  });
  afterAll(() => {
    db?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('USR2 → checkpoint → requeue → exact resume: final parameters equal an uninterrupted run', async () => {
    const config = {
      model: 'tiny', data: { corpus: path.join(ROOT, 'fixtures/corpus/wordnet-noun-glosses.txt'), tokenizer: path.join(ROOT, 'fixtures/demo-tokenizer') },
      seq_len: 32, batch_size: 4, threads: 1, seed: 2,
      phases: [{ name: 'mlm', objective: 'mlm', mask_rate: 0.3, steps: STEPS, lr: { peak: 1e-3 } }],
    };
    // the uninterrupted reference, straight from the runner CLI
    const straightOut = path.join(dir, 'straight');
    const straight = await startRunner(['train', '--config', writeConfig(dir, 'run.json', config), '--out', straightOut, '--json', '--max-threads', '1']);
    expect(straight.code, straight.stderr).toBe(0);

    const t = new LocalTransport(profile);
    const bus = new RunEventBus();
    const sub = await submitSweep(db, bus, path.join(dir, 'ws'), profile, t, [{ name: 'preempted', config }]);
    const [id] = sub.runIds;
    const task = `${sub.arrayJobId}_0`;
    const follower = new ClusterFollower(db, bus, { profile: () => profile, connect: async (p) => new LocalTransport(p), minIntervalMs: 1000, maxIntervalMs: 2000 });
    let signalled = false, released = false, sawPreempted = false;
    await follower.untilSettled({
      timeoutMs: 20 * 60_000,
      onPoll: async () => {
        const r = getRun(db, id)!;
        const job = getClusterJob(db, id)!;
        if (!signalled && job.state === 'running' && (r.lastStep ?? 0) >= 20) {
          // what Slurm sends before a time limit or a preemption: USR2 to the batch shell
          await run(t, `scancel --signal=USR2 --batch ${shq(task)}`);
          signalled = true;
        }
        if (job.state === 'preempted') sawPreempted = true;
        if (sawPreempted && !released && job.reason === 'BeginTime') {
          // Slurm holds a requeued job back ~2 minutes (BeginTime); an operator may release it at once
          // (the field to update is StartTime: "begintime=now" is refused, "not supported")
          const r2 = await t.exec(`scontrol update jobid=${shq(task)} starttime=now`);
          released = r2.code === 0;
        }
      },
    });
    await follower.close();
    expect(signalled).toBe(true);
    expect(released, 'the requeued task was released from its BeginTime hold').toBe(true);
    const r = getRun(db, id)!;
    expect(r.status, r.error ?? '').toBe('finished');
    const job = getClusterJob(db, id)!;
    expect(sawPreempted).toBe(true);
    expect(job.restarts).toBeGreaterThanOrEqual(1);

    // the run's own account: stopped with a checkpoint, then started again from it
    const events = fs.readFileSync(path.join(sub.jobDir, 'task-0/run/events.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const stopped = events.find((e) => e.type === 'finished' && e.status === 'stopped');
    expect(stopped, 'the runner stopped on USR2').toBeTruthy();
    const resumedFrom = events.filter((e) => e.type === 'started').map((e) => e.resumed_from_step);
    expect(resumedFrom).toEqual([0, stopped.step]);
    expect(stopped.step).toBeGreaterThan(0);
    expect(stopped.step).toBeLessThan(STEPS);
    expect(events.at(-1)).toMatchObject({ type: 'finished', status: 'completed', step: STEPS });

    // final parameters: equal to the uninterrupted run's (pulled home, hash-verified)
    const final = r.checkpoints.find((c) => c.step === STEPS)!;
    expect(final.path.startsWith(r.outDir!)).toBe(true);
    const a = loadTensors(path.join(straightOut, 'checkpoints', `step-${String(STEPS).padStart(8, '0')}`, 'model.safetensors'));
    const b = loadTensors(path.join(final.path, 'model.safetensors'));
    expect(maxAbsDiff(a, b)).toBe(0);
  }, 25 * 60_000);
});
