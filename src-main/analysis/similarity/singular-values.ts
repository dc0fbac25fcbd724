// Singular values (and left singular vectors) of the small matrices the measures pair up — XᵀY for
// Procrustes, UₓᵀU_y for CCA — from the eigen-decomposition of the smaller of MᵀM and MMᵀ. Squaring
// costs accuracy only for singular values far below the largest (absolute error ≈ √ε·σ_max on a value
// that is itself near 0), which moves a sum of singular values by far less than the measures' scale;
// the tests check these against a one-sided Jacobi SVD of M itself.
import { gemm, type Matrix } from '../linalg';
import { symmetricEigen } from './symmetric-eigen';

/** σ_1 ≥ … ≥ σ_min(r, c) of M [r, c]. */
export async function singularValues(m: Matrix): Promise<Float64Array> {
  const wide = m.cols > m.rows;
  const g = await gemm(m, m, wide ? { transB: true } : { transA: true }); // [min, min]
  const e = symmetricEigen(g.data, g.rows);
  return e.values.map((v) => Math.sqrt(Math.max(v, 0)));
}

/** Nuclear norm ‖M‖_* = Σ σ_i. */
export async function nuclearNorm(m: Matrix): Promise<number> {
  let s = 0;
  for (const v of await singularValues(m)) s += v;
  return s;
}

/** Left singular vectors P [r, r] (columns, descending σ) and σ [min(r, c)] of M [r, c], from MMᵀ. */
export async function leftSingular(m: Matrix): Promise<{ values: Float64Array; vectors: Matrix }> {
  const g = await gemm(m, m, { transB: true }); // MMᵀ [r, r]
  const e = symmetricEigen(g.data, m.rows, { vectors: true });
  const k = Math.min(m.rows, m.cols);
  return { values: e.values.slice(0, k).map((v) => Math.sqrt(Math.max(v, 0))), vectors: { rows: m.rows, cols: m.rows, data: e.vectors! } };
}
