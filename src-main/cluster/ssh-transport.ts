// The submit host over SSH (ssh2, pure JS). Authentication: the SSH agent (SSH_AUTH_SOCK) and/or a key
// file the profile names; no password is ever asked for or stored. The host key must be in known_hosts
// (known-hosts.ts): an unknown or changed key ends the connection before anything is sent.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import type { ClusterProfile } from '../common/cluster-profile';
import { HostKeyError, hostKeyAlgorithms, knownKeys, verifyHostKey } from './known-hosts';
import { run, shPath, withLoginSetup, type ClusterTransport, type ExecResult } from './transport';

type SshSubmit = Extract<ClusterProfile['submit'], { kind: 'ssh' }>;

export class SshConnectError extends Error {
  constructor(message: string) { super(message); this.name = 'SshConnectError'; }
}

function expandHome(p: string): string {
  return p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : p;
}

/** sftp takes paths relative to the login folder: ~/x becomes x. */
function sftpPath(p: string): string {
  return p.startsWith('~/') ? p.slice(2) : p;
}

export class SshTransport implements ClusterTransport {
  readonly where: string;
  private client: Client | null = null;
  private sftpP: Promise<SFTPWrapper> | null = null;

  private constructor(private profile: Pick<ClusterProfile, 'login_setup'>, private s: SshSubmit) {
    this.where = `${s.user}@${s.host}:${s.port}`;
  }

  static async connect(profile: Pick<ClusterProfile, 'login_setup' | 'submit'>): Promise<SshTransport> {
    if (profile.submit.kind !== 'ssh') throw new Error('SshTransport needs a profile with submit.kind "ssh"');
    const t = new SshTransport(profile, profile.submit);
    await t.open();
    return t;
  }

  private async open(): Promise<void> {
    const s = this.s;
    const knownHostsFile = expandHome(s.known_hosts ?? '~/.ssh/known_hosts');
    const { keys } = knownKeys(knownHostsFile, s.host, s.port); // throws when the file cannot be read
    const cfg: ConnectConfig = { host: s.host, port: s.port, username: s.user, readyTimeout: 20_000, keepaliveInterval: 15_000 };
    if (keys.length) cfg.algorithms = { serverHostKey: hostKeyAlgorithms(keys) as never };
    if (s.identity_file) {
      try { cfg.privateKey = fs.readFileSync(expandHome(s.identity_file)); } catch (e) {
        throw new SshConnectError(`identity_file ${s.identity_file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
    }
    if (s.agent && process.env.SSH_AUTH_SOCK) cfg.agent = process.env.SSH_AUTH_SOCK;
    if (!cfg.privateKey && !cfg.agent) throw new SshConnectError(`no way to authenticate to ${this.where}: set identity_file in the profile or start an SSH agent (SSH_AUTH_SOCK) holding your key`);
    let hostKeyProblem: Error | null = null;
    cfg.hostVerifier = (key: Buffer) => {
      try { verifyHostKey(knownHostsFile, s.host, s.port, key); return true; } catch (e) { hostKeyProblem = e as Error; return false; }
    };
    const client = new Client();
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve());
      client.once('error', (e: Error & { code?: string; level?: string }) => {
        if (hostKeyProblem) return reject(hostKeyProblem);
        if (e.code === 'ECONNREFUSED' || e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH' || e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN' || e.code === 'ETIMEDOUT')
          return reject(new SshConnectError(`cannot reach ${s.host} port ${s.port} (${e.code}): check the host name, the port, and that you are on a network (VPN) that reaches it`));
        if (/timed out/i.test(e.message)) return reject(new SshConnectError(`${s.host} port ${s.port} did not complete the SSH handshake within 20 s`));
        if (e.level === 'client-authentication') return reject(new SshConnectError(`${this.where} refused the key${cfg.agent ? 's in the agent' : ''}${s.identity_file ? ` (${s.identity_file})` : ''}: is the public key in ~/.ssh/authorized_keys there?`));
        reject(new SshConnectError(`SSH to ${this.where} failed: ${e.message}`));
      });
      client.connect(cfg);
    });
    this.client = client;
  }

  exec(command: string, opts: { timeoutMs?: number } = {}): Promise<ExecResult> {
    const client = this.client!;
    return new Promise((resolve, reject) => {
      // bash -c: the same shell whatever the account's login shell is
      client.exec(`bash -c ${shellArg(withLoginSetup(this.profile, command))}`, (err, stream) => {
        if (err) return reject(new SshConnectError(`SSH to ${this.where}: ${err.message}`));
        let stdout = '', stderr = '';
        const timer = opts.timeoutMs ? setTimeout(() => { stderr += `\n(timed out after ${opts.timeoutMs} ms)`; stream.close(); }, opts.timeoutMs) : null;
        stream.on('data', (b: Buffer) => { stdout += b.toString(); });
        stream.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
        stream.on('close', (code: number | null, signal?: string) => {
          if (timer) clearTimeout(timer);
          resolve({ code: code ?? (signal ? 128 : 255), stdout, stderr });
        });
      });
    });
  }

  private sftp(): Promise<SFTPWrapper> {
    this.sftpP ??= new Promise((resolve, reject) => this.client!.sftp((err, s) => (err ? reject(err) : resolve(s))));
    return this.sftpP;
  }

  private async mkdirFor(remotePath: string): Promise<void> {
    await run(this, `mkdir -p ${shPath(path.posix.dirname(remotePath))}`);
  }

  private async renameOver(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
    // posix-rename@openssh.com replaces the target atomically (plain SFTP rename refuses an existing one)
    await new Promise<void>((resolve, reject) => sftp.ext_openssh_rename(from, to, (e) => (e ? reject(e) : resolve())));
  }

  async writeFile(remotePath: string, data: Buffer | string, mode = 0o644): Promise<void> {
    await this.mkdirFor(remotePath);
    const sftp = await this.sftp();
    const tmp = `${sftpPath(remotePath)}.tmp-${process.pid}`;
    await new Promise<void>((resolve, reject) => sftp.writeFile(tmp, data, { mode }, (e) => (e ? reject(e) : resolve())));
    await this.renameOver(sftp, tmp, sftpPath(remotePath));
  }

  async upload(localPath: string, remotePath: string): Promise<void> {
    await this.mkdirFor(remotePath);
    const sftp = await this.sftp();
    const tmp = `${sftpPath(remotePath)}.tmp-${process.pid}`;
    await new Promise<void>((resolve, reject) => sftp.fastPut(localPath, tmp, (e) => (e ? reject(e) : resolve())));
    await this.renameOver(sftp, tmp, sftpPath(remotePath));
  }

  async readRange(remotePath: string, offset: number, max: number): Promise<Buffer | null> {
    const sftp = await this.sftp();
    const p = sftpPath(remotePath);
    const handle = await new Promise<Buffer | null>((resolve, reject) => sftp.open(p, 'r', (e, h) => {
      if (e) return (e as { code?: number }).code === 2 ? resolve(null) : reject(e); // 2 = SSH_FX_NO_SUCH_FILE
      resolve(h);
    }));
    if (!handle) return null;
    try {
      const out: Buffer[] = [];
      let got = 0;
      while (got < max) {
        const want = Math.min(max - got, 32 * 1024);
        const buf = Buffer.alloc(want);
        const n = await new Promise<number>((resolve, reject) => sftp.read(handle, buf, 0, want, offset + got, (e, bytes) => {
          if (e) return (e as { code?: number }).code === 1 ? resolve(0) : reject(e); // 1 = EOF
          resolve(bytes);
        }));
        if (n <= 0) break;
        out.push(buf.subarray(0, n));
        got += n;
      }
      return Buffer.concat(out);
    } finally {
      await new Promise<void>((resolve) => sftp.close(handle, () => resolve()));
    }
  }

  async size(remotePath: string): Promise<number | null> {
    const sftp = await this.sftp();
    return new Promise((resolve, reject) => sftp.stat(sftpPath(remotePath), (e, st) => {
      if (e) return (e as { code?: number }).code === 2 ? resolve(null) : reject(e);
      resolve(st.size);
    }));
  }

  async close(): Promise<void> {
    this.client?.end();
    this.client = null;
  }
}

function shellArg(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export { HostKeyError };
