// File-system failures said plainly. A user whose disk is full or mounted read-only should read
// "no space left on device" or "read-only file system", with the path, not a JS stack trace
// (the stack still goes to stderr, which the queue keeps in runner.log).
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';

const PLAIN: Record<string, string> = {
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder, not a file',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'the path is too long',
};

/** Why a path cannot be written, judged from its nearest existing ancestor (null if it seems writable). */
function ancestorProblem(path: string): string | null {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  try {
    accessSync(p, constants.W_OK);
    return null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    return PLAIN[code] ? `${p}: ${PLAIN[code]} (${code})` : null;
  }
}

/** Node's fs messages read "CODE: description, syscall 'path'": recover code, syscall and path. */
function parseFsMessage(message: string): { code: string; syscall?: string; path?: string } | null {
  const m = /^(?:\w*Error: )?(E[A-Z]+): [^,]*(?:, (\w+)(?: '([^']*)')?)?/.exec(message);
  return m ? { code: m[1], syscall: m[2], path: m[3] } : null;
}

/**
 * The message a user sees for an error (an Error, or the text of one that crossed a thread as a
 * stack): a plain sentence for file-system failures, else the error's message, never a stack.
 */
export function plainErrorMessage(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  const text = typeof err === 'string' ? err : (e?.message ?? String(err));
  // The whole message (a config error lists one problem per line), minus any stack frames.
  const withoutStack = text.split('\n').filter((l) => !/^\s+at /.test(l)).join('\n').replace(/^\w*Error: /, '').trimEnd();
  const firstLine = withoutStack.split('\n')[0];
  const parsed = e && typeof e === 'object' && e.code ? { code: e.code, syscall: e.syscall, path: e.path } : parseFsMessage(firstLine);
  if (!parsed || !/^E[A-Z]+$/.test(parsed.code)) return withoutStack;
  const what = parsed.path ? `cannot ${parsed.syscall ?? 'write'} ${parsed.path}` : `cannot ${parsed.syscall ?? 'write'}`;
  // ENOENT from mkdir/open under a read-only or unwritable folder says nothing useful: look up the tree.
  if (parsed.code === 'ENOENT' && parsed.path) {
    const why = ancestorProblem(parsed.path);
    if (why) return `${what}: ${why}`;
  }
  return PLAIN[parsed.code] ? `${what}: ${PLAIN[parsed.code]} (${parsed.code})` : withoutStack;
}
