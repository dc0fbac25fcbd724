// Which process trains a run: `OUT/runner.pid` (pid, host, start time), written by the queue when it
// starts the runner and removed when the runner has exited. A runner outlives its parent when the
// workbench is killed (kill -9, a crash): before a new queue recovers or resumes that run, it must see
// the orphan and stop it, never start a second runner writing into the same folder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isProcessAlive } from '../workspace-lock';

export const RUNNER_PID_FILE = 'runner.pid';

export interface RunnerPid {
  pid: number;
  host: string;
  startedAt: string;
}

export function writeRunnerPid(outDir: string, pid: number): void {
  const tmp = path.join(outDir, `.${RUNNER_PID_FILE}.tmp-${process.pid}`);
  fs.writeFileSync(tmp, JSON.stringify({ pid, host: os.hostname(), startedAt: new Date().toISOString() }) + '\n');
  fs.renameSync(tmp, path.join(outDir, RUNNER_PID_FILE));
}

export function clearRunnerPid(outDir: string, pid: number | undefined): void {
  const cur = readRunnerPid(outDir);
  if (cur && cur.pid === pid) fs.rmSync(path.join(outDir, RUNNER_PID_FILE), { force: true });
}

export function readRunnerPid(outDir: string): RunnerPid | null {
  try {
    const v = JSON.parse(fs.readFileSync(path.join(outDir, RUNNER_PID_FILE), 'utf8')) as Partial<RunnerPid>;
    if (typeof v.pid === 'number' && typeof v.host === 'string') return { pid: v.pid, host: v.host, startedAt: String(v.startedAt ?? '') };
  } catch {
    /* absent or unreadable: no known runner */
  }
  return null;
}

/** The runner still training in `outDir` (on this host and alive, or on another host: unknown, so assumed alive). */
export function liveRunner(outDir: string | null): RunnerPid | null {
  if (!outDir) return null;
  const r = readRunnerPid(outDir);
  if (!r) return null;
  if (r.host !== os.hostname()) return r;
  return isProcessAlive(r.pid) ? r : null;
}
