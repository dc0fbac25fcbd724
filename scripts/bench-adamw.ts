// The host AdamW at ModernBERT-base size (149M parameters in 48 segments), each form side by side in one
// process: the JS kernel on one thread, the WebAssembly SIMD kernel on one thread, and the two-thread
// pool (WebAssembly on the main thread and a worker) — plus two anchors measured in the same run: a loop
// with the same memory traffic but no square root or divide (is the pass memory- or compute-bound?) and
// a 1 GiB memcpy (the memory bandwidth).
//   npm run bench:adamw [-- --params N] [-- --reps R]      (medians of R passes, default 5)
import { loadavg } from 'node:os';
import { hostAdamwScalars, hostAdamwUpdate } from '../native-runner/train/adamw-host';
import { adamwKernel, HostAdamWThreads, runJob, type SegmentJob } from '../native-runner/train/adamw-threads';
import { median } from './median';

const args = process.argv.slice(2);
const opt = (n: string, d: string) => { const i = args.indexOf(`--${n}`); return i >= 0 ? args[i + 1] : d; };
const N = Number(opt('params', '149000000'));
const reps = Number(opt('reps', '5'));
const S = 48;
const n = Math.floor(N / S);

let x = 1;
const fill = (a: Float32Array, abs: boolean) => { for (let i = 0; i < a.length; i++) { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; const u = x / 2 ** 32 - 0.5; a[i] = abs ? Math.abs(u) * 1e-4 : u * 0.02; } return a; };
const jobs: SegmentJob[] = Array.from({ length: S }, (_, k) => {
  const g = fill(new Float32Array(n), false);
  return { key: `s${k}`, decay: k % 2 === 0, p: fill(new Float32Array(n), false), m: fill(new Float32Array(n), false), v: fill(new Float32Array(n), true), grads: [{ offset: 0, g }] };
});
const sc = hostAdamwScalars({ beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: 1e-5, clipGradNorm: 1 }, 2e-4, 10, 1);

function time(f: () => void): number { const t0 = performance.now(); f(); return performance.now() - t0; }
async function timeAsync(f: () => Promise<void>): Promise<number> { const t0 = performance.now(); await f(); return performance.now() - t0; }

function sameTraffic(j: SegmentJob): void {                         // reads p, g, m, v and writes p, m, v; no sqrt, no divide
  const { p, m, v } = j, g = j.grads[0].g;
  for (let i = 0; i < p.length; i++) { const gi = g[i]; m[i] = m[i] * 0.9 + gi; v[i] = v[i] * 0.98 + gi * gi; p[i] = p[i] * 0.999 - m[i] * v[i]; }
}

const pool = new HostAdamWThreads('wasm');
const wasm = adamwKernel('wasm');
const rows: Record<string, number[]> = { 'same traffic, no sqrt/divide (JS, 1 thread)': [], 'JS kernel, 1 thread': [], 'WebAssembly SIMD kernel, 1 thread': [], 'WebAssembly SIMD, 2 threads (worker takes half)': [] };
const big = new Uint8Array(2 ** 30), big2 = new Uint8Array(2 ** 30);
const firstTouch = time(() => big.fill(1));                        // fresh pages: what a page fault costs here
big2.fill(2);                                                      // touched first, so the copy measures bandwidth, not page faults
const copies: number[] = [];
for (let r = 0; r < reps; r++) {
  rows['same traffic, no sqrt/divide (JS, 1 thread)'].push(time(() => jobs.forEach(sameTraffic)));
  rows['JS kernel, 1 thread'].push(time(() => jobs.forEach((j) => runJob(sc, j, hostAdamwUpdate))));
  rows['WebAssembly SIMD kernel, 1 thread'].push(time(() => jobs.forEach((j) => runJob(sc, j, wasm))));
  rows['WebAssembly SIMD, 2 threads (worker takes half)'].push(await timeAsync(() => pool.update(sc, jobs, (back) => {
    const i = jobs.findIndex((j) => j.key === back.key);
    jobs[i] = back;
  })));
  copies.push(time(() => big2.set(big)));
}
await pool.terminate();
console.log(`host AdamW over ${(S * n / 1e6).toFixed(0)}M parameters in ${S} segments, median of ${reps} (load ${loadavg()[0].toFixed(2)})`);
console.log(`  anchor: first touch of 1 GiB ${firstTouch.toFixed(0)} ms = ${((firstTouch * 1000) / 2 ** 18).toFixed(1)} µs per 4 KiB page`);
console.log(`  anchor: memcpy of 1 GiB ${median(copies).toFixed(0)} ms = ${(2 * 2 ** 30 / 1e9 / (median(copies) / 1000)).toFixed(1)} GB/s read + write`);
for (const [k, v] of Object.entries(rows)) console.log(`  ${k.padEnd(50)} ${median(v).toFixed(0).padStart(6)} ms`);
