// The WebAssembly SIMD AdamW kernel (adamw-wasm.ts) against the JS kernel it replaces
// (adamw-host.ts hostAdamwUpdate): bit-identical parameters and moments on random values over
// several steps, at lengths that are odd, shorter than, equal to and longer than a chunk, with and
// without weight decay, and for scalars from real steps (clipping on and off).
import { describe, expect, it } from 'vitest';
import { sameBits } from '../../test/train/state';
import { hostAdamwScalars, hostAdamwUpdate } from './adamw-host';
import { adamwWasmBytes, adamwWasmModule, makeWasmKernel, WASM_CHUNK } from './adamw-wasm';

function values(n: number, seed: number, scale: number, abs = false): Float32Array {
  let x = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const u = x / 2 ** 32 - 0.5;
    out[i] = (abs ? Math.abs(u) : u) * scale;
  }
  return out;
}

describe('AdamW kernel in WebAssembly SIMD', () => {
  it('compiles on this Node (WebAssembly SIMD present)', () => {
    expect(adamwWasmModule()).not.toBeNull();
    expect(WebAssembly.validate(adamwWasmBytes())).toBe(true);
  });

  const hyper = { beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: 1e-2, clipGradNorm: 1.0 };
  for (const n of [0, 1, 7, 1000, WASM_CHUNK, WASM_CHUNK + 1, 3 * WASM_CHUNK - 5]) {
    for (const decay of [true, false]) {
      it(`${n} values, decay ${decay}: the same bits as the JS kernel over 3 steps`, () => {
        const wasm = makeWasmKernel(adamwWasmModule()!, WASM_CHUNK);
        const p = values(n, 1, 0.2), m = values(n, 2, 1e-2), v = values(n, 3, 1e-4, true);
        const [p2, m2, v2] = [p.slice(), m.slice(), v.slice()];
        for (let t = 1; t <= 3; t++) {
          const g = values(n, 10 + t, t === 2 ? 50 : 0.05);           // step 2's norm is clipped
          const sumSq = g.reduce((a, x) => a + x * x, 0);
          const s = hostAdamwScalars(hyper, 1e-3 * t, t, sumSq);
          hostAdamwUpdate(s, p, g, m, v, decay);
          wasm(s, p2, g, m2, v2, decay);
        }
        expect(sameBits(p2, p)).toBe(true);
        expect(sameBits(m2, m)).toBe(true);
        expect(sameBits(v2, v)).toBe(true);
        if (n > 0) expect(sameBits(p2, values(n, 1, 0.2))).toBe(false);   // it did update
      });
    }
  }

  it('refuses arrays of different lengths, as the JS kernel does', () => {
    const wasm = makeWasmKernel(adamwWasmModule()!, WASM_CHUNK);
    const s = hostAdamwScalars(hyper, 1e-3, 1, 1);
    expect(() => wasm(s, new Float32Array(4), new Float32Array(3), new Float32Array(4), new Float32Array(4), true)).toThrow(/lengths differ/);
  });
});
