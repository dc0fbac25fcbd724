// A throwaway OpenSSH server on 127.0.0.1 for the cluster tests: its own host key, one client key in
// its authorized_keys, a known_hosts file holding its host key. Needs Debian's openssh-server and
// root (or the same user) to log in as this user. Nothing here disables host-key checking: the tests
// reach it exactly as a user reaches a login node.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface TestSshd {
  port: number;
  user: string;
  dir: string;
  clientKey: string;        // private key file (no passphrase)
  knownHosts: string;       // holds this server's host key as [127.0.0.1]:port
  otherKnownHosts: string;  // holds a different key for the same host (a "changed host key")
  stop(): Promise<void>;
}

export function sshdAvailable(): string | null {
  if (!fs.existsSync('/usr/sbin/sshd')) return 'openssh-server is not installed (apt-get install -y openssh-server)';
  try { execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' }); } catch (e) { if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'ssh-keygen not found'; }
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}

function keygen(file: string): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'workbench-test', '-f', file]);
  return fs.readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
}

export async function startSshd(): Promise<TestSshd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-sshd-'));
  const port = await freePort();
  const hostPub = keygen(path.join(dir, 'host_key'));
  const otherPub = keygen(path.join(dir, 'other_host_key'));
  const clientPub = keygen(path.join(dir, 'client_key'));
  fs.writeFileSync(path.join(dir, 'authorized_keys'), `${clientPub}\n`, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostPub}\n`);
  fs.writeFileSync(path.join(dir, 'known_hosts_other'), `[127.0.0.1]:${port} ${otherPub}\n`);
  const config = path.join(dir, 'sshd_config');
  fs.writeFileSync(config, [
    `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${path.join(dir, 'host_key')}`,
    `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`, 'PasswordAuthentication no', 'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password', 'UsePAM no', 'StrictModes no', `PidFile ${path.join(dir, 'sshd.pid')}`,
    'Subsystem sftp internal-sftp', 'MaxSessions 50', 'MaxStartups 50', 'LogLevel ERROR',
  ].join('\n') + '\n');
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  // ready when the port accepts connections (sshd -D listens before it serves)
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`sshd exited: ${stderr}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => { c.end(); resolve(true); });
      c.on('error', () => resolve(false));
    });
    if (ok) break;
    if (i > 200) throw new Error(`sshd did not listen on ${port}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port, user: os.userInfo().username, dir, clientKey: path.join(dir, 'client_key'),
    knownHosts: path.join(dir, 'known_hosts'), otherKnownHosts: path.join(dir, 'known_hosts_other'),
    async stop() {
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
