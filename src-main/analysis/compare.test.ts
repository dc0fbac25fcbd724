import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../native-runner/util/rng';
import { linearCKA } from './cka';
import { regionTable, sameLayerCKA, sameLayerDivergence, seedNoiseRatios, seedNoiseTable } from './compare';
import { disposeGemmSessions } from './linalg';
import type { Matrix } from './linalg';
import { gaussianMatrix, noisyLinearImage } from './synthetic';

afterAll(disposeGemmSessions);

describe('same-layer divergence and seed-noise ratio', () => {
  const rng = Rng.seeded(31);
  const n = 90;
  // B: two layers. B′ = B plus a little noise (another seed); A = B plus much more (another recipe).
  const b: Matrix[] = [gaussianMatrix(rng, n, 12), gaussianMatrix(rng, n, 8)];
  const identity = (d: number): Matrix => {
    const m = new Float64Array(d * d);
    for (let i = 0; i < d; i++) m[i * d + i] = 1;
    return { rows: d, cols: d, data: m };
  };
  const perturb = (layers: Matrix[], noise: number) => layers.map((l) => noisyLinearImage(rng, l, identity(l.cols), noise));
  const bPrime = perturb(b, 0.1);
  const a = perturb(b, 0.8);

  it('d_l = 1 − CKA(A_l, B_l), layer by layer', async () => {
    const d = await sameLayerDivergence(a, b);
    expect(d).toHaveLength(2);
    for (let l = 0; l < 2; l++) expect(d[l]).toBeCloseTo(1 - (await linearCKA(a[l], b[l])), 14);
    const debiased = await sameLayerCKA(a, b, { debiased: true });
    expect(debiased[0]).not.toBeCloseTo(1 - d[0], 6);
  });

  it('ratio r_l = d(A, B) / d(B′, B) is large when A differs beyond seed noise', async () => {
    const rows = await seedNoiseTable({ a, b, bPrime });
    for (const r of rows) {
      expect(r.ratio).toBeCloseTo(r.divergence / r.controlDivergence, 14);
      expect(r.controlDivergence).toBeGreaterThan(0);
      expect(r.ratio).toBeGreaterThan(5);
    }
    expect(seedNoiseRatios([0.2, 0.1], [0.1, 0.1])).toEqual([2, 1]);
    expect(() => seedNoiseRatios([0.2], [0.1, 0.1])).toThrow(/1 divergences but 2 control/);
  });

  it('rejects models of different depth or probe sets', async () => {
    await expect(sameLayerDivergence(a, [b[0]])).rejects.toThrow(/model A has 2 layers and model B has 1/);
    const fewer = [b[0], gaussianMatrix(rng, n - 1, 8)];
    await expect(sameLayerDivergence(a, fewer)).rejects.toThrow(/model B layer 1: 89 examples, model A has 90/);
  });
});

describe('region table', () => {
  it('averages the paper groups of a 22-layer model: low 0–7, mid 8–14, deep 15–21', () => {
    const values = Array.from({ length: 22 }, (_, i) => i); // value = layer index: means are checkable
    const t = regionTable(values);
    expect(t.map((r) => r.region)).toEqual(['low', 'mid', 'deep', 'all']);
    expect(t[0].layers).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(t[0].mean).toBe(3.5);
    expect(t[1].layers).toEqual([8, 9, 10, 11, 12, 13, 14]);
    expect(t[1].mean).toBe(11);
    expect(t[2].mean).toBe(18);
    expect(t[3].mean).toBe(10.5);
  });

  it('skips the embedding output when hidden_states includes it, and scales groups with depth', () => {
    const withEmbedding = [100, ...Array.from({ length: 12 }, (_, i) => i)];
    const t = regionTable(withEmbedding, { includesEmbedding: true });
    expect(t[0].layers).toEqual([0, 1, 2, 3]); // round(12·8/22) = 4
    expect(t[0].mean).toBe(1.5);
    expect(t[3].mean).toBe(5.5); // the embedding's 100 is in no region
    expect(regionTable([1, 2]).find((r) => r.region === 'mid')?.mean).toBeNull();
  });
});
