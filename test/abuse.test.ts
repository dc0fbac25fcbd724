// `npm run serve` survives the scripted abuse run (scripts/abuse.ts) while a real run trains: after
// it the server answers a normal call, PRAGMA integrity_check is ok, and the run lost no metric.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { runAbuse } from '../scripts/abuse';

const root = path.resolve(__dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-abuse-'));
let serve: ChildProcess | null = null;
let stderr = '';
afterAll(async () => {
  if (serve && serve.exitCode === null) {
    serve.kill('SIGTERM');
    await new Promise((r) => serve!.once('exit', r));
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function startServe(workspace: string): Promise<string> {
  fs.mkdirSync(path.join(tmp, 'renderer'), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'renderer', 'index.html'), '<!doctype html>');
  serve = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src-main/serve/cli.ts'), '--port', '0', '--workspace', workspace, '--renderer', path.join(tmp, 'renderer')], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  serve.stderr!.on('data', (b) => (stderr += b));
  return new Promise((resolve, reject) => {
    let out = '';
    serve!.stdout!.on('data', (b) => {
      out += b;
      const m = /at (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(out);
      if (m) resolve(m[1]);
    });
    serve!.on('exit', (c) => reject(new Error(`serve exited with ${c}: ${out}\n${stderr}`)));
  });
}

async function call(url: string, method: string, body: unknown): Promise<{ ok: boolean; value?: any; error?: any }> {
  const u = new URL(url);
  const r = await fetch(`${u.origin}/api/${method}`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${u.searchParams.get('token')}` }, body: JSON.stringify(body) });
  return r.json();
}

describe('abuse run against a real serve (issue 12)', () => {
  it('survives, keeps the database intact and loses no metric of a run training meanwhile', async () => {
    const workspace = path.join(tmp, 'ws');
    const url = await startServe(workspace);
    const steps = 30;
    const created = await call(url, 'createRun', { name: 'trains during the abuse', config: {
      model: 'tiny', data: path.join(root, 'fixtures/corpus/wordnet-noun-glosses.txt'), seq_len: 32, batch_size: 4, seed: 1, checkpoint_every: 10,
      phases: [{ name: 'mlm', objective: 'mlm', mask_rate: 0.3, steps, lr: { peak: 1e-3, warmup: 1, shape: 'constant' } }],
    } });
    expect(created.ok, JSON.stringify(created)).toBe(true);
    const report = await runAbuse(url, { seed: 7, cases: 150, seconds: 40 });
    expect(report.failures).toEqual([]);
    expect(report.cases).toBeGreaterThanOrEqual(50);
    let run;
    for (let i = 0; i < 240; i++) {
      run = (await call(url, 'getRun', { id: created.value.id })).value;
      if (!['queued', 'running'].includes(run.status)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(run.status, run.error).toBe('finished');
    expect(serve!.exitCode).toBeNull();
    serve!.kill('SIGTERM');
    await new Promise((r) => serve!.once('exit', r));
    const db = new Database(path.join(workspace, 'workbench.db'), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const lossSteps = db.prepare("SELECT step FROM metrics WHERE run_id = ? AND name_id = (SELECT id FROM metric_names WHERE name = 'loss') ORDER BY step").pluck().all(created.value.id);
    expect(lossSteps).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
    db.close();
  });
});
