// The submit host is this machine (the app runs on a login node in browser mode): commands run in a
// local bash, files are plain file-system operations. Remote paths starting with ~/ mean this user's home.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ClusterProfile } from '../common/cluster-profile';
import { withLoginSetup, type ClusterTransport, type ExecResult } from './transport';

function expand(p: string): string {
  return p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : p;
}

export class LocalTransport implements ClusterTransport {
  readonly where = 'this machine';
  constructor(private profile: Pick<ClusterProfile, 'login_setup'>) {}

  exec(command: string, opts: { timeoutMs?: number } = {}): Promise<ExecResult> {
    return new Promise((resolve) => {
      const child = spawn('bash', ['-c', withLoginSetup(this.profile, command)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '', stderr = '';
      child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
      child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
      const timer = opts.timeoutMs ? setTimeout(() => { stderr += `\n(timed out after ${opts.timeoutMs} ms)`; child.kill('SIGKILL'); }, opts.timeoutMs) : null;
      child.on('error', (e) => { if (timer) clearTimeout(timer); resolve({ code: 127, stdout, stderr: stderr + e.message }); });
      child.on('close', (code, signal) => { if (timer) clearTimeout(timer); resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }); });
    });
  }

  async writeFile(remotePath: string, data: Buffer | string, mode = 0o644): Promise<void> {
    const p = expand(remotePath);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    const tmp = `${p}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, data, { mode });
    fs.renameSync(tmp, p);
  }

  async upload(localPath: string, remotePath: string): Promise<void> {
    const p = expand(remotePath);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    const tmp = `${p}.tmp-${process.pid}`;
    fs.copyFileSync(localPath, tmp);
    fs.renameSync(tmp, p);
  }

  async readRange(remotePath: string, offset: number, max: number): Promise<Buffer | null> {
    let fd: number;
    try { fd = fs.openSync(expand(remotePath), 'r'); } catch (e) { if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null; throw e; }
    try {
      const buf = Buffer.alloc(max);
      const n = fs.readSync(fd, buf, 0, max, offset);
      return buf.subarray(0, n);
    } finally { fs.closeSync(fd); }
  }

  async size(remotePath: string): Promise<number | null> {
    try { return fs.statSync(expand(remotePath)).size; } catch (e) { if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null; throw e; }
  }

  async close(): Promise<void> {}
}
