import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../native-runner/util/rng';
import { debiasedCKA, linearCKA } from './cka';
import { MinibatchCKA, StreamingCKA } from './cka-minibatch';
import { disposeGemmSessions } from './linalg';
import type { Matrix } from './linalg';
import { gaussianMatrix, noisyLinearImage } from './synthetic';

afterAll(disposeGemmSessions);

function rows(m: Matrix, r0: number, r1: number): Matrix {
  return { rows: r1 - r0, cols: m.cols, data: m.data.slice(r0 * m.cols, r1 * m.cols) };
}

function batches(m: Matrix, sizes: number[]): Matrix[] {
  const out: Matrix[] = [];
  let r = 0;
  for (const s of sizes) {
    out.push(rows(m, r, r + s));
    r += s;
  }
  if (r !== m.rows) throw new Error('batch sizes must cover the matrix');
  return out;
}

describe('StreamingCKA (exact accumulation)', () => {
  it('equals the in-memory linear and debiased CKA, for uneven batches and far-from-zero means', async () => {
    const rng = Rng.seeded(21);
    const x = gaussianMatrix(rng, 200, 30);
    const y = noisyLinearImage(rng, x, gaussianMatrix(rng, 30, 20), 4);
    for (let i = 0; i < x.data.length; i++) x.data[i] += 50; // activations often sit far from 0
    for (let i = 0; i < y.data.length; i++) y.data[i] -= 20;
    const s = new StreamingCKA(30, 20);
    const sizes = [37, 50, 13, 100];
    const xb = batches(x, sizes);
    const yb = batches(y, sizes);
    for (let k = 0; k < sizes.length; k++) await s.update({ ...xb[k], data: Float32Array.from(xb[k].data) }, yb[k]);
    const x32 = { ...x, data: Float32Array.from(x.data) }; // the same float32 rounding as the batches
    expect(s.examples).toBe(200);
    expect(Math.abs(s.linear() - (await linearCKA(x32, y)))).toBeLessThan(1e-10);
    expect(Math.abs(s.debiased() - (await debiasedCKA(x32, y)))).toBeLessThan(1e-10);
  });

  it('rejects batches of the wrong width and results from too few examples', async () => {
    const s = new StreamingCKA(3, 2);
    await expect(s.update(gaussianMatrix(Rng.seeded(1), 5, 4), gaussianMatrix(Rng.seeded(2), 5, 2))).rejects.toThrow(/widths \[4, 2\], expected \[3, 2\]/);
    expect(() => s.linear()).toThrow(/0 examples seen/);
  });
});

describe('MinibatchCKA (Nguyen et al. 2021)', () => {
  it('with the whole set as one minibatch equals debiased CKA exactly', async () => {
    const rng = Rng.seeded(22);
    const x = gaussianMatrix(rng, 80, 12);
    const y = noisyLinearImage(rng, x, gaussianMatrix(rng, 12, 9), 2);
    const mb = new MinibatchCKA(1, 1);
    await mb.update([x], [y]);
    expect(Math.abs(mb.result().data[0] - (await debiasedCKA(x, y)))).toBeLessThan(1e-12);
  });

  it('over 8 minibatches of 250 agrees with the full-set unbiased CKA (n = 2000) and is unbiased for independent data', async () => {
    const rng = Rng.seeded(23);
    const x = gaussianMatrix(rng, 2000, 32);
    const y = noisyLinearImage(rng, x, gaussianMatrix(rng, 32, 32), 6);
    const z = gaussianMatrix(rng, 2000, 32); // independent of x
    const mb = new MinibatchCKA(1, 2);
    const sizes = new Array(8).fill(250);
    const xb = batches(x, sizes);
    const yb = batches(y, sizes);
    const zb = batches(z, sizes);
    for (let k = 0; k < 8; k++) await mb.update([xb[k]], [yb[k], zb[k]]);
    expect(mb.batches).toBe(8);
    const full = await debiasedCKA(x, y);
    expect(full).toBeGreaterThan(0.1);
    expect(full).toBeLessThan(0.9);
    const [xy, xz] = mb.result().data;
    // Each batch estimate has sampling spread ≈ 1.5/250 around the population value; the mean of 8
    // is well inside 0.02 of the full-set estimate, and the independent pair stays near 0.
    expect(Math.abs(xy - full)).toBeLessThan(0.02);
    expect(Math.abs(xz)).toBeLessThan(0.02);
  });

  it('for a model against itself gives a symmetric table with a unit diagonal', async () => {
    const rng = Rng.seeded(24);
    const l0 = gaussianMatrix(rng, 120, 10);
    const l1 = noisyLinearImage(rng, l0, gaussianMatrix(rng, 10, 10), 1);
    const mb = new MinibatchCKA(2);
    for (const [r0, r1] of [
      [0, 60],
      [60, 120],
    ]) {
      await mb.update([rows(l0, r0, r1), rows(l1, r0, r1)]);
    }
    const t = mb.result().data;
    expect(t[0]).toBeCloseTo(1, 13);
    expect(t[3]).toBeCloseTo(1, 13);
    expect(t[1]).toBeCloseTo(t[2], 13);
    await expect(mb.update([rows(l0, 0, 3), rows(l1, 0, 3)])).rejects.toThrow(/at least 4 examples, got 3/);
    await expect(mb.update([l0])).rejects.toThrow(/1 layers, expected 2/);
    expect(() => new MinibatchCKA(1).result()).toThrow(/no minibatch/);
  });
});
