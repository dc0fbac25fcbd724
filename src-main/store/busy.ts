// "Another connection holds the write lock" (SQLITE_BUSY / SQLITE_LOCKED): a state that passes, not a
// failure. Callers retry (metric flushes) or tell the user "workspace busy" (API calls), never crash.

export function isBusyError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** How long the main process's connection waits for a lock before reporting "workspace busy". */
export const MAIN_BUSY_TIMEOUT_MS = 250;

export const WORKSPACE_BUSY_MESSAGE =
  'workspace busy: another process is writing to this workspace\'s database; try again in a moment';
