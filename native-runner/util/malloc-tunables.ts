// glibc malloc settings for processes that run large ORT graphs (train steps, base-size extraction).
//
// Why: ORT allocates a step's big intermediates (logits [512, 50368], the embedding gradient
// [50368, 768], AdamW temporaries over the flat parameter segments, attention scores) with malloc
// and frees them at the end of the run. glibc serves every request above its mmap threshold (at
// most 32 MiB) with a fresh mmap and returns it with munmap, so each step faulted ~1.7 GB of
// zeroed pages back in: at ModernBERT-base size that was 440 000 page faults and ~4 s of system
// time per step, half the step (docs/benchmarks.md, "base size"). With mmap_max=0 big blocks come
// from the heap instead, and a trim threshold above any step's footprint keeps freed heap memory
// for the next step: steady-state steps fault ~600 pages.
// The cost: the process keeps its peak heap until it exits, which is what a runner wants anyway.
// glibc reads GLIBC_TUNABLES only at process start, so the variable must be set by whoever spawns
// the process (the queue does; the CLIs relaunch themselves once when it is missing).
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

export const MALLOC_TUNABLES = ['glibc.malloc.mmap_max=0', 'glibc.malloc.trim_threshold=68719476736'];

/** Tunables apply where glibc is the C library, i.e. Linux (musl ignores the variable harmlessly). */
const applies = () => process.platform === 'linux';

export function hasMallocTunables(env: NodeJS.ProcessEnv = process.env): boolean {
  const have = (env.GLIBC_TUNABLES ?? '').split(':');
  return MALLOC_TUNABLES.every((t) => have.includes(t));
}

/** `env` with our tunables merged into any GLIBC_TUNABLES already there (ours win on the same key). */
export function withMallocTunables(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (!applies()) return { ...env };
  const keys = new Set(MALLOC_TUNABLES.map((t) => t.split('=')[0]));
  const kept = (env.GLIBC_TUNABLES ?? '').split(':').filter((t) => t && !keys.has(t.split('=')[0]));
  return { ...env, GLIBC_TUNABLES: [...kept, ...MALLOC_TUNABLES].join(':') };
}

/** Set in a relaunched copy's environment: the pid of the process that relaunched it. */
const PARENT_ENV = 'WORKBENCH_RELAUNCHED_BY';

/**
 * If this process lacks the tunables (Linux only), run the same command again as a child with them;
 * returns the child's exit code (once it ends), or null when nothing needed doing (in the child,
 * it also arms the watchdog below). The child's stdout/stderr are forwarded, SIGINT/SIGTERM passed
 * on (and SIGUSR2, Slurm's warning before a time limit). A relaunched copy never outlives this process: when it is killed (SIGKILL included), the copy
 * notices within 100 ms that its parent is gone and kills itself the same way, so nobody has to
 * know that two processes were involved, and no orphan keeps writing into a run folder.
 * Set WORKBENCH_NO_MALLOC_TUNABLES=1 to measure without them.
 */
export function relaunchWithMallocTunables(): Promise<number> | null {
  const parent = Number(process.env[PARENT_ENV]);
  if (parent > 0) {
    setInterval(() => { if (process.ppid !== parent) process.kill(process.pid, 'SIGKILL'); }, 100).unref();
    return null;
  }
  if (!applies() || hasMallocTunables() || process.env.WORKBENCH_NO_MALLOC_TUNABLES === '1') return null;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'pipe', 'pipe'], env: { ...withMallocTunables(), [PARENT_ENV]: String(process.pid) },
  });
  child.stdout!.pipe(process.stdout);
  child.stderr!.pipe(process.stderr);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGUSR2'] as const) process.on(sig, () => child.kill(sig));
  return new Promise((resolve) => {
    child.on('error', () => resolve(1));
    child.on('close', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] ?? 0 : 1)));
  });
}
