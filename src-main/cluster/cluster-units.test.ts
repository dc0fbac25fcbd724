// The cluster pieces that need no Slurm: profile validation, known_hosts matching (plain, hashed,
// [host]:port, revoked), squeue --json parsing (a running task and its array's pending remainder, as
// Slurm 22.05 prints them), resumable hash-verified pulls, and the local queue leaving cluster runs alone.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClusterProfileError, parseClusterProfile, parseClusterProfilesFile } from '../common/cluster-profile';
import { verifyHostKey } from './known-hosts';
import { entryOf, mapSlurmState, parseSqueueJson } from './squeue';
import { LocalTransport } from './local-transport';
import { pullFile, remoteFiles } from './pull';
import { parseSbatchId } from './submit';
import { jobScript, sbatchArgs } from './job-script';
import { openWorkspaceDb } from '../store/db';
import { RunEventBus } from '../events';
import { RunQueue, checkRun, registerRun } from '../runs/queue';
import { addClusterJob } from '../store/cluster-jobs';
import { getRun } from '../store/runs';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-cluster-units-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const base = { name: 'hpc', submit: { kind: 'ssh', host: 'login.hpc.example', user: 'me' }, work_dir: '/scratch/me/wb', workbench_dir: '~/encoder-workbench', mem: '16G' };

describe('cluster profiles', () => {
  it('fills defaults and keeps what was given', () => {
    const p = parseClusterProfile({ ...base, gres: 'gpu:1', partition: 'gpu' });
    expect(p).toMatchObject({ submit: { port: 22, agent: true }, time_limit: '01:00:00', cpus_per_task: 1, max_parallel: 4, signal_seconds: 120, corpora: 'copy', pull_models: 'final', node: 'node' });
    expect(sbatchArgs(p, '/scratch/me/wb/jobs/x', 4, 'wb-x')).toEqual(['--parsable', '--array=0-3%4', '--job-name=wb-x', '--output=/scratch/me/wb/jobs/x/task-%a/slurm.out',
      '--error=/scratch/me/wb/jobs/x/task-%a/slurm.err', '--open-mode=append', '--mem=16G', '--cpus-per-task=1', '--time=01:00:00', '--signal=B:USR2@120', '--requeue', '--partition=gpu', '--gres=gpu:1']);
  });
  it('names every bad field, and refuses shell syntax where values reach a command line', () => {
    const bad = () => parseClusterProfile({ ...base, mem: undefined, partition: 'gpu; rm -rf ~', work_dir: 'relative', submit: { kind: 'ssh', host: 'h', user: 'me', password: 'x' } });
    expect(bad).toThrow(ClusterProfileError);
    try { bad(); } catch (e) {
      expect((e as ClusterProfileError).issues).toEqual(expect.arrayContaining([
        'submit.password: unknown field', 'work_dir: must be an absolute path (or start with ~/)', 'partition: not a valid partition', expect.stringMatching(/^mem: /),
      ]));
    }
    expect(() => parseClusterProfilesFile({ format: 'encoder-workbench/cluster-profiles', version: 1, profiles: [base, base] }, 'f.json')).toThrow('profiles[1].name: duplicate profile name "hpc"');
  });
  it('the job script requeues only after a USR2 stop and carries the setup lines', () => {
    const s = jobScript(parseClusterProfile({ ...base, setup: ['module load cuda/12'] }), '/w/jobs/x', '/home/me/wb');
    expect(s).toContain('module load cuda/12\n');
    expect(s).toContain(`if [ "$code" -eq 2 ] && [ "$preempted" -eq 1 ]; then`);
    expect(s).toContain('scontrol requeue "${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"');
    expect(s).toContain("trap 'preempted=1; kill -USR2 $pid 2>/dev/null' USR2");
    expect(parseSbatchId('4242\n')).toBe('4242');
    expect(parseSbatchId('4242;cluster2')).toBe('4242');
    expect(() => parseSbatchId('sbatch: error: x')).toThrow('not a job id');
  });
});

describe('known_hosts', () => {
  const key = (seed: string) => { const t = Buffer.from('ssh-ed25519'); const k = crypto.createHash('sha256').update(seed).digest(); const b = Buffer.alloc(4 + t.length + 4 + 32); b.writeUInt32BE(t.length, 0); t.copy(b, 4); b.writeUInt32BE(32, 4 + t.length); k.copy(b, 8 + t.length); return b; };
  const good = key('good'), other = key('other');
  const hashed = (name: string) => { const salt = crypto.randomBytes(20); return `|1|${salt.toString('base64')}|${crypto.createHmac('sha1', salt).update(name).digest('base64')}`; };
  const file = path.join(dir, 'known_hosts');
  it('accepts a plain or hashed entry for [host]:port, refuses a changed, unknown or revoked key', () => {
    fs.writeFileSync(file, `# comment\nlogin.example ssh-ed25519 ${other.toString('base64')}\n${hashed('[10.0.0.5]:2222')} ssh-ed25519 ${good.toString('base64')}\n[h2]:22,h3 ssh-ed25519 ${good.toString('base64')}\n@revoked h4 ssh-ed25519 ${good.toString('base64')}\nh4 ssh-ed25519 ${good.toString('base64')}\n`);
    expect(() => verifyHostKey(file, '10.0.0.5', 2222, good)).not.toThrow();
    expect(() => verifyHostKey(file, 'h3', 22, good)).not.toThrow();
    expect(() => verifyHostKey(file, '10.0.0.5', 22, good)).toThrow(/10\.0\.0\.5 is not in .*known_hosts: it presented ssh-ed25519 SHA256:/);
    expect(() => verifyHostKey(file, 'login.example', 22, good)).toThrow(/HOST KEY MISMATCH for login\.example.*line 2/);
    expect(() => verifyHostKey(file, 'h4', 22, good)).toThrow(/marked @revoked/);
    expect(() => verifyHostKey(path.join(dir, 'none'), 'h', 22, good)).toThrow(/cannot be read \(ENOENT\)/);
  });
});

describe('squeue --json', () => {
  // as Slurm 22.05 prints a %1-throttled array: task 0 running, the rest one pending record
  const doc = JSON.stringify({ jobs: [
    { job_id: 22, array_job_id: 21, array_task_id: 0, array_task_string: '', job_state: 'RUNNING', state_reason: 'None', nodes: 'wbnode', restart_cnt: 0 },
    { job_id: 21, array_job_id: 21, array_task_id: null, array_task_string: '1-5%1', job_state: 'PENDING', state_reason: 'JobArrayTaskLimit', nodes: '', restart_cnt: 0 },
    { job_id: 30, array_job_id: 0, array_task_id: null, job_state: 'RUNNING', nodes: 'n1' },
  ] });
  it('finds each task, in its own record or its array\'s pending one; other jobs are left out', () => {
    const e = parseSqueueJson(doc, new Set(['21']));
    expect(e).toHaveLength(2);
    expect(entryOf(e, '21', 0)).toMatchObject({ state: 'RUNNING', node: 'wbnode', reason: null });
    expect(entryOf(e, '21', 4)).toMatchObject({ state: 'PENDING', reason: 'JobArrayTaskLimit', node: null });
    expect(entryOf(e, '21', 6)).toBeNull();
    expect(() => parseSqueueJson('squeue: error: …', new Set())).toThrow(/not JSON/);
    expect(['PENDING', 'REQUEUED', 'RUNNING', 'COMPLETED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY'].map(mapSlurmState)).toEqual(['pending', 'pending', 'running', 'finished', 'cancelled', 'timeout', 'failed']);
  });
});

describe('pulling results home', () => {
  it('resumes a partial copy, verifies the hash, and starts over on a damaged part', async () => {
    const t = new LocalTransport({ login_setup: [] });
    const remoteDir = path.join(dir, 'remote');
    fs.mkdirSync(path.join(remoteDir, 'sub'), { recursive: true });
    const data = crypto.randomBytes(3 << 20);
    fs.writeFileSync(path.join(remoteDir, 'sub', 'model.safetensors'), data);
    const [f] = await remoteFiles(t, remoteDir);
    expect(f).toEqual({ rel: 'sub/model.safetensors', size: data.length, sha256: crypto.createHash('sha256').update(data).digest('hex') });
    const local = path.join(dir, 'home', 'model.safetensors');
    fs.mkdirSync(path.dirname(local), { recursive: true });
    fs.writeFileSync(`${local}.part`, data.subarray(0, 1 << 20)); // an interrupted earlier copy
    expect(await pullFile(t, path.join(remoteDir, f.rel), local, f)).toBe(2 << 20);
    expect(fs.readFileSync(local).equals(data)).toBe(true);
    expect(await pullFile(t, path.join(remoteDir, f.rel), local, f)).toBe(0); // already home
    fs.rmSync(local);
    fs.writeFileSync(`${local}.part`, Buffer.alloc(1 << 20, 1)); // a damaged part: the hash catches it
    expect(await pullFile(t, path.join(remoteDir, f.rel), local, f)).toBe(data.length + (2 << 20));
    expect(fs.readFileSync(local).equals(data)).toBe(true);
    await expect(pullFile(t, path.join(remoteDir, f.rel), path.join(dir, 'home', 'x'), { ...f, sha256: '0'.repeat(64) })).rejects.toThrow(/sha256 does not match .* after two attempts/);
  });
});

describe('the local queue and cluster runs', () => {
  it('never starts or interrupts a run that is queued or running on a cluster', async () => {
    const ws = path.join(dir, 'ws');
    const db = openWorkspaceDb(ws);
    const cfg = { model: 'tiny', data: { corpus: path.resolve(__dirname, '../../fixtures/corpus/wordnet-noun-glosses.txt') }, seq_len: 16, batch_size: 2, phases: [{ name: 'p', objective: 'clm', steps: 1, lr: { peak: 1e-3 } }] };
    const id = registerRun(db, ws, checkRun(cfg, ws), { name: 'on the cluster' }, (rid) => addClusterJob(db, { runId: rid, profile: 'hpc', task: 0, jobDir: '/w/jobs/x' }));
    let spawned = 0;
    const q = new RunQueue(db, new RunEventBus(), { workspaceDir: ws, spawner: () => { spawned++; throw new Error('must not spawn'); } });
    q.setConcurrency(1);
    expect(q.recover()).toEqual([]);
    await q.idle();
    expect(spawned).toBe(0);
    expect(getRun(db, id)!.status).toBe('queued');
    db.prepare("UPDATE runs SET status = 'running' WHERE id = ?").run(id);
    expect(q.recover()).toEqual([]);
    expect(getRun(db, id)!.status).toBe('running');
    await q.close();
    db.close();
  });
});
