import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../native-runner/util/rng';
import { linearCKA } from './cka';
import { bootstrapCKA, bootstrapSameLayer, replicateCKAs, resampleCounts } from './bootstrap';
import { disposeGemmSessions } from './linalg';
import type { Matrix } from './linalg';
import { gaussianMatrix, noisyLinearImage } from './synthetic';

afterAll(disposeGemmSessions);

function pick(m: Matrix, idx: number[]): Matrix {
  const data = new Float64Array(idx.length * m.cols);
  idx.forEach((src, i) => data.set(m.data.subarray(src * m.cols, (src + 1) * m.cols), i * m.cols));
  return { rows: idx.length, cols: m.cols, data };
}

function pair(seed: number, n: number): { x: Matrix; y: Matrix } {
  const rng = Rng.seeded(seed);
  const x = gaussianMatrix(rng, n, 10);
  return { x, y: noisyLinearImage(rng, x, gaussianMatrix(rng, 10, 10), 3) };
}

describe('bootstrap CIs over probe examples', () => {
  it('re-centres the interval on the estimate when duplicated rows shift the replicates', async () => {
    // Independent wide features at small n: linear CKA is strongly biased upwards by duplicated rows.
    const rng = Rng.seeded(5);
    const x = gaussianMatrix(rng, 40, 200);
    const y = gaussianMatrix(rng, 40, 200);
    const all = await replicateCKAs(x, y, resampleCounts(40, 300, 1));
    let mean = 0;
    for (let r = 1; r < all.length; r++) mean += all[r] / (all.length - 1);
    const sorted = Float64Array.from(all.subarray(1)).sort();
    expect(mean - all[0]).toBeGreaterThan(0.05); // the raw replicates sit well above the estimate…
    expect(sorted[Math.floor(0.025 * sorted.length)]).toBeGreaterThan(all[0]); // …so raw percentiles would miss it
    const ci = await bootstrapCKA(x, y, { reps: 300, seed: 1 });
    expect(ci.lo).toBeLessThanOrEqual(ci.estimate);
    expect(ci.hi).toBeGreaterThanOrEqual(ci.estimate);
    expect(ci.hi - ci.lo).toBeCloseTo(sorted[Math.ceil(0.975 * (sorted.length - 1))] - sorted[Math.floor(0.025 * (sorted.length - 1))], 1);
  });

  it('counts: column 0 is the full set, every replicate draws n rows, the same seed gives the same draw', () => {
    const w = resampleCounts(7, 20, 3);
    for (let r = 0; r <= 20; r++) {
      let total = 0;
      for (let i = 0; i < 7; i++) total += w.data[i * 21 + r];
      expect(total).toBe(7);
    }
    expect(resampleCounts(7, 20, 3).data).toEqual(w.data);
    expect(resampleCounts(7, 20, 4).data).not.toEqual(w.data);
  });

  it('the per-replicate closed form equals CKA recomputed on the explicitly resampled rows', async () => {
    const { x, y } = pair(41, 30);
    const w = resampleCounts(30, 10, 9); // [30, 11]
    const all = await replicateCKAs(x, y, w);
    expect(all[0]).toBeCloseTo(await linearCKA(x, y), 12);
    for (const r of [1, 4, 10]) {
      const idx: number[] = []; // the rows replicate r drew, with repeats
      for (let i = 0; i < 30; i++) for (let c = 0; c < w.data[i * 11 + r]; c++) idx.push(i);
      expect(idx).toHaveLength(30);
      expect(Math.abs(all[r] - (await linearCKA(pick(x, idx), pick(y, idx))))).toBeLessThan(1e-12);
    }
  });

  it('the interval contains the point estimate and narrows as n grows', async () => {
    const small = pair(42, 60);
    const large = pair(42, 600);
    const a = await bootstrapCKA(small.x, small.y, { reps: 400, seed: 1 });
    const b = await bootstrapCKA(large.x, large.y, { reps: 400, seed: 1 });
    for (const [ci, p] of [
      [a, small],
      [b, large],
    ] as const) {
      expect(ci.estimate).toBeCloseTo(await linearCKA(p.x, p.y), 12);
      expect(ci.lo).toBeLessThanOrEqual(ci.estimate);
      expect(ci.hi).toBeGreaterThanOrEqual(ci.estimate);
      expect(ci.hi).toBeGreaterThan(ci.lo);
    }
    // Width shrinks roughly as 1/√n: ten times the examples, about a third of the width.
    expect(b.hi - b.lo).toBeLessThan(0.5 * (a.hi - a.lo));
  });

  it('gives joint intervals for divergence, control divergence and their ratio', async () => {
    const rng = Rng.seeded(43);
    const b = [gaussianMatrix(rng, 80, 6)];
    const eye = { rows: 6, cols: 6, data: Float64Array.from({ length: 36 }, (_, i) => (i % 7 === 0 ? 1 : 0)) };
    const bPrime = [noisyLinearImage(rng, b[0], eye, 0.1)];
    const a = [noisyLinearImage(rng, b[0], eye, 1)];
    const [row] = await bootstrapSameLayer({ a, b, bPrime }, { reps: 300, seed: 2 });
    expect(row.divergence.estimate).toBeCloseTo(1 - (await linearCKA(a[0], b[0])), 12);
    expect(row.controlDivergence!.estimate).toBeCloseTo(1 - (await linearCKA(bPrime[0], b[0])), 12);
    expect(row.ratio!.estimate).toBeCloseTo(row.divergence.estimate / row.controlDivergence!.estimate, 10);
    expect(row.ratio!.lo).toBeGreaterThan(1); // A differs from B beyond seed noise
    expect(row.ratio!.lo).toBeLessThanOrEqual(row.ratio!.estimate);
    expect(row.ratio!.hi).toBeGreaterThanOrEqual(row.ratio!.estimate);
  });

  it('rejects bad options', async () => {
    const { x, y } = pair(44, 20);
    await expect(bootstrapCKA(x, y, { reps: 3 })).rejects.toThrow(/reps must be an integer ≥ 10/);
    await expect(bootstrapCKA(x, y, { level: 1.2 })).rejects.toThrow(/level must be in \(0, 1\)/);
  });
});
