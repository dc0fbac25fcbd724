import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../native-runner/util/rng';
import { debiasedCKA, linearCKA, pairStatsFeature, pairStatsGram, unbiasedHSICTriple } from './cka';
import { disposeGemmSessions, gemmJS } from './linalg';
import type { Matrix } from './linalg';
import { gaussianMatrix, noisyLinearImage, randomOrthogonal } from './synthetic';

afterAll(disposeGemmSessions);

/** Reference straight from the definition: K = XXᵀ, Kc = HKH with H = I − 11ᵀ/n, plain loops. */
function referenceCKA(x: Matrix, y: Matrix): number {
  const n = x.rows;
  const centredGram = (m: Matrix): Float64Array => {
    const k = gemmJS(m, m, { transB: true }).data; // [n, n]
    const h = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) h[i * n + j] = (i === j ? 1 : 0) - 1 / n;
    const hk = gemmJS({ rows: n, cols: n, data: h }, { rows: n, cols: n, data: k });
    return gemmJS(hk, { rows: n, cols: n, data: h }).data;
  };
  const kc = centredGram(x);
  const lc = centredGram(y);
  let kl = 0;
  let kk = 0;
  let ll = 0;
  for (let i = 0; i < n * n; i++) {
    kl += kc[i] * lc[i];
    kk += kc[i] * kc[i];
    ll += lc[i] * lc[i];
  }
  return kl / Math.sqrt(kk * ll);
}

/** Unbiased HSIC as a U-statistic over ordered 4-tuples of distinct examples (Song et al. 2012, eq. 4). */
function bruteForceUnbiasedHSIC(x: Matrix, y: Matrix): number {
  const n = x.rows;
  const k = gemmJS(x, x, { transB: true }).data;
  const l = gemmJS(y, y, { transB: true }).data;
  let total = 0;
  let count = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++)
      for (let q = 0; q < n; q++)
        for (let r = 0; r < n; r++) {
          if (i === j || i === q || i === r || j === q || j === r || q === r) continue;
          // Averaging over all ordered tuples symmetrises h(i, j, q, r) = k_ij l_ij + k_ij l_qr − 2 k_ij l_iq.
          total += k[i * n + j] * l[i * n + j] + k[i * n + j] * l[q * n + r] - 2 * k[i * n + j] * l[i * n + q];
          count++;
        }
  return total / count;
}

function rotate(x: Matrix, q: Matrix): Matrix {
  return gemmJS(x, q);
}

describe('linear CKA', () => {
  it('is 1 for identical representations, from float32 or float64 input, in both forms', async () => {
    const x = gaussianMatrix(Rng.seeded(1), 50, 20);
    const x32 = { rows: 50, cols: 20, data: Float32Array.from(x.data) };
    for (const form of ['feature', 'gram'] as const) {
      expect(await linearCKA(x, x, { form })).toBeCloseTo(1, 14);
      expect(await linearCKA(x32, x32, { form })).toBeCloseTo(1, 14);
    }
  });

  it('is invariant to orthogonal transforms and isotropic scaling of either side', async () => {
    const rng = Rng.seeded(2);
    const x = gaussianMatrix(rng, 80, 30);
    const y = noisyLinearImage(rng, x, gaussianMatrix(rng, 30, 25), 2);
    const base = await linearCKA(x, y);
    expect(base).toBeGreaterThan(0.3);
    expect(base).toBeLessThan(0.99);
    const qx = randomOrthogonal(rng, 30);
    const qy = randomOrthogonal(rng, 25);
    expect(await linearCKA(rotate(x, qx), y)).toBeCloseTo(base, 12);
    expect(await linearCKA(x, rotate(y, qy))).toBeCloseTo(base, 12);
    const scaled = { ...x, data: x.data.map((v) => v * 37.5) };
    expect(await linearCKA(scaled, y)).toBeCloseTo(base, 12);
    // A non-isotropic scaling is not an invariance: guards against a test that cannot fail.
    const stretched = { ...x, data: x.data.map((v, i) => (i % 30 === 0 ? v * 50 : v)) };
    expect(Math.abs((await linearCKA(stretched, y)) - base)).toBeGreaterThan(1e-3);
  });

  it('agrees with a plain centred-Gram reference to 1e-12 with n < p (Gram form) and n > p (feature form)', async () => {
    const rng = Rng.seeded(3);
    for (const [n, p, q] of [
      [40, 120, 90],
      [150, 12, 20],
    ]) {
      const x = gaussianMatrix(rng, n, p, 3);
      const y = noisyLinearImage(rng, x, gaussianMatrix(rng, p, q), 5);
      for (let i = 0; i < x.data.length; i++) x.data[i] += 10; // offsets make centring matter
      const ref = referenceCKA(x, y);
      expect(Math.abs((await linearCKA(x, y)) - ref)).toBeLessThan(1e-12);
      expect(Math.abs((await linearCKA(x, y, { form: 'feature' })) - ref)).toBeLessThan(1e-12);
      expect(Math.abs((await linearCKA(x, y, { form: 'gram' })) - ref)).toBeLessThan(1e-12);
    }
  });

  it('agrees with the reference on a size that goes through onnxruntime (n = 300, p = 400)', async () => {
    const rng = Rng.seeded(4);
    const x = gaussianMatrix(rng, 300, 400);
    const y = noisyLinearImage(rng, x, gaussianMatrix(rng, 400, 64), 20);
    const ref = referenceCKA(x, y);
    const x32 = { rows: 300, cols: 400, data: Float32Array.from(x.data) };
    expect(Math.abs((await linearCKA(x, y)) - ref)).toBeLessThan(1e-12);
    // float32 storage changes the inputs (≈1e-7 relative), not the float64 arithmetic.
    expect(Math.abs((await linearCKA(x32, y)) - ref)).toBeLessThan(1e-6);
  });

  it('matches the closed-form fixtures (fixtures/analysis/cka-closed-form.json)', async () => {
    const fixture = JSON.parse(readFileSync(new URL('../../fixtures/analysis/cka-closed-form.json', import.meta.url), 'utf8'));
    expect(fixture.cases.length).toBe(3);
    for (const c of fixture.cases) {
      const toM = (rows: number[][]): Matrix => ({ rows: rows.length, cols: rows[0].length, data: Float64Array.from(rows.flat()) });
      const x = toM(c.X);
      const y = toM(c.Y);
      expect(await linearCKA(x, y)).toBeCloseTo(c.linearCKA, 14);
      if (c.debiasedCKA !== undefined) expect(await debiasedCKA(x, y)).toBeCloseTo(c.debiasedCKA, 14);
    }
  });

  it('rejects mismatched example counts, non-finite values and constant representations', async () => {
    const x = gaussianMatrix(Rng.seeded(5), 10, 3);
    await expect(linearCKA(x, gaussianMatrix(Rng.seeded(6), 11, 3))).rejects.toThrow(/X has 10 examples and Y has 11/);
    const bad = { ...x, data: x.data.slice() };
    bad.data[7] = Number.NaN;
    await expect(linearCKA(bad, x)).rejects.toThrow(/CKA X: non-finite value NaN at row 2, column 1/);
    await expect(linearCKA({ rows: 10, cols: 3, data: new Float64Array(29) }, x)).rejects.toThrow(/29 values/);
    const constant = { rows: 10, cols: 3, data: new Float64Array(30).fill(2) };
    await expect(linearCKA(constant, x)).rejects.toThrow(/constant across examples/);
  });
});

describe('debiased CKA', () => {
  it('uses the unbiased HSIC: equals the U-statistic by brute force, in both forms, raw or centred', async () => {
    const rng = Rng.seeded(7);
    const x = gaussianMatrix(rng, 8, 3, 2);
    const y = noisyLinearImage(rng, x, gaussianMatrix(rng, 3, 2), 1);
    for (let i = 0; i < x.data.length; i++) x.data[i] += 1.5;
    const brute = bruteForceUnbiasedHSIC(x, y);
    const feature = unbiasedHSICTriple(await pairStatsFeature(x, y));
    const gram = unbiasedHSICTriple(await pairStatsGram(x, y));
    expect(Math.abs(feature.xy - brute)).toBeLessThan(1e-12 * Math.abs(brute) + 1e-12);
    expect(Math.abs(gram.xy - brute)).toBeLessThan(1e-12 * Math.abs(brute) + 1e-12);
    expect(Math.abs(feature.xx - bruteForceUnbiasedHSIC(x, x))).toBeLessThan(1e-10);
  });

  it('is 1 for identical representations and ≈ 0 for independent ones, within a tolerance ∝ 1/n', async () => {
    const rng = Rng.seeded(8);
    const x = gaussianMatrix(rng, 60, 10);
    expect(await debiasedCKA(x, x)).toBeCloseTo(1, 13);
    // Under independence the estimator's spread is ≈ 1.5/n (measured over 20 draws at n = 100..2000);
    // 8/n is ≈ 5 standard deviations. Biased CKA sits far above that floor, which is the point.
    for (const n of [200, 2000]) {
      const a = gaussianMatrix(rng, n, 64);
      const b = gaussianMatrix(rng, n, 64);
      expect(Math.abs(await debiasedCKA(a, b))).toBeLessThan(8 / n);
      expect(await linearCKA(a, b)).toBeGreaterThan(20 / n);
    }
  });

  it('needs at least 4 examples', async () => {
    const x = gaussianMatrix(Rng.seeded(9), 3, 2);
    await expect(debiasedCKA(x, x)).rejects.toThrow(/at least 4 examples, got 3/);
  });
});
