// Every similarity measure against an independent float64 implementation (independent-reference.ts:
// Jacobi SVD / Jacobi eigen instead of Householder + QL, whitening CCA instead of bases, naive loops),
// on random data, plus the known answers the measures promise: identical inputs → perfect similarity,
// an orthogonal rotation → Procrustes 0 and CKA 1, isotropic scaling invariance, and permuted scoring
// equal to scoring explicitly permuted data (what the permutation null relies on).
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../native-runner/util/rng';
import { disposeGemmSessions, type Matrix } from '../linalg';
import { gaussianMatrix, noisyLinearImage, randomOrthogonal } from '../synthetic';
import { MEASURE_NAMES, type MeasureName } from '../../common/agreement-types';
import { DEFAULT_MEASURE_OPTIONS } from './measure';
import { MEASURES } from './measures';
import { Representation, permuteRows } from './representation';
import { symmetricEigen } from './symmetric-eigen';
import * as ref from './independent-reference';

afterAll(() => disposeGemmSessions());

const TOL = 1e-10;
const o = { ...DEFAULT_MEASURE_OPTIONS, knnK: 4, svccaShare: 0.99 };

async function score(name: MeasureName, x: Matrix, y: Matrix, perm?: Int32Array): Promise<number> {
  const m = MEASURES[name];
  return m.score(await m.prepare(new Representation(x), o), await m.prepare(new Representation(y), o), perm);
}

function mulMat(x: Matrix, q: Matrix): Matrix {
  return noisyLinearImage(Rng.seeded(0), x, q, 0);
}
const scaled = (x: Matrix, c: number): Matrix => ({ ...x, data: x.data.map((v) => v * c) });

/** X [n, p] and Y = X M + noise [n, q]: related but not identical, full column rank. */
function pair(seed: number, n: number, p: number, q: number) {
  const rng = Rng.seeded(seed, 'similarity');
  const x = gaussianMatrix(rng, n, p);
  // unequal column scales, so that principal axes and rogue dimensions are distinct
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) x.data[i * p + j] *= 1 + 0.5 * j;
  const y = noisyLinearImage(rng, x, gaussianMatrix(rng, p, q), 1.5);
  return { x, y };
}

const refs: Record<MeasureName, (x: number[][], y: number[][]) => number> = {
  cka: ref.refLinearCKA,
  debiased: ref.refDebiasedCKA,
  procrustes: (x, y) => 1 - ref.refProcrustes(x, y) / 2, // score = ‖XᵀY‖_* = 1 − d/2
  svcca: (x, y) => ref.refSVCCA(x, y, o.svccaShare),
  pwcca: ref.refPWCCA,
  rsa: ref.refRSA,
  knn: (x, y) => ref.refMutualKNN(x, y, o.knnK),
  rbf: (x, y) => ref.refRBFCKA(x, y, o.rbfFraction),
};

describe('symmetric eigen-decomposition (Householder + QL)', () => {
  it('matches cyclic Jacobi and reconstructs the matrix', () => {
    const rng = Rng.seeded(3);
    const d = 9;
    const g = gaussianMatrix(rng, d, d);
    const a = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) a[i * d + j] = g.data[i * d + j] + g.data[j * d + i];
    const e = symmetricEigen(a, d, { vectors: true });
    const j = ref.jacobiEigen(ref.toRows({ rows: d, cols: d, data: a }));
    e.values.forEach((v, i) => expect(Math.abs(v - j.values[i])).toBeLessThan(1e-12));
    expect(symmetricEigen(a, d).values).toEqual(e.values.map((v) => v)); // values-only route agrees
    for (let r = 0; r < d; r++) for (let c = 0; c < d; c++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += e.vectors![r * d + k] * e.values[k] * e.vectors![c * d + k];
      expect(Math.abs(s - a[r * d + c])).toBeLessThan(1e-12);
    }
  });
});

describe.each(MEASURE_NAMES.map((m) => [m]))('%s', (name) => {
  it('matches the independent implementation on random data (n > p and n < p)', async () => {
    // PWCCA's whitening reference needs full column rank, so it gets no n < p case.
    const cases = name === 'pwcca' ? [[1, 40, 6, 5], [3, 60, 12, 9]] : [[1, 40, 6, 5], [2, 14, 20, 16]];
    for (const [seed, n, p, q] of cases) {
      const { x, y } = pair(seed, n, p, q);
      const got = await score(name, x, y);
      const want = refs[name](ref.toRows(x), ref.toRows(y));
      expect(Math.abs(got - want), `${name} n=${n} p=${p}: ${got} vs ${want}`).toBeLessThan(TOL);
      expect(got).toBeGreaterThan(-1);
      expect(got).toBeLessThan(1);
    }
  });

  it('identical inputs → perfect similarity (divergence 0)', async () => {
    const { x } = pair(4, 30, 7, 7);
    const s = await score(name, x, x);
    expect(Math.abs(MEASURES[name].divergence(s))).toBeLessThan(TOL);
  });

  it('is invariant to isotropic scaling of either side', async () => {
    const { x, y } = pair(5, 30, 6, 5);
    const s = await score(name, x, y);
    expect(Math.abs((await score(name, scaled(x, 3.7), scaled(y, 0.01))) - s)).toBeLessThan(TOL);
  });

  it('scores a permuted pairing exactly as it scores permuted data', async () => {
    const { x, y } = pair(6, 25, 6, 5);
    const perm = new Int32Array(25).map((_, i) => i);
    Rng.seeded(9).shuffle(perm);
    const viaPerm = await score(name, x, y, perm);
    const direct = await score(name, x, permuteRows(y, perm));
    expect(Math.abs(viaPerm - direct)).toBeLessThan(TOL);
    expect(Math.abs(viaPerm - (await score(name, x, y)))).toBeGreaterThan(1e-3); // the pairing matters
  });

  it('never scores above its upper bound (where it has one)', async () => {
    const m = MEASURES[name];
    if (!m.upperBound) return;
    const { x, y } = pair(10, 25, 6, 5);
    const [a, b] = [await m.prepare(new Representation(x), o), await m.prepare(new Representation(y), o)];
    const rng = Rng.seeded(10);
    for (let t = 0; t < 20; t++) {
      const perm = new Int32Array(25).map((_, i) => i);
      rng.shuffle(perm);
      expect(await m.upperBound(a, b, perm)).toBeGreaterThanOrEqual((await m.score(a, b, perm)) - 1e-12);
    }
  });
});

describe('rotation-invariant measures', () => {
  it('an orthogonal rotation gives Procrustes 0, CKA 1 (and 1 for every rotation-invariant measure); RSA changes', async () => {
    const { x } = pair(7, 40, 8, 8);
    const y = mulMat(x, randomOrthogonal(Rng.seeded(8), 8));
    for (const name of ['cka', 'debiased', 'procrustes', 'svcca', 'pwcca', 'knn', 'rbf'] as MeasureName[]) {
      expect(Math.abs(MEASURES[name].divergence(await score(name, x, y))), name).toBeLessThan(TOL);
    }
    // RSA correlates examples across features, which a rotation of feature space does change.
    expect(1 - (await score('rsa', x, y))).toBeGreaterThan(1e-3);
  });

  it('Procrustes distance equals the residual of the optimal rotation', async () => {
    const { x, y } = pair(9, 30, 5, 5);
    const d = MEASURES.procrustes.divergence(await score('procrustes', x, y));
    expect(Math.abs(d - ref.refProcrustesByRotation(ref.toRows(x), ref.toRows(y)))).toBeLessThan(TOL);
  });
});
