// Permutation null per layer: shuffle the rows of B (which probe text each of B's rows belongs to), so
// that any similarity left is what unrelated pairings of the same two representations give. The
// p-value counts the observed pairing among the replicates, p = (1 + #{s_π ≥ s}) / (1 + R) (Phipson &
// Smyth 2010: never 0, exact under the null), with ties counted against the claim. One seeded list of
// permutations serves every measure of a layer.
import { Rng } from '../../../native-runner/util/rng';
import type { SimilarityMeasure } from './measure';

export function randomPermutations(n: number, reps: number, seed: number, label: string): Int32Array[] {
  const rng = Rng.seeded(seed, `permutation-null:${label}`);
  return Array.from({ length: reps }, () => {
    const p = new Int32Array(n).map((_, i) => i);
    rng.shuffle(p);
    return p;
  });
}

export interface NullEntry<S = unknown> {
  measure: SimilarityMeasure<S>;
  a: S;
  b: S;
  observed: number;
}

/**
 * p-values of several measures of one layer pair under the same permutations, permutation-major so
 * that work shared between measures under one permutation (the Gram gather) is done once.
 */
export async function permutationPValues(entries: NullEntry<any>[], perms: Int32Array[]): Promise<number[]> {
  const atLeast = entries.map(() => 0);
  const slack = entries.map((e) => 1e-12 * Math.max(1, Math.abs(e.observed))); // rounding must not turn a tie into a "below"
  for (const p of perms) {
    for (let k = 0; k < entries.length; k++) {
      const { measure, a, b, observed } = entries[k];
      if (measure.upperBound && (await measure.upperBound(a, b, p)) < observed - slack[k]) continue; // cannot reach the observed score
      if ((await measure.score(a, b, p)) >= observed - slack[k]) atLeast[k]++;
    }
  }
  return atLeast.map((c) => (1 + c) / (1 + perms.length));
}

/** p-value of the observed score among the permuted pairings' scores. */
export async function permutationPValue<S>(measure: SimilarityMeasure<S>, a: S, b: S, observed: number, perms: Int32Array[]): Promise<number> {
  return (await permutationPValues([{ measure, a, b, observed }], perms))[0];
}
