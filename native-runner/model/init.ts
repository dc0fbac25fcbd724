// Seeded parameter init like HF ModernBERT: truncated normal N(0, std²) cut at ±cutoff_factor·std
// (rejection sampling), norms = 1, decoder.bias = 0. Deterministic from the seed (not bit-equal to
// PyTorch's generator, which nothing here can reproduce).
import type { ModernBertConfig } from './config';
import { parameterSpecs } from './params';

/** mulberry32: small, fast, deterministic 32-bit PRNG. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function truncatedNormal(rand: () => number, out: Float32Array | Float64Array, std: number, cutoff: number): void {
  for (let i = 0; i < out.length; i++) {
    let z: number;
    do {
      const u = 1 - rand();                                   // (0, 1]
      z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
    } while (Math.abs(z) > cutoff);
    out[i] = z * std;
  }
}

/** Fresh parameters by HF name. `into` (zeroed arrays of the right lengths, e.g. views into packed
 *  training buffers) is filled in place instead, so a ModernBERT-base init does not allocate its
 *  0.6 GB twice. */
export function initParameters(cfg: ModernBertConfig, seed: number, into?: ReadonlyMap<string, Float32Array>): Map<string, Float32Array> {
  const rand = mulberry32(seed);
  const cutoff = cfg.initializer_cutoff_factor ?? 3;
  const out = new Map<string, Float32Array>();
  for (const s of parameterSpecs(cfg)) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const given = into?.get(s.name);
    if (into && (!given || given.length !== n)) throw new Error(`initParameters: no ${n}-value array for ${s.name}`);
    const t = given ?? new Float32Array(n);
    if (s.initStd > 0) truncatedNormal(rand, t, s.initStd, cutoff);
    else if (s.name.endsWith('norm.weight')) t.fill(1);
    out.set(s.name, t);
  }
  return out;
}
