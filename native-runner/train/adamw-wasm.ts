// The host AdamW kernel in WebAssembly SIMD: the same float64 arithmetic as hostAdamwUpdate
// (adamw-host.ts), two elements per instruction, bit-identical results.
//
// Why: the host pass is compute-bound (per element a float64 square root and divide; V8 neither
// vectorises the JS loop nor drops its bounds checks): ~1 s per step on one core at
// ModernBERT-base size. f64x2 halves the divider work and the loop overhead.
// Why float64 lanes and not f32x4: the JS kernel computes in float64 and rounds once per stored
// value; f64x2 keeps exactly those operations in the same order (mul and add separately, no fused
// multiply-add), so host AdamW gives the same bits on every path (JS fallback, WASM, either thread).
//
// WebAssembly can only address its own memory, so the driver copies chunks of p, g, m, v (8192
// values each, 128 KiB in all: they stay in the L2 cache) in, runs the kernel, and copies p, m, v
// back. The copies cost ~0.1 of the kernel's time at base size.
//
// The module is emitted here byte by byte (no toolchain at build time); the layout follows the
// WebAssembly core spec's binary format and the fixed-width SIMD opcodes (0xFD prefix).
import type { HostAdamWScalars } from './adamw-host';

/** Values per array per chunk; the module's memory holds P, G, M, V chunks one after the other. */
export const WASM_CHUNK = 8192;

const u32 = (n: number): number[] => {            // unsigned LEB128
  const out: number[] = [];
  do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n);
  return out;
};
const i32 = (n: number): number[] => {            // signed LEB128
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) { out.push(b); return out; }
    out.push(b | 0x80);
  }
};
const vec = (items: number[][]): number[] => [...u32(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...u32(body.length), ...body];
const name = (s: string): number[] => [...u32(s.length), ...[...s].map((c) => c.charCodeAt(0))];

// value types and opcodes used below
const I32 = 0x7f, F64 = 0x7c, V128 = 0x7b;
const LOCAL_GET = 0x20, LOCAL_SET = 0x21, I32_CONST = 0x41, I32_ADD = 0x6a, I32_MUL = 0x6c, I32_GE_U = 0x4f;
const BLOCK = 0x02, LOOP = 0x03, BR = 0x0c, BR_IF = 0x0d, END = 0x0b, EMPTY = 0x40;
const simd = (op: number): number[] => [0xfd, ...u32(op)];
const LOAD64_ZERO = 0x5d, STORE64_LANE = 0x5b, DEMOTE = 0x5e, PROMOTE = 0x5f, F64X2_SPLAT = 0x14;
const F64X2_SQRT = 0xef, F64X2_ADD = 0xf0, F64X2_SUB = 0xf1, F64X2_MUL = 0xf2, F64X2_DIV = 0xf3;

/** The module: memory (2 pages: 4 chunks × 8192 float32) and kernel(n, β1, β2, a1, a2, 1/√bc2, ε, step size, decay). */
export function adamwWasmBytes(chunk = WASM_CHUNK): Uint8Array<ArrayBuffer> {
  const C = chunk * 4;                           // bytes per array chunk
  const [P, G, M, V] = [0, C, 2 * C, 3 * C];          // byte offsets of the four chunks
  // locals: 0 n (i32); 1..8 the scalars (f64); 9 i (byte offset); 10..17 the scalars splatted;
  // 18 g (f64x2); 19 m' and 20 v' (float32 lanes, as stored); 21 end (bytes); 22 p' (float32 lanes)
  const get = (l: number) => [LOCAL_GET, l];
  const set = (l: number) => [LOCAL_SET, l];
  const load = (off: number) => [...get(9), ...simd(LOAD64_ZERO), 3, ...u32(off), ...simd(PROMOTE)];
  const store = (off: number, l: number) => [...get(9), ...get(l), ...simd(STORE64_LANE), 3, ...u32(off), 0];
  const [b1, b2, a1, a2, ib, eps, ss, dec] = [10, 11, 12, 13, 14, 15, 16, 17];
  const body = [
    ...[1, 2, 3, 4, 5, 6, 7, 8].flatMap((k) => [...get(k), ...simd(F64X2_SPLAT), ...set(k + 9)]),
    ...get(0), I32_CONST, ...i32(4), I32_MUL, ...set(21),
    BLOCK, EMPTY, LOOP, EMPTY,
    ...get(9), ...get(21), I32_GE_U, BR_IF, 1,
    ...load(G), ...set(18),
    // m' = m·β1 + g·a1, rounded to float32 and stored
    ...load(M), ...get(b1), ...simd(F64X2_MUL), ...get(18), ...get(a1), ...simd(F64X2_MUL), ...simd(F64X2_ADD),
    ...simd(DEMOTE), ...set(19), ...store(M, 19),
    // v' = v·β2 + (g·g)·a2, rounded to float32 and stored
    ...load(V), ...get(b2), ...simd(F64X2_MUL), ...get(18), ...get(18), ...simd(F64X2_MUL), ...get(a2), ...simd(F64X2_MUL), ...simd(F64X2_ADD),
    ...simd(DEMOTE), ...set(20), ...store(V, 20),
    // p' = p·decay − (m' / (√v' · (1/√bc2) + ε)) · step size, from the stored (rounded) m', v'
    ...load(P), ...get(dec), ...simd(F64X2_MUL),
    ...get(19), ...simd(PROMOTE), ...get(20), ...simd(PROMOTE), ...simd(F64X2_SQRT), ...get(ib), ...simd(F64X2_MUL), ...get(eps), ...simd(F64X2_ADD),
    ...simd(F64X2_DIV), ...get(ss), ...simd(F64X2_MUL), ...simd(F64X2_SUB),
    ...simd(DEMOTE), ...set(22), ...store(P, 22),
    ...get(9), I32_CONST, ...i32(8), I32_ADD, ...set(9),
    BR, 0, END, END, END,
  ];
  const locals = vec([[...u32(1), I32], [...u32(8), V128], [...u32(1), V128], [...u32(2), V128], [...u32(1), I32], [...u32(1), V128]]);
  const code = [...locals, ...body];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[I32], ...Array(8).fill([F64])]), ...vec([])]])),   // type 0
    ...section(3, vec([u32(0)])),                                                          // func 0: type 0
    ...section(5, vec([[0x00, ...u32(Math.ceil((4 * C) / 65536))]])),                      // memory: the four chunks
    ...section(7, vec([[...name('kernel'), 0x00, ...u32(0)], [...name('memory'), 0x02, ...u32(0)]])),
    ...section(10, vec([[...u32(code.length), ...code]])),
  ]);
}

let compiled: WebAssembly.Module | null | undefined;

/** The compiled module, or null where this engine lacks WebAssembly SIMD (then the JS kernel runs). */
export function adamwWasmModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try { compiled = new WebAssembly.Module(adamwWasmBytes()); } catch { compiled = null; }
  }
  return compiled;
}

export type AdamwKernel = (s: HostAdamWScalars, p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, decay: boolean) => void;

/**
 * A kernel with hostAdamwUpdate's signature and results, running `module` chunk by chunk. Self-
 * contained on purpose: adamw-threads.ts runs this function's source in its worker thread.
 */
export function makeWasmKernel(module: WebAssembly.Module, chunk: number): AdamwKernel {
  const inst = new WebAssembly.Instance(module, {});
  const kernel = inst.exports.kernel as (n: number, ...s: number[]) => void;
  const buf = (inst.exports.memory as WebAssembly.Memory).buffer;   // never grown, so never detached
  const P = new Float32Array(buf, 0, chunk);
  const G = new Float32Array(buf, chunk * 4, chunk);
  const M = new Float32Array(buf, chunk * 8, chunk);
  const V = new Float32Array(buf, chunk * 12, chunk);
  return (s, p, g, m, v, decay) => {
    const n = p.length;
    if (g.length !== n || m.length !== n || v.length !== n) throw new Error(`AdamW: lengths differ (p ${n}, g ${g.length}, m ${m.length}, v ${v.length})`);
    const dec = decay ? s.decay : 1;
    for (let o = 0; o < n; o += chunk) {
      const k = Math.min(chunk, n - o);
      const e = o + k;
      P.set(p.subarray(o, e)); G.set(g.subarray(o, e)); M.set(m.subarray(o, e)); V.set(v.subarray(o, e));
      kernel(k, s.beta1, s.beta2, s.a1, s.a2, s.invSqrtBc2, s.eps, s.stepSize, dec);
      p.set(P.subarray(0, k), o); m.set(M.subarray(0, k), o); v.set(V.subarray(0, k), o);
    }
  };
}
