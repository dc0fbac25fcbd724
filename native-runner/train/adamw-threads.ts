// Host AdamW on two threads (train-step.ts, optimizer 'host'): the main thread updates some segments
// while a worker thread updates the others.
//
// Why: the fused host pass (adamw-host.ts) is compute-bound, not memory-bound — per element a
// float64 square root and a divide that V8 does not vectorise — so at ModernBERT-base size
// (149M parameters) it took ~1 s per step on one core of this machine, a third of the step, while
// ORT's second thread sat idle. Two threads halve it (docs/benchmarks.md, "Host AdamW on two threads").
//
// How: onnxruntime-node refuses tensors backed by a SharedArrayBuffer ("Invalid argument"), so the
// state cannot be shared with a worker. Instead each step *transfers* the worker's segments — the
// flat parameter and moment buffers and their gradients (onnxruntime-node's output copies, each its
// own ArrayBuffer) — to the worker and back: no bytes are copied, the buffers change owner, and the
// sender's views detach until they come back. The caller re-homes the returned buffers
// (packing.ts rehomeSegment). While a batch is away, reading those segments sees empty arrays, so
// the runner awaits `update` before anything else touches the state.
import { Worker } from 'node:worker_threads';
import { hostAdamwUpdate, type HostAdamWScalars } from './adamw-host';
import { adamwWasmModule, makeWasmKernel, WASM_CHUNK, type AdamwKernel } from './adamw-wasm';

/** One segment's work: its flat buffers and the gradients of its parameters at their offsets. */
export interface SegmentJob {
  key: string;
  decay: boolean;
  p: Float32Array; m: Float32Array; v: Float32Array;        // whole flat segment buffers
  grads: { offset: number; g: Float32Array }[];
}

/** Below this many elements in all, the message round trip is not worth it (small models). */
export const THREAD_MIN_ELEMENTS = 1 << 20;

/** Which per-element kernel runs: WebAssembly SIMD (adamw-wasm.ts) or the plain JS loop; same bits. */
export type KernelKind = 'wasm' | 'js';

let wasmKernel: AdamwKernel | null = null;

/** The kernel of `kind` on this thread ('wasm' falls back to 'js' where WebAssembly SIMD is missing). */
export function adamwKernel(kind: KernelKind = 'wasm'): AdamwKernel {
  if (kind === 'js') return hostAdamwUpdate;
  const mod = adamwWasmModule();
  if (!mod) return hostAdamwUpdate;
  return (wasmKernel ??= makeWasmKernel(mod, WASM_CHUNK));
}

export function runJob(s: HostAdamWScalars, j: SegmentJob, kernel: AdamwKernel = adamwKernel()): void {
  for (const { offset, g } of j.grads) {
    const end = offset + g.length;
    kernel(s, j.p.subarray(offset, end), g, j.m.subarray(offset, end), j.v.subarray(offset, end), j.decay);
  }
}

/** A buffer can move to the worker only if the view covers all of it (otherwise other arrays would detach too). */
function ownsBuffer(a: Float32Array): boolean {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && !(a.buffer instanceof SharedArrayBuffer);
}

export function transferable(j: SegmentJob): boolean {
  return ownsBuffer(j.p) && ownsBuffer(j.m) && ownsBuffer(j.v) && j.grads.every((x) => ownsBuffer(x.g));
}

const buffersOf = (jobs: SegmentJob[]) => jobs.flatMap((j) => [j.p.buffer, j.m.buffer, j.v.buffer, ...j.grads.map((x) => x.g.buffer)]) as ArrayBuffer[];

/**
 * Split jobs between the main thread and the worker by element count (largest first, each to the
 * lighter side), so both finish at about the same time. Jobs whose buffers cannot move stay here.
 */
export function splitJobs(jobs: SegmentJob[]): { here: SegmentJob[]; there: SegmentJob[] } {
  const size = (j: SegmentJob) => j.grads.reduce((n, x) => n + x.g.length, 0);
  const here: SegmentJob[] = [];
  const there: SegmentJob[] = [];
  let nHere = 0;
  let nThere = 0;
  for (const j of [...jobs].sort((a, b) => size(b) - size(a))) {
    if (transferable(j) && nThere < nHere) { there.push(j); nThere += size(j); }
    else { here.push(j); nHere += size(j); }
  }
  return { here, there };
}

// The worker runs the same kernel as the main thread: its source is the functions' own text (and
// the compiled WebAssembly module comes as workerData), so there is one implementation and no
// separate entry file to resolve under tsx and vitest alike (both functions use nothing but their
// arguments and JS/WebAssembly built-ins).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const jsKernel = (${hostAdamwUpdate.toString()});
const makeWasmKernel = (${makeWasmKernel.toString()});
const update = workerData.module ? makeWasmKernel(workerData.module, workerData.chunk) : jsKernel;
parentPort.on('message', ({ s, jobs }) => {
  let error = null;
  try {
    for (const j of jobs) for (const { offset, g } of j.grads) {
      const end = offset + g.length;
      update(s, j.p.subarray(offset, end), g, j.m.subarray(offset, end), j.v.subarray(offset, end), j.decay);
    }
  } catch (e) { error = String(e && e.message || e); }
  const buffers = jobs.flatMap((j) => [j.p.buffer, j.m.buffer, j.v.buffer, ...j.grads.map((x) => x.g.buffer)]);
  parentPort.postMessage({ jobs, error }, buffers);
});
`;

export class HostAdamWThreads {
  private worker: Worker | null = null;
  private dead: Error | null = null;
  private readonly kernel: AdamwKernel;

  constructor(private readonly kind: KernelKind = 'wasm') {
    this.kernel = adamwKernel(kind);
  }

  private start(): Worker {
    if (this.dead) throw this.dead;
    if (!this.worker) {
      const module = this.kind === 'wasm' ? adamwWasmModule() : null;
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, chunk: WASM_CHUNK } });
      w.unref();                                  // an unreleased runner must not keep the process alive
      w.on('error', (e) => { this.dead = new Error(`AdamW worker thread failed: ${e.message}`); });
      w.on('exit', () => { if (this.worker === w) this.worker = null; });
      this.worker = w;
    }
    return this.worker;
  }

  /**
   * Update every job: the worker takes about half (by elements), this thread the rest. Each job that
   * went to the worker comes back as new arrays and is handed to `rehome` (before any error is
   * thrown, so the state is whole again whenever the worker is alive). If the worker thread dies
   * while it holds segments, their state is lost and the error says to resume from a checkpoint.
   */
  async update(s: HostAdamWScalars, jobs: SegmentJob[], rehome: (j: SegmentJob) => void): Promise<void> {
    const { here, there } = splitJobs(jobs);
    if (there.length === 0) { for (const j of here) runJob(s, j, this.kernel); return; }
    const w = this.start();
    const back = new Promise<{ jobs: SegmentJob[]; error: string | null }>((resolve, reject) => {
      const onMessage = (msg: { jobs: SegmentJob[]; error: string | null }) => { w.off('exit', onExit); resolve(msg); };
      const onExit = (code: number) => {
        w.off('message', onMessage);
        reject(new Error(`AdamW worker thread exited (code ${code}) while it held segments ${there.map((j) => j.key).join(', ')}: `
          + 'that state is lost; resume from the last checkpoint'));
      };
      w.once('message', onMessage);
      w.once('exit', onExit);
    });
    w.postMessage({ s, jobs: there }, buffersOf(there));
    let mainError: unknown = null;
    try { for (const j of here) runJob(s, j, this.kernel); } catch (e) { mainError = e; }
    const msg = await back;
    for (const j of msg.jobs) rehome(j);
    if (mainError) throw mainError;
    if (msg.error) throw new Error(`AdamW worker thread: ${msg.error}`);
  }

  async terminate(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
