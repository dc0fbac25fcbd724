// Write a directory atomically: fill a hidden temp directory next to the target, fsync every file and
// the directory, then rename it into place and fsync the parent. A crash or an error at any point
// leaves either the old directory or the complete new one, never a partial one (temp dirs are
// removed on error and ignored by readers; leftovers of a SIGKILL are swept by sweepTempDirs).

import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export const TEMP_PREFIX = '.tmp-';

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try { fsyncSync(fd); } finally { closeSync(fd); }
}

/** Write a small text file and fsync it. */
export function writeFileSynced(path: string, text: string | Uint8Array): void {
  const fd = openSync(path, 'w');
  try { writeFileSync(fd, text); fsyncSync(fd); } finally { closeSync(fd); }
}

/** `fill(tmp)` writes the files (each fsynced) into tmp; then tmp becomes `target` in one rename. */
export function writeDirAtomic(target: string, fill: (tmp: string) => void): void {
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `${TEMP_PREFIX}${basename(target)}-${process.pid}-${Date.now()}`);
  mkdirSync(tmp);
  let old: string | null = null;
  try {
    fill(tmp);
    fsyncPath(tmp);
    if (existsSync(target)) { old = join(parent, `${TEMP_PREFIX}old-${basename(target)}-${process.pid}-${Date.now()}`); renameSync(target, old); }
    renameSync(tmp, target);
    fsyncPath(parent);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (old && !existsSync(target)) renameSync(old, target); // put the previous version back
    throw e;
  }
  if (old) rmSync(old, { recursive: true, force: true });
}

/** Remove temp directories left behind by a killed writer. */
export function sweepTempDirs(parent: string): void {
  if (!existsSync(parent)) return;
  for (const name of readdirSync(parent)) if (name.startsWith(TEMP_PREFIX)) rmSync(join(parent, name), { recursive: true, force: true });
}
