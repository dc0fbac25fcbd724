// Two `serve` processes on one workspace: the second refuses, names the first, and touches nothing
// (before the lock, it marked the first one's training run "interrupted" and ran its queue).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspaceDb } from '../store/db';
import { createRun, getRun, setRunStatus } from '../store/runs';

const root = path.resolve(__dirname, '..', '..');
let tmp: string;
let first: ChildProcess;

function serve(workspace: string, renderer: string): { child: ChildProcess; output: () => string; exited: Promise<number | null>; url: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src-main/serve/cli.ts'), '--port', '0', '--workspace', workspace, '--renderer', renderer], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = new Promise<string>((resolve) => {
    const on = (b: Buffer) => {
      out += b.toString();
      const m = out.match(/at (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/);
      if (m) resolve(m[1]);
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, output: () => out, exited, url };
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-serve-lock-'));
  fs.mkdirSync(path.join(tmp, 'renderer'));
  fs.writeFileSync(path.join(tmp, 'renderer', 'index.html'), '<!doctype html>');
});
afterAll(async () => {
  if (first && first.exitCode === null) {
    first.kill('SIGTERM');
    await new Promise((r) => first.once('exit', r));
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('one workspace, one serve (item 7)', () => {
  it('a second serve on the same workspace exits with a message naming the first, and leaves its runs alone', async () => {
    const ws = path.join(tmp, 'ws');
    const a = serve(ws, path.join(tmp, 'renderer'));
    first = a.child;
    await a.url;
    // A run the first process is training (as far as the database says).
    const db = openWorkspaceDb(ws);
    const id = createRun(db, { name: 'training under the first serve', config: {} });
    setRunStatus(db, id, 'running', null);
    const b = serve(ws, path.join(tmp, 'renderer'));
    expect(await b.exited).toBe(2);
    expect(b.output()).toMatch(new RegExp(`serve: workspace .* is in use by npm run serve \\(pid ${a.child.pid} on `));
    expect(getRun(db, id)!.status).toBe('running');
    db.close();
    // The first one still answers.
    const r = await fetch((await a.url).replace(/\/\?token=(.*)$/, '/api/workspaceInfo'), { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${(await a.url).split('token=')[1]}` }, body: '{}' });
    expect(r.status).toBe(200);
    // After the first stops (releasing the lock), a new serve starts.
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(fs.existsSync(path.join(ws, 'workbench.lock'))).toBe(false);
    const c = serve(ws, path.join(tmp, 'renderer'));
    first = c.child;
    await c.url;
  });
});
