// The workspace lock between real processes: a live holder is named and refused, a dead one's lock
// is taken over, a lock from another host is never broken silently.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { acquireWorkspaceLock, LOCK_FILE_NAME, WorkspaceLockedError, type LockHolder } from './workspace-lock';
import { claimSingleInstance } from './single-instance';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-lock-'));
const children: ChildProcess[] = [];
afterEach(() => children.splice(0).forEach((c) => c.exitCode === null && c.kill('SIGKILL')));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A second Node process that takes the lock and holds it until killed; resolves once it has it. */
function holdInChild(dir: string): Promise<ChildProcess> {
  const modulePath = path.join(__dirname, 'workspace-lock.ts');
  const code = `import(${JSON.stringify(modulePath)}).then((m) => { m.acquireWorkspaceLock(${JSON.stringify(dir)}, { purpose: 'test holder' }); console.log('locked'); setInterval(() => {}, 1000); });`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (b) => String(b).includes('locked') && resolve(child));
    child.on('exit', (c) => reject(new Error(`holder exited with ${c}`)));
  });
}

describe('workspace lock (item 7)', () => {
  it('refuses while another live process holds it, naming that process; takes it over once it is gone', async () => {
    const dir = path.join(tmp, 'a');
    const child = await holdInChild(dir);
    let err: unknown;
    try { acquireWorkspaceLock(dir, { purpose: 'second' }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(WorkspaceLockedError);
    expect((err as Error).message).toMatch(new RegExp(`in use by test holder \\(pid ${child.pid} on ${os.hostname()}, since `));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const stale: (LockHolder | null)[] = [];
    const lock = acquireWorkspaceLock(dir, { purpose: 'second', onStale: (p) => stale.push(p) });
    expect(stale).toEqual([expect.objectContaining({ pid: child.pid, purpose: 'test holder' })]);
    expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE_NAME), 'utf8'))).toMatchObject({ pid: process.pid, purpose: 'second' });
    lock.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE_NAME))).toBe(false);
    expect(fs.readdirSync(dir)).toEqual([]); // no temp files left behind
  });

  it('refuses a second holder in the same process', () => {
    const dir = path.join(tmp, 'b');
    const lock = acquireWorkspaceLock(dir, { purpose: 'first' });
    expect(() => acquireWorkspaceLock(dir, { purpose: 'second' })).toThrow(WorkspaceLockedError);
    lock.release();
    acquireWorkspaceLock(dir, { purpose: 'third' }).release();
  });

  it('never breaks a lock held on another host, and says which file to delete', () => {
    const dir = path.join(tmp, 'c');
    fs.mkdirSync(dir);
    const file = path.join(dir, LOCK_FILE_NAME);
    fs.writeFileSync(file, JSON.stringify({ pid: 1, host: 'gpu-node-7', startedAt: '2026-01-01T00:00:00Z', purpose: 'npm run serve' }));
    expect(() => acquireWorkspaceLock(dir, { purpose: 'x' })).toThrow(`in use by npm run serve (pid 1 on gpu-node-7, since 2026-01-01T00:00:00Z). If that process is no longer running, delete ${file}`);
    expect(fs.readFileSync(file, 'utf8')).toContain('gpu-node-7');
  });

  it('takes over an unreadable lock file and does not release a lock that is no longer its own', () => {
    const dir = path.join(tmp, 'd');
    fs.mkdirSync(dir);
    const file = path.join(dir, LOCK_FILE_NAME);
    fs.writeFileSync(file, 'garbage');
    const lock = acquireWorkspaceLock(dir, { purpose: 'x' });
    // Someone else now holds it (the user deleted ours and another process took it): keep theirs.
    fs.writeFileSync(file, JSON.stringify({ pid: 1, host: 'elsewhere', startedAt: 'now', purpose: 'other' }));
    lock.release();
    expect(fs.readFileSync(file, 'utf8')).toContain('elsewhere');
  });
});

describe('desktop single instance (item 7)', () => {
  function fakeApp(gotLock: boolean) {
    const listeners: Record<string, (() => void)[]> = {};
    const calls: string[] = [];
    return {
      calls,
      fire: (e: string) => (listeners[e] ?? []).forEach((l) => l()),
      requestSingleInstanceLock: () => gotLock,
      on: (e: string, l: () => void) => ((listeners[e] ??= []).push(l), undefined),
      quit: () => void calls.push('quit'),
    };
  }
  it('a second instance quits; the first restores and focuses its window', () => {
    const second = fakeApp(false);
    expect(claimSingleInstance(second, () => null)).toBe(false);
    expect(second.calls).toEqual(['quit']);
    const first = fakeApp(true);
    const win = { minimized: true, calls: [] as string[], isMinimized() { return this.minimized; }, restore() { this.calls.push('restore'); }, show() { this.calls.push('show'); }, focus() { this.calls.push('focus'); } };
    expect(claimSingleInstance(first, () => win)).toBe(true);
    first.fire('second-instance');
    expect(win.calls).toEqual(['restore', 'show', 'focus']);
    expect(first.calls).toEqual([]);
    const main = fs.readFileSync(path.join(__dirname, 'index.ts'), 'utf8');
    expect(main).toMatch(/claimSingleInstance\(app,/);
    expect(main).toMatch(/acquireWorkspaceLock\(workspaceDir/);
  });
});
