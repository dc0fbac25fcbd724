// Bringing results home: files from the cluster into the local run folder, resumable (a `.part` file
// grows from where the last attempt stopped) and verified (sha256 computed on the cluster against the
// local copy; a mismatch starts that file over once, then fails loudly). A file already home with the
// right hash is not sent again.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { run, shq, type ClusterTransport } from './transport';

export interface RemoteFile { rel: string; sha256: string; size: number }

const CHUNK = 1 << 20;

export class PullError extends Error {
  constructor(message: string) { super(message); this.name = 'PullError'; }
}

/** Files under a cluster folder (temp and dot entries left out), with hashes and sizes: one round trip. */
export async function remoteFiles(t: ClusterTransport, dir: string, names?: string[]): Promise<RemoteFile[]> {
  const sel = names ? names.map((n) => shq(`./${n}`)).join(' ') : `$(find . -type f -not -path '*/.*' -not -name '*.part' -not -name '*.tmp-*' | LC_ALL=C sort)`;
  const out = await run(t, `cd ${shq(dir)} && for f in ${sel}; do [ -f "$f" ] || continue; printf '%s\\t%s\\t%s\\n' "$(sha256sum < "$f" | cut -d' ' -f1)" "$(stat -c %s "$f")" "\${f#./}"; done`);
  return out.split('\n').filter(Boolean).map((l) => {
    const [sha256, size, rel] = l.split('\t');
    return { rel, sha256, size: Number(size) };
  });
}

function sha256File(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Pull one file (known hash and size) to `local`; returns bytes transferred. */
export async function pullFile(t: ClusterTransport, remote: string, local: string, f: Pick<RemoteFile, 'sha256' | 'size'>): Promise<number> {
  if (fs.existsSync(local) && fs.statSync(local).size === f.size && sha256File(local) === f.sha256) return 0;
  fs.mkdirSync(path.dirname(local), { recursive: true });
  const part = `${local}.part`;
  let moved = 0;
  for (let attempt = 0; attempt < 2; attempt++) {
    let offset = fs.existsSync(part) ? fs.statSync(part).size : 0;
    if (offset > f.size) { fs.rmSync(part); offset = 0; }
    const fd = fs.openSync(part, 'a');
    try {
      while (offset < f.size) {
        const buf = await t.readRange(remote, offset, Math.min(CHUNK, f.size - offset));
        if (!buf) throw new PullError(`${remote} on ${t.where} disappeared while it was being copied`);
        if (!buf.length) throw new PullError(`${remote} on ${t.where} is shorter (${offset} bytes) than it was when listed (${f.size})`);
        fs.writeSync(fd, buf);
        offset += buf.length;
        moved += buf.length;
      }
    } finally { fs.closeSync(fd); }
    if (sha256File(part) === f.sha256) {
      fs.renameSync(part, local);
      return moved;
    }
    fs.rmSync(part); // a stale or damaged .part: start over once
  }
  throw new PullError(`${remote} on ${t.where}: the copy's sha256 does not match the cluster's (${f.sha256}) after two attempts`);
}

/** Pull a folder (or the named files in it); returns the files that came home. */
export async function pullDir(t: ClusterTransport, remoteDir: string, localDir: string, names?: string[]): Promise<RemoteFile[]> {
  const files = await remoteFiles(t, remoteDir, names);
  for (const f of files) await pullFile(t, `${remoteDir}/${f.rel}`, path.join(localDir, ...f.rel.split('/')), f);
  return files;
}
