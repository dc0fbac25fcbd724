// The shape every similarity measure has, so that the observed value, the seed-noise control and the
// permutation null all run through the same code: a measure prepares each side once (Gram matrices,
// bases, neighbour lists, rank matrices) and then scores a pair, optionally with the rows of B
// permuted, which is what a permutation null needs and costs only the pairing step.
import type { MeasureName } from '../../common/agreement-types';
import type { Representation } from './representation';

export interface MeasureOptions {
  knnK: number;
  rbfFraction: number;
  svccaShare: number;
}

export const DEFAULT_MEASURE_OPTIONS: MeasureOptions = { knnK: 10, rbfFraction: 0.8, svccaShare: 0.99 };

export interface SimilarityMeasure<S = unknown> {
  name: MeasureName;
  prepare(rep: Representation, o: MeasureOptions): Promise<S>;
  /** Similarity of A and B (higher = more alike), with B's row i replaced by its row perm[i]. */
  score(a: S, b: S, perm?: Int32Array): Promise<number>;
  /** The divergence reported and divided by the control's: 0 for identical representations. */
  divergence(score: number): number;
  /**
   * Optional cheap upper bound on score(a, b, perm): where it is below the observed score, the
   * permutation null counts that replicate as "below" without the exact score, so p stays exact.
   */
  upperBound?(a: S, b: S, perm: Int32Array): number | Promise<number>;
}

let last: { a: Float64Array; b: Float64Array; perm: Int32Array; value: number } | null = null;

/**
 * Σ_ij a_ij b_{π(i)π(j)} for two symmetric n×n matrices (π = identity when perm is undefined); only
 * the upper triangle is read (2 Σ_{i<j} + the diagonal), which halves the gather. The last permuted
 * value is remembered: linear CKA, debiased CKA and the Procrustes bound all ask for the same Gram
 * pair under the same permutation, and this O(n²) gather is most of their cost.
 */
export function permutedInner(a: Float64Array, b: Float64Array, n: number, perm?: Int32Array): number {
  if (perm && last && last.a === a && last.b === b && last.perm === perm) return last.value;
  let off = 0;
  let diag = 0;
  for (let i = 0; i < n; i++) {
    const ai = i * n;
    const pi = perm ? perm[i] : i;
    const bi = pi * n;
    diag += a[ai + i] * b[bi + pi];
    if (perm) for (let j = i + 1; j < n; j++) off += a[ai + j] * b[bi + perm[j]];
    else for (let j = i + 1; j < n; j++) off += a[ai + j] * b[bi + j];
  }
  const s = 2 * off + diag;
  if (perm) last = { a, b, perm, value: s };
  return s;
}
