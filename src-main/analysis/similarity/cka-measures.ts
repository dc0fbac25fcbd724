// Linear CKA and debiased CKA as measures of the registry, in Gram form so that a permuted pairing
// costs O(n²) and no new product.
// Linear CKA (Kornblith et al. 2019): CKA = tr(KL) / √(tr(KK) tr(LL)), K = XcXcᵀ, L = YcYcᵀ (centred).
// Debiased CKA: HSIC replaced by the unbiased HSIC₁ of Song et al. 2012 (eq. 5), as cka.ts does;
// under a permutation π of B's rows every sum in HSIC₁ is the same sum over L_{π(i)π(j)}.
import { ckaFromTraces, ckaFromUnbiased, unbiasedHSICFromSums } from '../cka';
import { permutedInner, type SimilarityMeasure } from './measure';
import type { Representation } from './representation';

export interface CentredKernel {
  n: number;
  k: Float64Array; // centred kernel [n, n]
  selfInner: number; // tr(KK)
}

/** CKA of two centred kernels: tr(K L_π) / √(tr(KK) tr(LL)). */
export function kernelAlignment(a: CentredKernel, b: CentredKernel, perm?: Int32Array): number {
  return ckaFromTraces(permutedInner(a.k, b.k, a.n, perm), a.selfInner, b.selfInner);
}

export const linearCKAMeasure: SimilarityMeasure<CentredKernel> = {
  name: 'cka',
  async prepare(rep: Representation) {
    const k = (await rep.gram()).data;
    return { n: rep.n, k, selfInner: permutedInner(k, k, rep.n) };
  },
  score: async (a, b, perm) => kernelAlignment(a, b, perm),
  divergence: (s) => 1 - s,
};

interface UnbiasedSide {
  n: number;
  k: Float64Array; // K = XcXcᵀ (HSIC₁ does not depend on the centring of X)
  diag: Float64Array; // K_ii
  rowTilde: Float64Array; // K̃1 = K1 − diag(K)
  sum: number; // 1ᵀK1
  trace: number;
  self: number; // HSIC₁(K, K)
}

function hsic1(a: UnbiasedSide, b: UnbiasedSide, perm?: Int32Array): number {
  const n = a.n;
  let diagProd = 0;
  let rowProd = 0;
  for (let i = 0; i < n; i++) {
    const pi = perm ? perm[i] : i;
    diagProd += a.diag[i] * b.diag[pi];
    rowProd += a.rowTilde[i] * b.rowTilde[pi];
  }
  return unbiasedHSICFromSums({ n, kl: permutedInner(a.k, b.k, n, perm), diagProd, sumK: a.sum, sumL: b.sum, traceK: a.trace, traceL: b.trace, rowProd });
}

export const debiasedCKAMeasure: SimilarityMeasure<UnbiasedSide> = {
  name: 'debiased',
  async prepare(rep: Representation) {
    const n = rep.n;
    const k = (await rep.gram()).data;
    const diag = new Float64Array(n);
    const rowTilde = new Float64Array(n);
    let sum = 0;
    let trace = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += k[i * n + j];
      diag[i] = k[i * n + i];
      rowTilde[i] = s - diag[i];
      sum += s;
      trace += diag[i];
    }
    const side: UnbiasedSide = { n, k, diag, rowTilde, sum, trace, self: 0 };
    side.self = hsic1(side, side);
    return side;
  },
  score: async (a, b, perm) => ckaFromUnbiased(hsic1(a, b, perm), a.self, b.self),
  divergence: (s) => 1 - s,
};
