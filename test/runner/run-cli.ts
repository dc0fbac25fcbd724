// Helpers for the cross-process runner tests: spawn the real CLI (node + tsx) and read its NDJSON.
import { spawn, type ChildProcess } from 'node:child_process';
import { withMallocTunables } from '../../native-runner/util/malloc-tunables';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RunEvent } from '../../native-runner/protocol';
import { readSafetensors } from '../../native-runner/checkpoint/safetensors';

export const ROOT = resolve(__dirname, '../..');
export const CORPUS = join(ROOT, 'fixtures/corpus/wordnet-noun-glosses.txt');

export interface CliRun { code: number | null; signal: NodeJS.Signals | null; events: RunEvent[]; stderr: string }

/** Start `runner train` with --json; `onEvent` may kill the child. */
export function startRunner(args: string[], onEvent?: (e: RunEvent, child: ChildProcess) => void): Promise<CliRun> {
  // with the malloc settings, as the queue spawns runners (no relaunch: a SIGKILL hits the runner itself)
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'native-runner/cli.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: withMallocTunables(process.env) });
  const events: RunEvent[] = [];
  let buf = '', stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl); buf = buf.slice(nl + 1);
      const e = JSON.parse(line) as RunEvent;
      events.push(e);
      onEvent?.(e, child);
    }
  });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((res) => child.on('close', (code, signal) => res({ code, signal, events, stderr })));
}

export function writeConfig(dir: string, name: string, cfg: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(cfg, null, 2));
  return p;
}

export function loadTensors(file: string): Map<string, Float32Array> {
  return new Map([...readSafetensors(file).tensors].map(([k, v]) => [k, v.data]));
}

export function maxAbsDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  if ([...a.keys()].join() !== [...b.keys()].join()) throw new Error('tensor names differ');
  let m = 0;
  for (const [k, x] of a) { const y = b.get(k)!; for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i])); }
  return m;
}

export function trainerState(dir: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(dir, 'trainer_state.json'), 'utf8'));
}
