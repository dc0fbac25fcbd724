// Pooling hidden states into one vector per text (or per sampled token), the three ways the
// workbench logs them:
//   mean   — attention-masked mean over real tokens (the paper's measure)
//   cls    — the [CLS] position (0)
//   tokens — a fixed, seeded sample of real-token positions per text; the same positions are used
//            at every checkpoint so token-level comparisons line up.
import { createHash } from 'node:crypto';

export type Pooling = 'mean' | 'cls' | 'tokens';
export const POOLINGS: Pooling[] = ['mean', 'cls', 'tokens'];

/**
 * Mean over positions with mask 1, accumulated in float64.
 * h: [B, T, D] (row-major), mask: [B, T]; writes rows [rowOffset, rowOffset + count) of out [N, D].
 */
export function meanPoolInto(h: Float32Array | Float64Array, mask: ArrayLike<number | bigint>, B: number, T: number, D: number, count: number, out: Float32Array, rowOffset: number): void {
  const acc = new Float64Array(D);
  for (let b = 0; b < count; b++) {
    acc.fill(0);
    let n = 0;
    for (let t = 0; t < T; t++) {
      if (Number(mask[b * T + t]) === 0) continue;
      n++;
      const base = (b * T + t) * D;
      for (let d = 0; d < D; d++) acc[d] += h[base + d];
    }
    const o = (rowOffset + b) * D;
    for (let d = 0; d < D; d++) out[o + d] = n ? acc[d] / n : 0;
  }
  void B;
}

/** Position 0 ([CLS]) of each row. */
export function clsPoolInto(h: Float32Array | Float64Array, T: number, D: number, count: number, out: Float32Array, rowOffset: number): void {
  for (let b = 0; b < count; b++) out.set(h.subarray(b * T * D, b * T * D + D), (rowOffset + b) * D);
}

/**
 * Seeded sample of `k` real-token positions of a text of `length` tokens (with [CLS] at 0 and [SEP]
 * last, which are never sampled unless the text is too short). Depends only on (seed, text index,
 * length, k), never on batch composition, so every checkpoint samples the same positions.
 */
export function samplePositions(seed: number, textIndex: number, length: number, k: number): number[] {
  const inner = Array.from({ length: Math.max(0, length - 2) }, (_, i) => i + 1);
  const pool = inner.length ? inner : Array.from({ length }, (_, i) => i);
  const ranked = pool
    .map((p) => ({ p, r: createHash('sha256').update(`${seed}:${textIndex}:${p}`).digest('hex') }))
    .sort((a, b) => (a.r < b.r ? -1 : a.r > b.r ? 1 : 0))
    .slice(0, k)
    .map((x) => x.p)
    .sort((a, b) => a - b);
  // Short texts repeat positions so every text contributes exactly k rows.
  while (ranked.length < k && ranked.length > 0) ranked.push(ranked[ranked.length % Math.max(1, ranked.length)]);
  return ranked;
}

/** Copy h[b, positions[j], :] into rows (rowOffset + b) * k + j of out. */
export function tokenPoolInto(h: Float32Array | Float64Array, T: number, D: number, positions: number[][], out: Float32Array, rowOffset: number, k: number): void {
  positions.forEach((pos, b) => {
    pos.forEach((t, j) => out.set(h.subarray((b * T + t) * D, (b * T + t) * D + D), ((rowOffset + b) * k + j) * D));
  });
}
