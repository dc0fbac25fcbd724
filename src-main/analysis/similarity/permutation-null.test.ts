// Permutation p-values under a true null (independent X and Y) must be uniform: over 150 synthetic
// layers with 99 permutations each, the empirical CDF of p stays within the Kolmogorov–Smirnov band
// D ≤ 1.63/√150 + 1/100 (the 1% critical value plus the p-grid's step) of the uniform CDF. Seeds are
// fixed, so the test is deterministic. The mutual k-NN score is discrete (ties at small n), which makes
// its p-values conservative: for it only P(p ≤ α) ≤ α + band is required. Under an alternative
// (related X and Y) every measure must give the smallest possible p.
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../native-runner/util/rng';
import { disposeGemmSessions } from '../linalg';
import { gaussianMatrix, noisyLinearImage } from '../synthetic';
import { MEASURE_NAMES } from '../../common/agreement-types';
import { DEFAULT_MEASURE_OPTIONS } from './measure';
import { MEASURES } from './measures';
import { permutationPValue, randomPermutations } from './permutation-null';
import { Representation } from './representation';

afterAll(() => disposeGemmSessions());

const TRIALS = 150;
const REPS = 99;
const N = 14;
const BAND = 1.63 / Math.sqrt(TRIALS) + 1 / (REPS + 1);
const o = { ...DEFAULT_MEASURE_OPTIONS, knnK: 3 };

describe.each(MEASURE_NAMES.map((m) => [m]))('%s', (name) => {
  const m = MEASURES[name];
  it('gives uniform p-values under the null', async () => {
    const rng = Rng.seeded(11, `null:${name}`);
    const ps: number[] = [];
    for (let t = 0; t < TRIALS; t++) {
      const a = await m.prepare(new Representation(gaussianMatrix(rng, N, 3)), o);
      const b = await m.prepare(new Representation(gaussianMatrix(rng, N, 4)), o);
      ps.push(await permutationPValue(m, a, b, await m.score(a, b), randomPermutations(N, REPS, t, name)));
    }
    let worstAbove = 0; // max over α of F(α) − α: too many small p-values (anti-conservative)
    let worstBelow = 0; // max over α of α − F(α): too few (conservative)
    for (let g = 1; g <= REPS + 1; g++) {
      const alpha = g / (REPS + 1);
      const f = ps.filter((p) => p <= alpha + 1e-12).length / TRIALS;
      worstAbove = Math.max(worstAbove, f - alpha);
      worstBelow = Math.max(worstBelow, alpha - f);
    }
    expect(worstAbove).toBeLessThan(BAND);
    if (name !== 'knn') expect(worstBelow).toBeLessThan(BAND);
  });

  it('gives the smallest p when B is a noisy image of A', async () => {
    const rng = Rng.seeded(12, `alt:${name}`);
    const x = gaussianMatrix(rng, 30, 4);
    const a = await m.prepare(new Representation(x), o);
    const b = await m.prepare(new Representation(noisyLinearImage(rng, x, gaussianMatrix(rng, 4, 4), 0.3)), o);
    expect(await permutationPValue(m, a, b, await m.score(a, b), randomPermutations(30, 49, 1, name))).toBe(1 / 50);
  });
});
