// `npm run cluster -- <command> --workspace DIR …`: the cluster path without the UI.
//   profiles                                  list the workspace's profiles (WORKSPACE/cluster-profiles.json)
//   test    --profile NAME                    connect, sinfo, folders, a tiny probe job
//   submit  --profile NAME --sweep FILE [--name LABEL] [--follow]
//                                             a sweep file (New run → Save config) or a run config → one job array
//   follow                                    follow every cluster run of the workspace until all have ended
//   status                                    job id, node and state of every cluster run
//   cancel  --run ID                          scancel a cluster run
// submit/follow/cancel write the workspace, so they take its lock (not while serve or the app has it open:
// there, use the UI). Exit codes: 0 ok, 1 failed (a run failed, a test step failed), 2 bad arguments.
import path from 'node:path';
import fs from 'node:fs';
import { parseArgs } from 'node:util';

const USAGE = `usage: npm run cluster -- profiles|status --workspace DIR
       npm run cluster -- test --workspace DIR --profile NAME
       npm run cluster -- submit --workspace DIR --profile NAME --sweep FILE [--name LABEL] [--follow]
       npm run cluster -- follow --workspace DIR
       npm run cluster -- cancel --workspace DIR --run ID`;

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, strict: true, options: {
      workspace: { type: 'string' }, profile: { type: 'string' }, sweep: { type: 'string' }, name: { type: 'string' },
      follow: { type: 'boolean' }, run: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    } });
  } catch (e) {
    process.stderr.write(`cluster: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) { process.stdout.write(`${USAGE}\n`); return 0; }
  const cmd = positionals[0];
  if (!['profiles', 'test', 'submit', 'follow', 'status', 'cancel'].includes(cmd ?? '') || positionals.length > 1) { process.stderr.write(`cluster: unknown command ${JSON.stringify(positionals.join(' '))}\n${USAGE}\n`); return 2; }
  if (!values.workspace) { process.stderr.write(`cluster: --workspace is required\n${USAGE}\n`); return 2; }
  const ws = path.resolve(values.workspace);
  const { readProfiles, findProfile, profilesPath } = await import('./profiles-file');
  const needProfile = () => {
    if (!values.profile) throw Object.assign(new Error(`--profile is required\n${USAGE}`), { code: 2 });
    const p = findProfile(ws, values.profile);
    if (!p) throw Object.assign(new Error(`no profile named "${values.profile}" in ${profilesPath(ws)} (known: ${readProfiles(ws).map((x) => x.name).join(', ') || 'none'})`), { code: 2 });
    return p;
  };
  try {
    if (cmd === 'profiles') {
      for (const p of readProfiles(ws)) process.stdout.write(`${p.name}\t${p.submit.kind === 'ssh' ? `${p.submit.user}@${p.submit.host}:${p.submit.port}` : 'this machine'}\t${p.work_dir}\n`);
      return 0;
    }
    if (cmd === 'test') {
      const { probeProfile } = await import('./probe');
      const steps = await probeProfile(needProfile());
      for (const s of steps) process.stdout.write(`${s.ok ? 'ok  ' : 'FAIL'} ${s.step}: ${s.detail.replace(/\n/g, '\n       ')}\n`);
      return steps.every((s) => s.ok) && steps.length === 4 ? 0 : 1;
    }
    const { openWorkspaceDb } = await import('../store/db');
    if (cmd === 'status') {
      const db = openWorkspaceDb(ws, { readonly: true });
      const { clusterJobInfos } = await import('../store/cluster-jobs');
      const { getRun } = await import('../store/runs');
      for (const j of clusterJobInfos(db)) {
        const r = getRun(db, j.runId)!;
        process.stdout.write(`run ${j.runId}\t${r.status}\t${j.profile}\tjob ${j.jobId}\t${j.node ?? '-'}\t${j.slurmState ?? j.state}${j.reason ? ` (${j.reason})` : ''}\t${r.name}\n`);
      }
      db.close();
      return 0;
    }
    const { acquireWorkspaceLock } = await import('../workspace-lock');
    const lock = acquireWorkspaceLock(ws, { purpose: `npm run cluster -- ${cmd}` });
    const db = openWorkspaceDb(ws);
    const { RunEventBus } = await import('../events');
    const { workspaceFollower } = await import('./follow');
    const events = new RunEventBus();
    const follower = workspaceFollower(db, events, ws);
    try {
      if (cmd === 'cancel') {
        const id = Number(values.run);
        if (!Number.isInteger(id) || id < 1) throw Object.assign(new Error(`--run needs a run id\n${USAGE}`), { code: 2 });
        await follower.cancel(id);
        process.stdout.write(`scancel sent for run ${id}\n`);
        return 0;
      }
      if (cmd === 'submit') {
        const p = needProfile();
        if (!values.sweep) throw Object.assign(new Error(`--sweep FILE is required\n${USAGE}`), { code: 2 });
        const { sweepFromFile, expandSweep } = await import('../common/sweep');
        const file = path.resolve(values.sweep);
        const runs = expandSweep(sweepFromFile(fs.readFileSync(file, 'utf8'), file)).map((r) => ({ name: r.name, config: r.config }));
        const { connectProfile } = await import('./connect');
        const { submitSweep } = await import('./submit');
        const t = await connectProfile(p);
        try {
          const sub = await submitSweep(db, events, ws, p, t, runs, { sweep: runs.length > 1 ? values.name ?? path.basename(file).replace(/\.json$/, '') : values.name, baseDir: path.dirname(file) });
          process.stdout.write(`submitted ${runs.length} run${runs.length === 1 ? '' : 's'} as job array ${sub.arrayJobId} (runs ${sub.runIds.join(', ')}); cluster folder ${sub.jobDir}\n`);
        } finally { await t.close(); }
        if (!values.follow) return 0;
      }
      // follow (or submit --follow): print state changes and the end of each run
      events.subscribe({}, (e) => {
        if (e.type === 'run-status') process.stderr.write(`run ${e.runId}: ${e.status}${e.error ? `: ${e.error}` : ''}\n`);
        else if (e.type === 'run-log' && e.level !== 'info') process.stderr.write(`run ${e.runId}: ${e.message}\n`);
        else if (e.type === 'run-log' && /^\d+_\d+: /.test(e.message)) process.stderr.write(`run ${e.runId}: ${e.message}\n`);
      });
      await follower.untilSettled({ timeoutMs: 30 * 24 * 3600_000 });
      const { getRun } = await import('../store/runs');
      const failed = db.prepare("SELECT r.id FROM runs r JOIN cluster_jobs c ON c.run_id = r.id WHERE r.status <> 'finished'").pluck().all() as number[];
      process.stdout.write(failed.length ? `runs not finished: ${failed.map((id) => `${id} (${getRun(db, id)!.status})`).join(', ')}\n` : 'every cluster run finished\n');
      return failed.length ? 1 : 0;
    } finally {
      await follower.close();
      db.close();
      lock.release();
    }
  } catch (e) {
    process.stderr.write(`cluster: ${(e as Error).message}\n`);
    return (e as { code?: unknown }).code === 2 ? 2 : 1;
  }
}

main().then((code) => { process.exitCode = code; });
