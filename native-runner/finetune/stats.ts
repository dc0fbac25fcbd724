// Statistics over fine-tuning runs. Pure functions (no node imports): the CLI, the study and the UI
// use the same code.
//   meanSd            mean and sample standard deviation (n-1) of per-seed scores
//   pairedBootstrap   "condition A beats condition B" on the same test set, with seeds as the second
//                     source of variance (the paper's paired bootstrap across seeds). Each replicate
//                     draws S seed indices with replacement and n test-example indices with replacement,
//                     the SAME draws for both conditions (paired: seed i of A and of B share their seed
//                     value, so head init and data order match; example j is the same text), and
//                     computes Δ* = mean_s metric(A_s on the drawn examples) − mean_s metric(B_s …).
//                     CI = percentile interval of Δ*; p (one-sided, "A > B") = (1 + #{Δ* ≤ 0}) / (1 + R);
//                     p (two-sided) = min(1, 2·min(#{Δ* ≤ 0}, #{Δ* ≥ 0}) + 1) / (R + 1)).
// A metric here is a function of one run's per-example predictions restricted to an index multiset,
// so F1 scores (not only accuracy) are recomputed on every resample.
import { mulberry32 } from '../model/init';

export function meanSd(xs: readonly number[]): { mean: number; sd: number; n: number } {
  const n = xs.length;
  if (n === 0) return { mean: NaN, sd: NaN, n };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, n };
}

/** metric(run, indices): the score of run `run` on the test examples at `indices` (with repeats). */
export type ResampledMetric<R> = (run: R, indices: Int32Array) => number;

export interface PairedBootstrapOptions { replicates?: number; seed?: number; level?: number }

export interface PairedTest {
  delta: number;                // observed: mean over seeds of A − mean over seeds of B (all examples)
  ci: [number, number];         // percentile interval of Δ* at `level`
  level: number;
  pOneSided: number;            // H1: A > B
  pTwoSided: number;
  replicates: number;
  seeds: number;
  examples: number;
}

export function pairedBootstrap<R>(a: readonly R[], b: readonly R[], nExamples: number, metric: ResampledMetric<R>, o: PairedBootstrapOptions = {}): PairedTest {
  const S = a.length;
  if (S === 0 || b.length !== S) throw new Error(`pairedBootstrap: ${a.length} runs of A and ${b.length} of B (paired seeds need equal, non-zero counts)`);
  if (!Number.isInteger(nExamples) || nExamples < 1) throw new Error(`pairedBootstrap: nExamples must be >= 1, got ${nExamples}`);
  const R = o.replicates ?? 2000;
  const level = o.level ?? 0.95;
  const rand = mulberry32(o.seed ?? 12345);
  const all = Int32Array.from({ length: nExamples }, (_, i) => i);
  const mean = (runs: readonly R[], seeds: ArrayLike<number>, idx: Int32Array) => {
    let s = 0;
    for (let i = 0; i < seeds.length; i++) s += metric(runs[seeds[i]], idx);
    return s / seeds.length;
  };
  const identity = Array.from({ length: S }, (_, i) => i);
  const delta = mean(a, identity, all) - mean(b, identity, all);
  const deltas = new Float64Array(R);
  const idx = new Int32Array(nExamples);
  const seeds = new Int32Array(S);
  let le = 0, ge = 0;
  for (let r = 0; r < R; r++) {
    for (let i = 0; i < nExamples; i++) idx[i] = Math.floor(rand() * nExamples);
    for (let i = 0; i < S; i++) seeds[i] = Math.floor(rand() * S);
    const d = mean(a, seeds, idx) - mean(b, seeds, idx);
    deltas[r] = d;
    if (d <= 0) le++;
    if (d >= 0) ge++;
  }
  const sorted = Float64Array.from(deltas).sort();
  const q = (p: number) => sorted[Math.min(R - 1, Math.max(0, Math.floor(p * R)))];
  const alpha = (1 - level) / 2;
  return {
    delta, ci: [q(alpha), q(1 - alpha)], level,
    pOneSided: (1 + le) / (1 + R),
    pTwoSided: Math.min(1, (2 * Math.min(le, ge) + 1) / (R + 1)),
    replicates: R, seeds: S, examples: nExamples,
  };
}

/** Significance marker for tables and figures: ** p < 0.01, * p < 0.05, '' otherwise. */
export function significanceMarker(p: number): string {
  return p < 0.01 ? '**' : p < 0.05 ? '*' : '';
}

/** Per-example correctness vectors (0/1 per test example) make the accuracy metric. */
export const accuracyOf: ResampledMetric<Uint8Array> = (correct, idx) => {
  let s = 0;
  for (let i = 0; i < idx.length; i++) s += correct[idx[i]];
  return s / idx.length;
};
