// Leave-one-out CKA from the Gram matrices against brute force: CKA recomputed by the independent
// reference on the data with each row actually removed. Also the top-k removal against brute force.
import { afterAll, expect, it } from 'vitest';
import { Rng } from '../../../native-runner/util/rng';
import { disposeGemmSessions, type Matrix } from '../linalg';
import { gaussianMatrix, noisyLinearImage } from '../synthetic';
import { influence, leaveOneOutCKA } from './influence';
import { refLinearCKA, toRows } from './independent-reference';
import { Representation } from './representation';

afterAll(() => disposeGemmSessions());

const dropRows = (m: Matrix, drop: number[]) => toRows(m).filter((_, i) => !drop.includes(i));

function data(seed: number) {
  const rng = Rng.seeded(seed, 'influence');
  const x = gaussianMatrix(rng, 24, 5);
  x.data[3 * 5] += 12; // one outlying example, so that influences differ clearly
  const y = noisyLinearImage(rng, x, gaussianMatrix(rng, 5, 4), 2);
  return { x, y };
}

it('equals brute-force recomputation with each example removed, to 1e-10 (centred and raw Grams)', async () => {
  const { x, y } = data(1);
  const a = new Representation(x);
  const b = new Representation(y);
  const n = x.rows;
  // Grams of the centred features (as the analysis uses) and of the raw features (no centring at all)
  const raw = (m: Matrix) => {
    const g = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let t = 0; t < m.cols; t++) g[i * n + j] += m.data[i * m.cols + t] * m.data[j * m.cols + t];
    return g;
  };
  for (const [k, l] of [[(await a.gram()).data, (await b.gram()).data], [raw(x), raw(y)]]) {
    const loo = leaveOneOutCKA(k, l, n);
    for (let i = 0; i < n; i++) expect(Math.abs(loo[i] - refLinearCKA(dropRows(x, [i]), dropRows(y, [i])))).toBeLessThan(1e-10);
  }
});

it('lists the most influential examples and CKA without them', async () => {
  const { x, y } = data(2);
  const n = x.rows;
  const r = influence((await new Representation(x).gram()).data, (await new Representation(y).gram()).data, n, 3);
  expect(r.top[0]).toBe(3); // the planted outlier
  expect(Math.abs(r.cka - refLinearCKA(toRows(x), toRows(y)))).toBeLessThan(1e-10);
  expect(Math.abs(r.ckaWithoutTop - refLinearCKA(dropRows(x, r.top), dropRows(y, r.top)))).toBeLessThan(1e-10);
  const abs = Array.from(r.influence, Math.abs);
  expect(Math.min(...r.top.map((i) => abs[i]))).toBeGreaterThanOrEqual(Math.max(...abs.filter((_, i) => !r.top.includes(i))));
});
