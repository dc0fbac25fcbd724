// Orthogonal Procrustes distance, normalised as Ding, Denain & Steinhardt 2021 ("Grounding
// representation similarity through statistical testing", §2): centre each representation and scale
// it to unit Frobenius norm, then
//   d_Proc(X, Y) = min_{Q orthogonal} ‖X − YQ‖²_F = ‖X‖²_F + ‖Y‖²_F − 2‖XᵀY‖_* = 2 − 2‖XᵀY‖_*,
// in [0, 2]: 0 when Y is a rotation (or reflection) of X, invariant to isotropic scaling. Unlike CKA it
// weighs every direction by its singular value, not its square, so a change in low-variance directions
// moves it more. Our score is the similarity ‖XᵀY‖_* ∈ [0, 1]; the divergence is d_Proc itself.
// We evaluate it in each side's principal-axis coordinates, Xc = U Σ Vᵀ → ‖XᵀY‖_* = ‖(UₓΣₓ)ᵀ(U_yΣ_y)‖_*
// (Vₓ, V_y are orthogonal), so the zero singular values of a rank-deficient side (n < p, or dead
// features) never enter a square root, where float64 rounding would turn each into ~1e-8.
import { gemm, type Matrix } from '../linalg';
import { permutedInner, type SimilarityMeasure } from './measure';
import { permuteRows, type Representation } from './representation';
import { nuclearNorm } from './singular-values';

export function unitFrobenius(m: Matrix): Matrix {
  let s = 0;
  for (const v of m.data) s += v * v;
  const norm = Math.sqrt(s);
  if (!(norm > 0)) throw new Error('Procrustes: representation is constant across examples (zero variance after centring)');
  return { rows: m.rows, cols: m.cols, data: m.data.map((v) => v / norm) };
}

/** UΣ [n, r] of the centred representation, scaled to unit Frobenius norm. */
async function normalisedScores(rep: Representation): Promise<Matrix> {
  const ax = await rep.axes();
  const r = ax.values.length;
  const s = Float64Array.from(ax.values, Math.sqrt);
  const out = unitFrobenius({ ...ax.scores, data: ax.scores.data.map((v, i) => v * s[i % r]) });
  return out;
}

interface ProcrustesSide {
  scores: Matrix; // normalised UΣ [n, r]
  gram: Float64Array; // XcXcᵀ [n, n] (the array linear CKA uses, so the shared O(n²) gather is reused)
  trace: number; // ‖Xc‖²_F = tr(XcXcᵀ)
}

export const procrustesMeasure: SimilarityMeasure<ProcrustesSide> = {
  name: 'procrustes',
  async prepare(rep: Representation) {
    const scores = await normalisedScores(rep);
    const g = (await rep.gram()).data;
    let tr = 0;
    for (let i = 0; i < rep.n; i++) tr += g[i * rep.n + i];
    return { scores, gram: g, trace: tr };
  },
  async score(a, b, perm) {
    // ‖XᵀY_π‖_* in axis coordinates [rₓ, r_y]; exact route for the observed pairing, the fast one for
    // permutation replicates (their error, ≲ 1e-8 of the score, is far below any replicate's distance
    // from the observed value, and the bound above already settles most replicates).
    return nuclearNorm(await gemm(a.scores, permuteRows(b.scores, perm), { transA: true }), !perm);
  },
  // ‖M‖_* ≤ √rank(M) ‖M‖_F, and ‖XᵀY_π‖²_F = tr(K L_π) with K, L the normalised Gram matrices.
  upperBound: (a, b, perm) => Math.sqrt((Math.min(a.scores.cols, b.scores.cols) * Math.max(0, permutedInner(a.gram, b.gram, a.scores.rows, perm))) / (a.trace * b.trace)),
  divergence: (s) => 2 - 2 * s,
};
