// The paired bootstrap on synthetic scores whose answer is known: identical conditions give p = 1
// and a zero interval; two conditions drawn from the same distribution give a large p; a condition
// 10 points better gives a small p and an interval that covers the true shift; macro-F1 through the
// generic metric path behaves the same.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../model/init';
import { singleLabelScores } from './metrics';
import { accuracyOf, meanSd, pairedBootstrap, significanceMarker } from './stats';

const N = 600, S = 3;
function runs(acc: number[], seed: number): Uint8Array[] {
  const r = mulberry32(seed);
  return acc.map((a) => Uint8Array.from({ length: N }, () => (r() < a ? 1 : 0)));
}

describe('paired bootstrap across seeds and test examples', () => {
  it('mean ± sd (sample sd)', () => {
    const m = meanSd([1, 2, 3, 4]);
    expect(m.mean).toBe(2.5);
    expect(m.sd).toBeCloseTo(Math.sqrt(5 / 3), 12);
  });
  it('identical conditions: Δ = 0, CI [0, 0], p = 1 (not small)', () => {
    const a = runs([0.6, 0.62, 0.58], 1);
    const t = pairedBootstrap(a, a, N, accuracyOf, { replicates: 500 });
    expect(t.delta).toBe(0);
    expect(t.ci).toEqual([0, 0]);
    expect(t.pOneSided).toBe(1);
    expect(t.pTwoSided).toBe(1);
  });
  it('same distribution, different draws: p not small, CI covers 0', () => {
    const a = runs([0.6, 0.6, 0.6], 2), b = runs([0.6, 0.6, 0.6], 3);
    const t = pairedBootstrap(a, b, N, accuracyOf, { replicates: 1000 });
    expect(t.pTwoSided).toBeGreaterThan(0.05);
    expect(t.ci[0]).toBeLessThan(0);
    expect(t.ci[1]).toBeGreaterThan(0);
    expect(significanceMarker(t.pTwoSided)).toBe('');
  });
  it('A shifted by +10 points: p small, CI covers the shift and excludes 0', () => {
    const b = runs([0.55, 0.55, 0.55], 4);
    const r = mulberry32(5);
    // A = B with 25% of B's errors fixed: expected shift 0.45 · 0.25 ≈ 0.11, paired per example
    const a = b.map((run) => run.map((c) => (c ? 1 : r() < 0.25 ? 1 : 0)));
    const t = pairedBootstrap(a, b, N, accuracyOf, { replicates: 1000 });
    expect(t.delta).toBeGreaterThan(0.08);
    expect(t.pOneSided).toBeLessThan(0.01);
    expect(t.pTwoSided).toBeLessThan(0.01);
    expect(t.ci[0]).toBeGreaterThan(0);
    expect(t.ci[0]).toBeLessThan(t.delta);
    expect(t.ci[1]).toBeGreaterThan(t.delta);
    expect(significanceMarker(t.pTwoSided)).toBe('**');
    // reversed roles: the one-sided p of "B > A" is large
    expect(pairedBootstrap(b, a, N, accuracyOf, { replicates: 300 }).pOneSided).toBeGreaterThan(0.99);
  });
  it('seed variance counts: a gain seen in one seed only is not significant', () => {
    const b = runs([0.6, 0.6, 0.6], 6);
    const r = mulberry32(7);
    const a = b.map((run, s) => (s === 0 ? run.map((c) => (c ? 1 : r() < 0.5 ? 1 : 0)) : run.map((c) => (c && r() < 0.9 ? 1 : c ? 0 : r() < 0.15 ? 1 : 0))));
    const t = pairedBootstrap(a, b, N, accuracyOf, { replicates: 1000 });
    expect(t.pTwoSided).toBeGreaterThan(0.05);
  });
  it('any metric: macro F1 recomputed per resample', () => {
    const r = mulberry32(8);
    const gold = Array.from({ length: N }, () => Math.floor(r() * 4));
    const predsB = [0, 1, 2].map(() => gold.map((g) => (r() < 0.5 ? g : Math.floor(r() * 4))));
    const predsA = predsB.map((p) => p.map((x, i) => (x !== gold[i] && r() < 0.4 ? gold[i] : x)));
    const macro = (p: number[], idx: Int32Array) => singleLabelScores(Array.from(idx, (i) => gold[i]), Array.from(idx, (i) => p[i])).macroF1;
    const t = pairedBootstrap(predsA, predsB, N, macro, { replicates: 300 });
    expect(t.delta).toBeGreaterThan(0.05);
    expect(t.pOneSided).toBeLessThan(0.01);
  });
  it('refuses unpaired inputs', () => {
    expect(() => pairedBootstrap(runs([0.5], 1), runs([0.5, 0.5], 2), N, accuracyOf)).toThrow(/paired seeds/);
  });
});
