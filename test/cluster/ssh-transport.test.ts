// The SSH transport against a real sshd on 127.0.0.1: commands and files work, and the failures a user
// meets are named plainly (a changed host key, an unknown host, a host that does not answer).
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseClusterProfile } from '../../src-main/common/cluster-profile';
import { SshTransport } from '../../src-main/cluster/ssh-transport';
import { startSshd, sshdAvailable, type TestSshd } from './sshd';

const why = sshdAvailable();
if (why) console.warn(`skipping the SSH transport tests: ${why}`);

describe.skipIf(why !== null)('SSH transport (real sshd on 127.0.0.1)', () => {
  let sshd: TestSshd;
  beforeAll(async () => { sshd = await startSshd(); }, 60_000);
  afterAll(async () => { await sshd?.stop(); });
  const profile = (over: Record<string, unknown> = {}) => parseClusterProfile({
    name: 't', work_dir: '/tmp/x', workbench_dir: '/tmp/y', mem: '1G',
    submit: { kind: 'ssh', host: '127.0.0.1', port: sshd.port, user: sshd.user, identity_file: sshd.clientKey, agent: false, known_hosts: sshd.knownHosts, ...over },
  });

  it('runs commands, writes and reads files', async () => {
    const t = await SshTransport.connect(profile());
    try {
      const r = await t.exec('echo "$((6*7))"; echo oops >&2; exit 3');
      expect(r).toEqual({ code: 3, stdout: '42\n', stderr: 'oops\n' });
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-ssh-files-'));
      await t.writeFile(path.join(dir, 'a/b.txt'), 'hello world');
      expect(fs.readFileSync(path.join(dir, 'a/b.txt'), 'utf8')).toBe('hello world');
      expect((await t.readRange(path.join(dir, 'a/b.txt'), 6, 100))!.toString()).toBe('world');
      expect(await t.size(path.join(dir, 'a/b.txt'))).toBe(11);
      expect(await t.readRange(path.join(dir, 'nope'), 0, 10)).toBeNull();
      fs.writeFileSync(path.join(dir, 'src.bin'), Buffer.alloc(100_000, 7));
      await t.upload(path.join(dir, 'src.bin'), path.join(dir, 'c/dst.bin'));
      expect(fs.readFileSync(path.join(dir, 'c/dst.bin')).equals(Buffer.alloc(100_000, 7))).toBe(true);
      fs.rmSync(dir, { recursive: true, force: true });
    } finally { await t.close(); }
  }, 60_000);

  it('refuses a host whose key differs from known_hosts, naming both', async () => {
    await expect(SshTransport.connect(profile({ known_hosts: sshd.otherKnownHosts }))).rejects.toThrow(/HOST KEY MISMATCH for \[127\.0\.0\.1\]:\d+: it presented ssh-ed25519 SHA256:/);
  }, 60_000);

  it('refuses a host that is not in known_hosts, with its fingerprint', async () => {
    const empty = path.join(sshd.dir, 'known_hosts_empty');
    fs.writeFileSync(empty, '# nothing\n');
    await expect(SshTransport.connect(profile({ known_hosts: empty }))).rejects.toThrow(/is not in .*known_hosts_empty: it presented ssh-ed25519 SHA256:.*ssh-keyscan/);
  }, 60_000);

  it('says a host cannot be reached', async () => {
    const port = await new Promise<number>((resolve) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); }); });
    const p = parseClusterProfile({ name: 't', work_dir: '/tmp/x', workbench_dir: '/tmp/y', mem: '1G',
      submit: { kind: 'ssh', host: '127.0.0.1', port, user: sshd.user, identity_file: sshd.clientKey, agent: false, known_hosts: sshd.knownHosts } });
    await expect(SshTransport.connect(p)).rejects.toThrow(/cannot reach 127\.0\.0\.1 port \d+ \(ECONNREFUSED\)/);
  }, 60_000);

  it('says the key was refused', async () => {
    const stranger = path.join(sshd.dir, 'other_host_key'); // a valid key that is not in authorized_keys
    await expect(SshTransport.connect(profile({ identity_file: stranger }))).rejects.toThrow(/refused the key/);
  }, 60_000);
});
