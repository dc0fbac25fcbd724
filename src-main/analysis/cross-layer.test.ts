import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../native-runner/util/rng';
import { debiasedCKA, linearCKA } from './cka';
import { crossLayerCKA, crossLayerDebiasedCKA } from './cross-layer';
import { disposeGemmSessions } from './linalg';
import type { Matrix } from './linalg';
import { gaussianMatrix, noisyLinearImage } from './synthetic';

afterAll(disposeGemmSessions);

/** A toy "model": each layer a noisy linear image of the previous one, so CKA decays with distance. */
function toyModel(rng: Rng, input: Matrix, depth: number, width: number, noise: number): Matrix[] {
  const layers: Matrix[] = [];
  let h = input;
  for (let l = 0; l < depth; l++) {
    h = noisyLinearImage(rng, h, gaussianMatrix(rng, h.cols, width, 1 / Math.sqrt(h.cols)), noise);
    layers.push(h);
  }
  return layers;
}

describe('cross-layer CKA', () => {
  const rng = Rng.seeded(11);
  const input = gaussianMatrix(rng, 60, 24);
  const a = toyModel(rng, input, 5, 24, 0.5);
  const b = toyModel(rng, input, 4, 16, 0.5);

  it('has the same-layer CKAs on its diagonal, in both the Gram and the feature form', async () => {
    const bSameDepth = toyModel(Rng.seeded(12), input, 5, 24, 0.5);
    for (const form of ['gram', 'feature'] as const) {
      const table = await crossLayerCKA(a, bSameDepth, { form });
      expect([table.rows, table.cols]).toEqual([5, 5]);
      for (let l = 0; l < 5; l++) expect(Math.abs(table.data[l * 5 + l] - (await linearCKA(a[l], bSameDepth[l])))).toBeLessThan(1e-12);
    }
  });

  it('fills every pair of a rectangular table (5 × 4 layers) with the pairwise CKA', async () => {
    const gram = await crossLayerCKA(a, b, { form: 'gram', blockBudgetBytes: 8 * 9 * 7 * 7 }); // 7-row tiles
    const feature = await crossLayerCKA(a, b, { form: 'feature' });
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < 4; j++) {
        const direct = await linearCKA(a[i], b[j]);
        expect(Math.abs(gram.data[i * 4 + j] - direct)).toBeLessThan(1e-12);
        expect(Math.abs(feature.data[i * 4 + j] - direct)).toBeLessThan(1e-12);
      }
    }
  });

  it('agrees with pairwise CKA when the tiles go through onnxruntime (n = 600, 200-row tiles)', async () => {
    const r = Rng.seeded(13);
    const big = gaussianMatrix(r, 600, 64);
    const ma = toyModel(r, big, 3, 64, 0.7);
    const mb = toyModel(r, big, 2, 64, 0.7);
    // 200-row tiles: each tile GEMM is 200×64×200 = 2.56 M multiply-adds, above ORT_MIN_MULADDS.
    const t = await crossLayerCKA(ma, mb, { form: 'gram', blockBudgetBytes: 8 * 5 * 200 * 200 });
    for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) expect(Math.abs(t.data[i * 2 + j] - (await linearCKA(ma[i], mb[j])))).toBeLessThan(1e-12);
  });

  it('of a model with itself is symmetric with a unit diagonal and decays away from it', async () => {
    const t = await crossLayerCKA(a);
    for (let i = 0; i < 5; i++) {
      expect(t.data[i * 5 + i]).toBeCloseTo(1, 13);
      for (let j = 0; j < 5; j++) expect(t.data[i * 5 + j]).toBeCloseTo(t.data[j * 5 + i], 13);
    }
    expect(t.data[0 * 5 + 1]).toBeGreaterThan(t.data[0 * 5 + 4]);
  });

  it('debiased table matches pairwise debiased CKA', async () => {
    const t = await crossLayerDebiasedCKA(a, b, { form: 'gram' });
    for (let i = 0; i < 5; i++) for (let j = 0; j < 4; j++) expect(Math.abs(t.data[i * 4 + j] - (await debiasedCKA(a[i], b[j])))).toBeLessThan(1e-12);
    const self = await crossLayerDebiasedCKA(a);
    expect(self.data[2 * 5 + 2]).toBeCloseTo(1, 13);
  });

  it('rejects layers that hold different probe sets', async () => {
    const short = gaussianMatrix(rng, 59, 16);
    await expect(crossLayerCKA(a, [b[0], short])).rejects.toThrow(/model B layer 1: 59 examples, expected 60/);
    await expect(crossLayerCKA([])).rejects.toThrow(/no layers/);
  });
});
