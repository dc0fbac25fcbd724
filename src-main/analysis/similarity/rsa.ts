// Representational similarity analysis (Kriegeskorte, Mur & Bandettini 2008): each representation
// gives a representational dissimilarity matrix RDM_ij = 1 − Pearson(x_i, x_j), the correlation of
// two examples' activation vectors across features; the score is the Spearman correlation of the two
// RDMs' upper triangles (i < j), i.e. the Pearson correlation of their ranks (ties: average ranks).
// Invariant to per-example scaling and shifts and to any monotone change of the dissimilarities,
// not to rotations of feature space (the Pearson correlation centres across features).
import { gemm, type Matrix } from '../linalg';
import type { SimilarityMeasure } from './measure';
import type { Representation } from './representation';

/** Rows centred across features and scaled to unit norm, so Z Zᵀ holds the examples' Pearson correlations. */
export function rowStandardised(x: Matrix): Matrix {
  const { rows: n, cols: p } = x;
  const out = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let j = 0; j < p; j++) mean += x.data[i * p + j];
    mean /= p;
    let ss = 0;
    for (let j = 0; j < p; j++) ss += (x.data[i * p + j] - mean) ** 2;
    if (!(ss > 0)) throw new Error(`RSA: example ${i} has the same value in every feature (its correlations are undefined)`);
    const inv = 1 / Math.sqrt(ss);
    for (let j = 0; j < p; j++) out[i * p + j] = (x.data[i * p + j] - mean) * inv;
  }
  return { rows: n, cols: p, data: out };
}

/** Ranks 1..N of values (ties share their average rank): a native numeric sort, then a binary search per value. */
export function averageRanks(values: Float64Array): Float64Array {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = values[i];
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    let end = lo + 1; // one past the last value equal to x (ties are rare: walk)
    while (end < n && sorted[end] === x) end++;
    ranks[i] = (lo + 1 + end) / 2; // mean of ranks lo+1 … end
  }
  return ranks;
}

interface RankedRDM {
  n: number;
  r: Float64Array; // [n, n] symmetric: centred rank of RDM_ij for i ≠ j, 0 on the diagonal
  ss: number; // Σ_{i<j} r_ij²
}

export async function rankedRDM(x: Matrix): Promise<RankedRDM> {
  const n = x.rows;
  const z = rowStandardised(x);
  const corr = (await gemm(z, z, { transB: true })).data; // [n, n]
  const upper = new Float64Array((n * (n - 1)) / 2);
  let t = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) upper[t++] = 1 - corr[i * n + j];
  const ranks = averageRanks(upper);
  const mean = (upper.length + 1) / 2;
  const r = new Float64Array(n * n);
  let ss = 0;
  t = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = ranks[t++] - mean;
      r[i * n + j] = v;
      r[j * n + i] = v;
      ss += v * v;
    }
  }
  if (!(ss > 0)) throw new Error('RSA: every pair of examples is equally dissimilar (constant RDM)');
  return { n, r, ss };
}

export const rsaMeasure: SimilarityMeasure<RankedRDM> = {
  name: 'rsa',
  prepare: (rep: Representation) => rankedRDM(rep.raw),
  async score(a, b, perm) {
    const n = a.n;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const pi = perm ? perm[i] : i;
      for (let j = i + 1; j < n; j++) s += a.r[i * n + j] * b.r[pi * n + (perm ? perm[j] : j)];
    }
    return s / Math.sqrt(a.ss * b.ss);
  },
  divergence: (s) => 1 - s,
};
