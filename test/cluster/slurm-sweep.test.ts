// Done-when of issue 15, main side: a 2 × 2 tiny sweep (CLM detour / MLM baseline × freeze none / low)
// submitted as one job array to a real Slurm (scripts/slurm-local.sh) through an SSH profile (a real
// sshd on 127.0.0.1, host key checked), followed to the end, its metrics and activations ingested as for
// local runs, the final weights brought home and verified. Then a task that fails shows its stderr.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseClusterProfile, type ClusterProfile } from '../../src-main/common/cluster-profile';
import { expandSweep, recipePhases } from '../../src-main/common/sweep';
import { openWorkspaceDb, type Db } from '../../src-main/store/db';
import { RunEventBus } from '../../src-main/events';
import { getRun } from '../../src-main/store/runs';
import { getClusterJob } from '../../src-main/store/cluster-jobs';
import { modelDirHash } from '../../src-main/analysis/activation-log';
import { SshTransport } from '../../src-main/cluster/ssh-transport';
import { submitSweep } from '../../src-main/cluster/submit';
import { ClusterFollower } from '../../src-main/cluster/follow';
import type { RunEvent } from '../../src-main/common/types';
import { ROOT, SLURM_CONF, slurmAvailable } from './slurm';
import { sshdAvailable, startSshd, type TestSshd } from './sshd';

const why = sshdAvailable() ?? slurmAvailable();
if (why) console.warn(`skipping the Slurm sweep test: ${why}`);

const CORPUS = path.join(ROOT, 'fixtures/corpus/wordnet-noun-glosses.txt');
const TOKENIZER = path.join(ROOT, 'fixtures/demo-tokenizer');

export function tinySweepBase(dir: string): Record<string, unknown> {
  const probe = path.join(dir, 'probe.jsonl');
  fs.writeFileSync(probe, ['a bone of the arm', 'a fever with chills', 'a small boat', 'a cold night', 'a drug for pain', 'the study of plants'].map((text, i) => JSON.stringify({ id: String(i), text })).join('\n') + '\n');
  return { model: 'tiny', data: { corpus: CORPUS, tokenizer: TOKENIZER }, seq_len: 32, batch_size: 4, threads: 1, probe_set: { path: probe, poolings: ['mean'], batch_size: 6 } };
}

/** CLM detour / MLM baseline × freeze none / low, seed 1: 4 tiny runs of 4 + 1 steps. */
export function tinySweepRuns(base: Record<string, unknown>) {
  const perStep = 32 * 4;
  return expandSweep({
    base, seeds: [1], budget: 4 * perStep,
    recipes: [
      { name: 'clm-detour', from: 'clm-detour', phases: recipePhases('clm-detour', 4 * perStep, perStep, 1e-3) },
      { name: 'mlm-baseline', from: 'mlm-baseline', phases: recipePhases('mlm-baseline', 4 * perStep, perStep, 1e-3) },
    ],
    freezes: [{ name: 'none', phases: ['none', null] }, { name: 'low', phases: ['low', null] }],
  }).map((r) => ({ name: r.name, config: r.config }));
}

describe.skipIf(why !== null)('a sweep on Slurm through an SSH profile', () => {
  let sshd: TestSshd;
  let dir: string;
  let db: Db;
  let profile: ClusterProfile;
  const bus = new RunEventBus();
  const log: RunEvent[] = [];
  bus.subscribe({}, (e) => log.push(e));
  beforeAll(async () => {
    sshd = await startSshd();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-slurm-sweep-'));
    fs.chmodSync(dir, 0o755);
    db = openWorkspaceDb(path.join(dir, 'ws'));
    profile = parseClusterProfile({
      name: 'local-ssh', work_dir: path.join(dir, 'cluster-work'), workbench_dir: ROOT, mem: '1G', cpus_per_task: 1, max_parallel: 2, time_limit: '00:20:00',
      login_setup: [`export SLURM_CONF=${SLURM_CONF}`],
      submit: { kind: 'ssh', host: '127.0.0.1', port: sshd.port, user: sshd.user, identity_file: sshd.clientKey, agent: false, known_hosts: sshd.knownHosts },
    });
  }, 60_000);
  afterAll(async () => {
    db?.close();
    await sshd?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('submits one job array, follows it to the end and brings metrics, activations and final models home', async () => {
    const t = await SshTransport.connect(profile);
    const runs = tinySweepRuns(tinySweepBase(dir));
    expect(runs.map((r) => r.name)).toEqual(['clm-detour · freeze none · seed 1', 'clm-detour · freeze low · seed 1', 'mlm-baseline · freeze none · seed 1', 'mlm-baseline · freeze low · seed 1']);
    const sub = await submitSweep(db, bus, path.join(dir, 'ws'), profile, t, runs, { sweep: 'cluster 2x2' });
    await t.close();
    expect(sub.arrayJobId).toMatch(/^\d+$/);
    expect(sub.runIds).toHaveLength(4);
    expect(fs.readdirSync(path.join(profile.work_dir, 'jobs'))).toHaveLength(1);

    const follower = new ClusterFollower(db, bus, { profile: (n) => (n === profile.name ? profile : null), connect: (p) => SshTransport.connect(p), minIntervalMs: 1000, maxIntervalMs: 3000 });
    const seen = new Set<string>();
    await follower.untilSettled({ timeoutMs: 15 * 60_000, onPoll: () => { for (const id of sub.runIds) seen.add(`${getClusterJob(db, id)!.state}`); } });
    await follower.close();

    for (const [i, id] of sub.runIds.entries()) {
      const r = getRun(db, id)!;
      expect(r.status, `${r.name}: ${r.error}`).toBe('finished');
      expect(r.sweep).toBe('cluster 2x2');
      const job = getClusterJob(db, id)!;
      expect(job).toMatchObject({ array_job_id: sub.arrayJobId, task: i, state: 'finished', node: 'wbnode', done: 1 });
      // metrics: every step's loss, as a local run records them
      const losses = db.prepare(`SELECT step FROM metrics m JOIN metric_names n ON n.id = m.name_id WHERE m.run_id = ? AND n.name = 'loss' ORDER BY step`).pluck().all(id);
      expect(losses).toEqual([1, 2, 3, 4, 5]);
      // checkpoints with local paths; activations of the start model and both phase ends ingested
      const cks = r.checkpoints.filter((c) => c.path.startsWith(r.outDir!));
      expect(cks.map((c) => c.step).sort((a, b) => a! - b!)).toEqual([0, 4, 5]);
      for (const c of cks) expect(db.prepare(`SELECT count(DISTINCT layer) FROM activations WHERE checkpoint_id = ? AND pooling = 'mean'`).pluck().get(c.id), `activations of ${c.path}`).toBe(5);
      // the final weights came home, verified: same hash as the cluster's file and as the checkpoint row
      const final = cks.find((c) => c.step === 5)!;
      const remoteFinal = path.join(sub.jobDir, `task-${i}`, 'run', path.relative(r.outDir!, final.path), 'model.safetensors');
      expect(fs.readFileSync(path.join(final.path, 'model.safetensors')).equals(fs.readFileSync(remoteFinal))).toBe(true);
      expect(final.sha256).toBe(modelDirHash(final.path));
    }
    expect(seen.has('running') || seen.has('finished')).toBe(true);
    expect(log.some((e) => e.type === 'run-progress')).toBe(true);
  }, 20 * 60_000);
});
