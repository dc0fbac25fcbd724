// Host-key checking against an OpenSSH known_hosts file, as `ssh` does it (StrictHostKeyChecking=yes):
// a host with no entry is refused with the key's fingerprint and how to add it; a host whose key differs
// is refused loudly. Handles plain and hashed (|1|salt|hash) host fields, [host]:port, comma lists,
// * and ? patterns, negation (!pattern) and @revoked lines; @cert-authority lines are not supported
// (host certificates are refused like an unknown key).
import crypto from 'node:crypto';
import fs from 'node:fs';

export interface KnownKey { type: string; blob: Buffer; line: number }

export class HostKeyError extends Error {
  constructor(message: string) { super(message); this.name = 'HostKeyError'; }
}

/** `host` for port 22, else `[host]:port`, as ssh writes known_hosts. */
export function hostField(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function fingerprint(blob: Buffer): string {
  return `SHA256:${crypto.createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH public-key blob (its first string). */
export function blobType(blob: Buffer): string {
  const n = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + n).toString('latin1');
}

function globMatch(pattern: string, s: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(s);
}

function hostMatches(field: string, name: string): boolean | 'negated' {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    const h = crypto.createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return h === hash;
  }
  let hit = false;
  for (const pat of field.split(',')) {
    if (pat.startsWith('!')) { if (globMatch(pat.slice(1), name)) return 'negated'; }
    else if (globMatch(pat, name)) hit = true;
  }
  return hit;
}

/** The keys known_hosts holds for host:port (revoked keys come back separately). */
export function knownKeys(file: string, host: string, port: number): { keys: KnownKey[]; revoked: KnownKey[] } {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (e) {
    throw new HostKeyError(`known_hosts file ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); the host key of ${hostField(host, port)} must be in it (ssh-keyscan -p ${port} ${host} >> ${file}, after checking the fingerprint)`);
  }
  const name = hostField(host, port);
  const keys: KnownKey[] = [], revoked: KnownKey[] = [];
  text.split('\n').forEach((raw, i) => {
    const l = raw.trim();
    if (!l || l.startsWith('#')) return;
    let parts = l.split(/\s+/);
    let marker: string | null = null;
    if (parts[0].startsWith('@')) { marker = parts[0]; parts = parts.slice(1); }
    if (parts.length < 3 || marker === '@cert-authority') return;
    if (hostMatches(parts[0], name) !== true) return;
    const blob = Buffer.from(parts[2], 'base64');
    const k = { type: parts[1], blob, line: i + 1 };
    (marker === '@revoked' ? revoked : keys).push(k);
  });
  return { keys, revoked };
}

/** Host-key algorithms to offer for the key types known_hosts holds (so the server proves the key we know). */
export function hostKeyAlgorithms(keys: KnownKey[]): string[] {
  const out: string[] = [];
  for (const k of keys) {
    const algos = k.type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [k.type];
    for (const a of algos) if (!out.includes(a)) out.push(a);
  }
  return out;
}

/** Throws HostKeyError unless `blob` is a known, unrevoked key of host:port. */
export function verifyHostKey(file: string, host: string, port: number, blob: Buffer): void {
  const { keys, revoked } = knownKeys(file, host, port);
  const name = hostField(host, port);
  const fp = fingerprint(blob);
  if (revoked.some((k) => k.blob.equals(blob))) throw new HostKeyError(`the host key of ${name} (${fp}) is marked @revoked in ${file}`);
  if (keys.some((k) => k.blob.equals(blob))) return;
  if (keys.length) {
    throw new HostKeyError(`HOST KEY MISMATCH for ${name}: it presented ${blobType(blob)} ${fp}, but ${file} (line ${keys.map((k) => k.line).join(', ')}) holds another key. `
      + 'Someone may be intercepting the connection, or the host was reinstalled. Nothing was sent. Check with the cluster\'s admins before replacing the entry.');
  }
  throw new HostKeyError(`${name} is not in ${file}: it presented ${blobType(blob)} ${fp}. Check that fingerprint with the cluster's documentation, then add the key (ssh-keyscan -p ${port} ${host} >> ${file}, or connect once with ssh).`);
}
