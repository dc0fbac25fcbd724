// The PyTorch side of the comparisons (bench:train --vs-torch, bench:extract --vs-torch and
// test/torch/): spawns scripts/torch/modernbert_step.py under Debian's /usr/bin/python3 (where
// python3-torch installs PyTorch; the pyenv python3 on PATH has no torch) and speaks its JSON-lines
// protocol. The child's environment, each variable only where the caller has not set it (an empty
// value counts as set, e.g. GLIBC_TUNABLES= keeps glibc's defaults):
//   OPENBLAS_CORETYPE=SkylakeX  OpenBLAS's AVX-512 kernels on this CPU (it may pick others by itself).
//   GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=…  PyTorch's CPU allocator is
//       plain malloc: with glibc's defaults every multi-MB tensor is a fresh mmap, and each step
//       page-faults all its activations in again (fresh 16 MB zeros: 45 ms here vs 0.3 ms reused; the
//       small-shape CLM step 350 → 75 ms). The engine's processes get the same tunables (the runner's
//       malloc settings); WORKBENCH_NO_MALLOC_TUNABLES=1 leaves both sides on glibc's defaults.
//   OMP_WAIT_POLICY=PASSIVE (ACTIVE with spinWait): as the engine's ORT threads, which do not spin
//       unless bench:train runs with --spin.
//   TORCH_PYTHON=/path/to/python overrides the interpreter.
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ModernBertConfig } from '../../native-runner/model/config';
import type { AdamWHyper, Batch, FreezeSpec, Objective } from '../../native-runner/train/step-api';

export const TORCH_PYTHON = process.env.TORCH_PYTHON ?? '/usr/bin/python3';
export const TORCH_INSTALL_HINT = 'install with: apt-get install -y python3-torch libopenblas0-openmp';
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'modernbert_step.py');
const ENV_KEYS = ['OPENBLAS_CORETYPE', 'GLIBC_TUNABLES', 'OMP_WAIT_POLICY'] as const;

/** The variables above as the child gets them. */
export function torchEnvSettings(spinWait = false): Record<(typeof ENV_KEYS)[number], string> {
  const defaults = {
    OPENBLAS_CORETYPE: 'SkylakeX',
    GLIBC_TUNABLES: process.env.WORKBENCH_NO_MALLOC_TUNABLES === '1' ? '' : 'glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736',
    OMP_WAIT_POLICY: spinWait ? 'ACTIVE' : 'PASSIVE',
  };
  for (const k of ENV_KEYS) if (process.env[k] !== undefined) defaults[k] = process.env[k]!;
  return defaults;
}

function torchEnv(spinWait = false): NodeJS.ProcessEnv {
  return { ...process.env, ...torchEnvSettings(spinWait) };
}

/** null when PyTorch can be imported by TORCH_PYTHON; otherwise why not, with the install hint. */
export function torchUnavailable(): string | null {
  try {
    execFileSync(TORCH_PYTHON, ['-c', 'import torch, numpy'], { stdio: 'pipe', env: torchEnv(), timeout: 60_000 });
    return null;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT') return `${TORCH_PYTHON} not found; ${TORCH_INSTALL_HINT}`;
    const last = (err.stderr?.toString() ?? err.message).trim().split('\n').pop();
    return `${TORCH_PYTHON} cannot import torch/numpy (${last}); ${TORCH_INSTALL_HINT}`;
  }
}

export interface TorchInit {
  config: ModernBertConfig;
  objective: Objective;
  freeze: FreezeSpec;
  hyper: AdamWHyper;
  weights?: string;              // safetensors file written by the engine (same values on both sides)
  seed?: number;                 // otherwise: torch's own seeded HF-style init (timing only)
}

export interface TorchStep { ms: number; loss: number; grad_norm: number; tokens: number }
export interface TorchExtract { ms: number; tokens: number; checksum: number }

/** One persistent Python process; requests are answered in order, one line each. */
export class TorchSide {
  private readonly pending: { resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  private stderr = '';
  private exited: Error | null = null;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const p = this.pending.shift();
      if (!p) return;
      let msg: Record<string, unknown>;
      try { msg = JSON.parse(line) as Record<string, unknown>; } catch { p.reject(new Error(`torch side: not JSON: ${line.slice(0, 200)}`)); return; }
      if (typeof msg.error === 'string') p.reject(new Error(`torch side: ${msg.error}`));
      else p.resolve(msg);
    });
    child.stderr.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-4000); });
    child.on('exit', (code, signal) => {
      this.exited = new Error(`torch side exited (${signal ?? code})${this.stderr ? `: ${this.stderr.trim()}` : ''}`);
      for (const p of this.pending.splice(0)) p.reject(this.exited);
    });
  }

  /** Starts the process; throws with the install hint when torch is missing. */
  static start(threads = 2, spinWait = false): TorchSide {
    const why = torchUnavailable();
    if (why) throw new Error(why);
    const child = spawn(TORCH_PYTHON, [SCRIPT, '--threads', String(threads)], { env: torchEnv(spinWait), stdio: ['pipe', 'pipe', 'pipe'] });
    return new TorchSide(child);
  }

  private request<T>(msg: Record<string, unknown>): Promise<T> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ resolve: resolve as (v: unknown) => void, reject });
      this.child.stdin.write(JSON.stringify(msg) + '\n');
    });
  }

  /** Builds (replacing any previous) model, optimizer and freeze pattern. */
  init(o: TorchInit): Promise<{ params: number; torch: string; threads: number }> {
    return this.request({ cmd: 'init', ...o });
  }

  /** One timed step (forward, backward, clip, AdamW) on the same batch the engine gets. */
  step(b: Batch, lr: number): Promise<TorchStep> {
    const list = (a: BigInt64Array) => Array.from(a, Number);
    return this.request({ cmd: 'step', B: b.batchSize, T: b.seqLen, input_ids: list(b.inputIds), attention_mask: list(b.attentionMask), labels: list(b.labels), lr });
  }

  /** Forward over `texts` in batches of `batch`, mean pooling of every hidden state; timed in Python. */
  extract(texts: number[][], batch: number): Promise<TorchExtract> {
    return this.request({ cmd: 'extract', texts, batch });
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end(JSON.stringify({ cmd: 'quit' }) + '\n');
    await done;
  }
}
