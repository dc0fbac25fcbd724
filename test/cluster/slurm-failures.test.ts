// Failures on a cluster are named plainly: sbatch's own error text (the runs fail with it), a task whose
// runner cannot start (its exit file and the last lines of its stderr), and a task that dies before the
// runner (Slurm's own FAILED state, with the stderr tail); and cancel is scancel. Through a local
// profile to the real Slurm.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseClusterProfile, type ClusterProfileInput } from '../../src-main/common/cluster-profile';
import { openWorkspaceDb, type Db } from '../../src-main/store/db';
import { RunEventBus } from '../../src-main/events';
import { getRun } from '../../src-main/store/runs';
import { LocalTransport } from '../../src-main/cluster/local-transport';
import { submitSweep } from '../../src-main/cluster/submit';
import { ClusterFollower } from '../../src-main/cluster/follow';
import { ROOT, SLURM_CONF, slurmAvailable } from './slurm';

const why = slurmAvailable();
if (why) console.warn(`skipping the Slurm failure tests: ${why}`);

describe.skipIf(why !== null)('failures on Slurm are clear', () => {
  let dir: string;
  let db: Db;
  const config = () => ({
    model: 'tiny', data: { corpus: path.join(ROOT, 'fixtures/corpus/wordnet-noun-glosses.txt'), tokenizer: path.join(ROOT, 'fixtures/demo-tokenizer') },
    seq_len: 32, batch_size: 4, threads: 1, phases: [{ name: 'mlm', objective: 'mlm', mask_rate: 0.3, steps: 3, lr: { peak: 1e-3 } }],
  });
  const profile = (over: Partial<ClusterProfileInput>) => parseClusterProfile({
    name: 'here', submit: { kind: 'local' }, work_dir: path.join(dir, 'cluster-work'), workbench_dir: ROOT, mem: '500M', time_limit: '00:05:00',
    login_setup: [`export SLURM_CONF=${SLURM_CONF}`], ...over,
  });
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-slurm-fail-'));
    db = openWorkspaceDb(path.join(dir, 'ws'));
  });
  afterAll(() => {
    db?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const follow = async (p: ReturnType<typeof profile>) => {
    const f = new ClusterFollower(db, new RunEventBus(), { profile: () => p, connect: async (x) => new LocalTransport(x), minIntervalMs: 1000, maxIntervalMs: 2000 });
    await f.untilSettled({ timeoutMs: 5 * 60_000 });
    await f.close();
  };

  it('sbatch refuses a partition: the submission fails with sbatch\'s words, and so do its runs', async () => {
    const p = profile({ partition: 'no-such-partition' });
    const before = db.prepare('SELECT max(id) FROM runs').pluck().get() as number | null;
    await expect(submitSweep(db, new RunEventBus(), path.join(dir, 'ws'), p, new LocalTransport(p), [{ name: 'bad partition', config: config() }]))
      .rejects.toThrow(/sbatch on this machine failed \(exit 1\):\nsbatch: error: invalid partition specified: no-such-partition/);
    const id = db.prepare('SELECT max(id) FROM runs').pluck().get() as number;
    expect(id).toBe((before ?? 0) + 1);
    expect(getRun(db, id)).toMatchObject({ status: 'failed', error: expect.stringContaining('invalid partition specified: no-such-partition') });
  }, 120_000);

  it('a task whose runner cannot start: failed, with the exit code and the stderr tail', async () => {
    const p = profile({ node: 'node-that-is-not-installed' });
    const sub = await submitSweep(db, new RunEventBus(), path.join(dir, 'ws'), p, new LocalTransport(p), [{ name: 'no node', config: config() }]);
    await follow(p);
    const r = getRun(db, sub.runIds[0])!;
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(new RegExp(`task ${sub.arrayJobId}_0 failed on wbnode: exit code 127\\n--- stderr \\(last lines\\) ---\\n.*node-that-is-not-installed: command not found`));
  }, 6 * 60_000);

  it('cancel = scancel: a running task is cancelled and the run says so', async () => {
    const p = profile({});
    const long = { ...config(), phases: [{ name: 'mlm', objective: 'mlm', mask_rate: 0.3, steps: 100_000, lr: { peak: 1e-3 } }] };
    const sub = await submitSweep(db, new RunEventBus(), path.join(dir, 'ws'), p, new LocalTransport(p), [{ name: 'to cancel', config: long }]);
    const f = new ClusterFollower(db, new RunEventBus(), { profile: () => p, connect: async (x) => new LocalTransport(x), minIntervalMs: 1000, maxIntervalMs: 2000 });
    let cancelled = false;
    await f.untilSettled({
      timeoutMs: 5 * 60_000,
      onPoll: async () => {
        if (!cancelled && (getRun(db, sub.runIds[0])!.lastStep ?? 0) > 0) { await f.cancel(sub.runIds[0]); cancelled = true; }
      },
    });
    await f.close();
    expect(cancelled).toBe(true);
    expect(getRun(db, sub.runIds[0])).toMatchObject({ status: 'cancelled', error: null });
  }, 6 * 60_000);

  it('a task that dies in its setup lines: Slurm\'s FAILED state and the stderr tail', async () => {
    const p = profile({ setup: ['echo "module load cuda/99: no such module" >&2', 'exit 3'] });
    const sub = await submitSweep(db, new RunEventBus(), path.join(dir, 'ws'), p, new LocalTransport(p), [{ name: 'bad setup', config: config() }]);
    await follow(p);
    const r = getRun(db, sub.runIds[0])!;
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(new RegExp(`Slurm ended task ${sub.arrayJobId}_0 as FAILED.*\\n--- stderr \\(last lines\\) ---\\nmodule load cuda/99: no such module`));
  }, 6 * 60_000);
});
