// Canonical correlation measures. With orthonormal bases Uₓ [n, rₓ] and U_y [n, r_y] of the centred
// representations' column spaces, the canonical correlations ρ_i are the singular values of UₓᵀU_y
// (Björck & Golub 1973); the canonical variates of X are h_i = Uₓ p_i for P the left singular vectors.
// - SVCCA (Raghu et al. 2017): first keep the top principal axes holding 99% of each side's variance,
//   then CCA; the score is the mean of the min(kₓ, k_y) correlations.
// - PWCCA (Morcos, Raghu & Bengio 2018, eq. 3–4): CCA on the full numerical rank (our limit of their
//   ε-regularised CCA), each correlation weighted by how much of X it accounts for,
//   α_i = Σ_j |⟨h_i, x_j⟩| over X's centred neurons x_j, normalised to sum 1; score Σ α_i ρ_i.
//   The weights come from the first representation (A), as in Morcos et al., so PWCCA is asymmetric.
// Both are invariant to invertible linear maps of either side (hence to rotation and scaling).
import { gemm, type Matrix } from '../linalg';
import { permutedInner, type MeasureOptions, type SimilarityMeasure } from './measure';
import { permuteRows, type Representation } from './representation';
import { leftSingular, singularValues, singularValuesAccurate } from './singular-values';

const clampCorrelation = (r: number) => Math.min(1, Math.max(0, r));

interface SVCCASide {
  u: Matrix; // orthonormal basis of the kept axes [n, k]
  projection: Float64Array; // U Uᵀ [n, n], for the bound
}

export const svccaMeasure: SimilarityMeasure<SVCCASide> = {
  name: 'svcca',
  async prepare(rep: Representation, o: MeasureOptions) {
    const u = await rep.basis(o.svccaShare);
    return { u, projection: (await gemm(u, u, { transB: true })).data };
  },
  // mean of c correlations ≤ √(Σρ²/c) (power means), Σρ² = ‖UₓᵀU_y,π‖²_F = tr(Pₓ P_y,π) for projections P.
  upperBound: (a, b, perm) => Math.sqrt(Math.max(0, permutedInner(a.projection, b.projection, a.u.rows, perm)) / Math.min(a.u.cols, b.u.cols)),
  async score(a, b, perm) {
    const m = await gemm(a.u, permuteRows(b.u, perm), { transA: true }); // UₓᵀU_y [kₓ, k_y]
    const rho = perm ? await singularValues(m) : singularValuesAccurate(m); // exact for the observed pairing (see procrustes.ts)
    let s = 0;
    for (const r of rho) s += clampCorrelation(r);
    return s / rho.length;
  },
  divergence: (s) => 1 - s,
};

interface PWCCASide {
  u: Matrix; // orthonormal basis [n, r]
  coords: Matrix; // Uᵀ Xc [r, p]: the neurons in that basis, so ⟨h_i, x_j⟩ = (Pᵀ Uᵀ Xc)_ij
}

export const pwccaMeasure: SimilarityMeasure<PWCCASide> = {
  name: 'pwcca',
  async prepare(rep: Representation) {
    const u = await rep.basis(1);
    return { u, coords: await gemm(u, rep.centred(), { transA: true }) };
  },
  // A weighted mean of correlations is at most the largest, ρ₁ = σ₁(UₓᵀU_y,π): singular values
  // only (no vectors) cost about a third of the exact score.
  async upperBound(a, b, perm) {
    return (await singularValues(await gemm(a.u, permuteRows(b.u, perm), { transA: true })))[0];
  },
  async score(a, b, perm) {
    const m = await gemm(a.u, permuteRows(b.u, perm), { transA: true }); // [rₓ, r_y]
    const svd = leftSingular(m);
    const { values: rho, vectors: p } = await svd;
    const c = rho.length;
    const h = await gemm(p, a.coords, { transA: true }); // Pᵀ Uᵀ Xc [rₓ, p]; rows ≥ c are unpaired
    let num = 0;
    let den = 0;
    for (let i = 0; i < c; i++) {
      let alpha = 0;
      for (let j = 0; j < h.cols; j++) alpha += Math.abs(h.data[i * h.cols + j]);
      num += alpha * clampCorrelation(rho[i]);
      den += alpha;
    }
    return num / den;
  },
  divergence: (s) => 1 - s,
};
