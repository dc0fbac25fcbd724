// Singular values (and left singular vectors) of the small matrices the measures pair up — XᵀY for
// Procrustes, UₓᵀU_y for CCA — from the eigen-decomposition of the smaller of MᵀM and MMᵀ. Squaring
// costs accuracy only for singular values far below the largest (absolute error ≈ √ε·σ_max on a value
// that is itself near 0), which moves a sum of singular values by far less than the measures' scale;
// the tests check these against a one-sided Jacobi SVD of M itself. Where a value must be exact to
// ~1e-15·σ₁ (an observed score, as opposed to a permutation replicate) the singular values come from
// the symmetric [[0, M], [Mᵀ, 0]], whose eigenvalues are ±σ_i: no squaring, ~8× the work.
import { gemm, type Matrix } from '../linalg';
import { symmetricEigen } from './symmetric-eigen';

/** σ_1 ≥ … ≥ σ_min(r, c) of M [r, c], accurate to ~ε·σ₁ (Jordan–Wielandt augmented matrix). */
export function singularValuesAccurate(m: Matrix): Float64Array {
  const { rows: r, cols: c } = m;
  const d = r + c;
  const s = new Float64Array(d * d); // [[0, M], [Mᵀ, 0]]
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < c; j++) {
      const v = m.data[i * c + j];
      s[i * d + r + j] = v;
      s[(r + j) * d + i] = v;
    }
  }
  return symmetricEigen(s, d).values.slice(0, Math.min(r, c)).map((v) => Math.max(v, 0));
}

/** σ_1 ≥ … ≥ σ_min(r, c) of M [r, c] from the smaller Gram matrix (fast; see above for its accuracy). */
export async function singularValues(m: Matrix): Promise<Float64Array> {
  const wide = m.cols > m.rows;
  const g = await gemm(m, m, wide ? { transB: true } : { transA: true }); // [min, min]
  const e = symmetricEigen(g.data, g.rows);
  return e.values.map((v) => Math.sqrt(Math.max(v, 0)));
}

/** Nuclear norm ‖M‖_* = Σ σ_i (accurate: the augmented route; else the Gram route). */
export async function nuclearNorm(m: Matrix, accurate = false): Promise<number> {
  let s = 0;
  for (const v of accurate ? singularValuesAccurate(m) : await singularValues(m)) s += v;
  return s;
}

/** Left singular vectors P [r, r] (columns, descending σ) and σ [min(r, c)] of M [r, c], from MMᵀ. */
export async function leftSingular(m: Matrix): Promise<{ values: Float64Array; vectors: Matrix }> {
  const g = await gemm(m, m, { transB: true }); // MMᵀ [r, r]
  const e = symmetricEigen(g.data, m.rows, { vectors: true });
  const k = Math.min(m.rows, m.cols);
  return { values: e.values.slice(0, k).map((v) => Math.sqrt(Math.max(v, 0))), vectors: { rows: m.rows, cols: m.rows, data: e.vectors! } };
}
