// One writer per workspace. A second `serve`, a second desktop app or a study CLI on the same folder
// would run its own queue: it marked runs still training under the first process "interrupted",
// started queued runs a second time, and two runners wrote into one run folder. Whoever runs a queue
// holds `workbench.lock` (pid, host, start time); anyone else is refused with the holder's name.
//
// The lock file is created whole (written to a temp name, then hard-linked into place, which fails
// if the name exists), so a reader never sees half a lock. A lock whose process is gone (same host,
// pid not alive) is stale and taken over; a lock from another host cannot be checked from here and
// is never broken silently: the message says which file to delete if that host is really done.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const LOCK_FILE_NAME = 'workbench.lock';

export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;   // ISO time the holder took the lock
  purpose: string;     // "serve", "desktop app", "study" …
}

export class WorkspaceLockedError extends Error {
  override name = 'WorkspaceLockedError';
  constructor(readonly lockFile: string, readonly holder: LockHolder, readonly sameHost: boolean) {
    super(
      `workspace ${path.dirname(lockFile)} is in use by ${holder.purpose} (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}). ` +
        (sameHost
          ? 'Close that one first, or open another workspace (--workspace DIR).'
          : `If that process is no longer running, delete ${lockFile} and try again.`),
    );
  }
}

/** Whether a process with this pid exists on this machine (EPERM: it exists but is not ours). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): LockHolder | null {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockHolder>;
    if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.startedAt === 'string') {
      return { pid: v.pid, host: v.host, startedAt: v.startedAt, purpose: typeof v.purpose === 'string' ? v.purpose : 'another workbench process' };
    }
  } catch {
    /* unreadable or not ours: handled as no holder below */
  }
  return null;
}

export interface WorkspaceLock {
  readonly file: string;
  readonly holder: LockHolder;
  /** Remove the lock if it is still ours. Idempotent. */
  release(): void;
}

export interface AcquireOptions {
  purpose: string;
  /** Told when a stale lock is taken over (so the caller can say so). */
  onStale?: (previous: LockHolder | null) => void;
}

/** Take the workspace's exclusive lock, or throw WorkspaceLockedError naming the live holder. */
export function acquireWorkspaceLock(workspaceDir: string, opts: AcquireOptions): WorkspaceLock {
  fs.mkdirSync(workspaceDir, { recursive: true });
  const file = path.join(workspaceDir, LOCK_FILE_NAME);
  const me: LockHolder = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), purpose: opts.purpose };
  const text = JSON.stringify(me) + '\n';
  const tmp = path.join(workspaceDir, `.${LOCK_FILE_NAME}.${process.pid}.${Date.now()}`);
  fs.writeFileSync(tmp, text, { flag: 'wx' });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        fs.linkSync(tmp, file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const holder = readHolder(file);
        const sameHost = holder?.host === me.host;
        if (holder && (!sameHost || isProcessAlive(holder.pid))) throw new WorkspaceLockedError(file, holder, sameHost);
        // Stale (its process is gone) or unreadable (not a lock we wrote): take it over.
        opts.onStale?.(holder);
        fs.rmSync(file, { force: true });
        continue;
      }
      // Two processes taking over the same stale lock can race (one removes the other's fresh
      // lock); reading it back tells the loser, who then reports the winner as the holder.
      const now = readHolder(file);
      if (now && (now.pid !== me.pid || now.startedAt !== me.startedAt)) throw new WorkspaceLockedError(file, now, now.host === me.host);
      let released = false;
      return {
        file,
        holder: me,
        release() {
          if (released) return;
          released = true;
          const cur = readHolder(file);
          if (cur && cur.pid === me.pid && cur.startedAt === me.startedAt) fs.rmSync(file, { force: true });
        },
      };
    }
    const holder = readHolder(file);
    if (holder) throw new WorkspaceLockedError(file, holder, holder.host === me.host);
    throw new Error(`${file}: could not take the workspace lock`);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}
