// RBF-kernel CKA (Kornblith et al. 2019, §3 and Table 2): K_ij = exp(−‖x_i − x_j‖² / (2σ²)) with the
// bandwidth σ a fraction of the median distance between examples (the paper reports 0.2, 0.4 and 0.8;
// 0.8 is our default), centred (HKH), then CKA = tr(K̃L̃) / √(tr(K̃K̃) tr(L̃L̃)). The median is taken over
// distinct pairs i < j. Scaling X by c scales every distance and the median alike, so the kernel and
// the value are invariant to isotropic scaling (and to rotations and translations).
import { kernelAlignment, type CentredKernel } from './cka-measures';
import { permutedInner, type MeasureOptions, type SimilarityMeasure } from './measure';
import type { Representation } from './representation';

/** Squared Euclidean distances from a Gram matrix: ‖x_i − x_j‖² = K_ii + K_jj − 2K_ij (≥ 0). */
export function squaredDistances(k: Float64Array, n: number): Float64Array {
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) d[i * n + j] = i === j ? 0 : Math.max(0, k[i * n + i] + k[j * n + j] - 2 * k[i * n + j]);
  }
  return d;
}

export function median(values: Float64Array): number {
  const s = Float64Array.from(values).sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** H K H for a symmetric K [n, n], in place: subtract row and column means, add back the grand mean. */
export function doubleCentre(k: Float64Array, n: number): Float64Array {
  const row = new Float64Array(n);
  let grand = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += k[i * n + j];
    row[i] = s / n;
    grand += s;
  }
  grand /= n * n;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) k[i * n + j] += grand - row[i] - row[j];
  return k;
}

/** Centred RBF kernel of one representation, σ = fraction × median pairwise distance. */
export async function centredRBFKernel(rep: Representation, fraction: number): Promise<Float64Array> {
  if (!(fraction > 0)) throw new Error(`RBF CKA: bandwidth fraction must be > 0, got ${fraction}`);
  const n = rep.n;
  const d2 = squaredDistances((await rep.gram()).data, n);
  const pairs = new Float64Array((n * (n - 1)) / 2);
  let t = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pairs[t++] = Math.sqrt(d2[i * n + j]);
  const medianDistance = median(pairs);
  if (!(medianDistance > 0)) throw new Error('RBF CKA: the median distance between examples is 0 (most examples coincide)');
  const sigma = fraction * medianDistance;
  const k = d2; // reused in place: [n, n]
  for (let i = 0; i < k.length; i++) k[i] = Math.exp(-k[i] / (2 * sigma * sigma));
  return doubleCentre(k, n);
}

export const rbfCKAMeasure: SimilarityMeasure<CentredKernel> = {
  name: 'rbf',
  async prepare(rep: Representation, o: MeasureOptions) {
    const k = await centredRBFKernel(rep, o.rbfFraction);
    return { n: rep.n, k, selfInner: permutedInner(k, k, rep.n) };
  },
  score: async (a, b, perm) => kernelAlignment(a, b, perm),
  divergence: (s) => 1 - s,
};
