// One side of a comparison (one model's activations at one layer, [n, p]) and the float64 views of it
// that the measures share: column-centred features, the linear Gram matrix, principal directions and
// orthonormal bases of the column space. Each view is computed on first use and kept, so eight
// measures on the same layer centre, multiply and decompose it once.
import { centerColumnsInPlace, gemm, toFloat64, type DenseMatrix, type Matrix } from '../linalg';
import { symmetricEigen } from './symmetric-eigen';

export interface PrincipalAxes {
  /** Variances along the axes (eigenvalues of XcᵀXc, i.e. squared singular values of Xc), descending. */
  values: Float64Array;
  /** Orthonormal left singular vectors of Xc as columns, [n, r], for the r axes with a non-negligible value. */
  scores: Matrix;
}

/**
 * Axes whose squared singular value is below this fraction of the largest are treated as zero: they
 * are the float32 storage noise of the activations (relative ~1e-7 in values, ~1e-14 in squares),
 * and dividing by their singular value would blow that noise up into a basis vector.
 */
export const RANK_TOLERANCE = 1e-10;

export class Representation {
  readonly n: number;
  readonly p: number;
  readonly raw: Matrix;
  private _centred?: Matrix;
  private _gram?: Promise<Matrix>;
  private _axes?: Promise<PrincipalAxes>;

  constructor(m: DenseMatrix, what = 'activations') {
    this.raw = toFloat64(m, what);
    this.n = this.raw.rows;
    this.p = this.raw.cols;
  }

  /** Xc = X − 1μᵀ [n, p]. */
  centred(): Matrix {
    if (!this._centred) this._centred = centerColumnsInPlace({ rows: this.n, cols: this.p, data: Float64Array.from(this.raw.data) });
    return this._centred;
  }

  /** K = Xc Xcᵀ [n, n]: the linear kernel, already centred (HKH = K for centred features). */
  gram(): Promise<Matrix> {
    if (!this._gram) this._gram = gemm(this.centred(), this.centred(), { transB: true });
    return this._gram;
  }

  /**
   * Principal axes of Xc (its thin SVD's U and Σ²), from the eigen-decomposition of whichever of
   * XcᵀXc [p, p] and XcXcᵀ [n, n] is smaller. From the feature side U = Xc V Σ⁻¹, re-orthonormalised
   * (two Gram–Schmidt passes) so that the small axes kept are orthonormal to working precision.
   */
  axes(): Promise<PrincipalAxes> {
    if (!this._axes) this._axes = this.computeAxes();
    return this._axes;
  }

  private async computeAxes(): Promise<PrincipalAxes> {
    const x = this.centred();
    const { n, p } = this;
    if (n <= p) {
      const k = await this.gram();
      const e = symmetricEigen(k.data, n, { vectors: true });
      const r = keptRank(e.values);
      const scores = { rows: n, cols: r, data: new Float64Array(n * r) };
      for (let i = 0; i < n; i++) for (let j = 0; j < r; j++) scores.data[i * r + j] = e.vectors![i * n + j];
      return { values: e.values.slice(0, r), scores };
    }
    const c = await gemm(x, x, { transA: true }); // XcᵀXc [p, p]
    const e = symmetricEigen(c.data, p, { vectors: true });
    const r = keptRank(e.values);
    const v = { rows: p, cols: r, data: new Float64Array(p * r) }; // V_r [p, r]
    for (let i = 0; i < p; i++) for (let j = 0; j < r; j++) v.data[i * r + j] = e.vectors![i * p + j];
    const scores = await gemm(x, v); // Xc V_r [n, r]
    await orthonormaliseColumns(scores);
    return { values: e.values.slice(0, r), scores };
  }

  /** Orthonormal basis [n, k] of the top principal axes that together hold `share` of the variance (share 1: all kept axes). */
  async basis(share = 1): Promise<Matrix> {
    const ax = await this.axes();
    const k = share >= 1 ? ax.values.length : axesForShare(ax.values, share);
    if (k === ax.values.length) return ax.scores;
    const r = ax.scores.cols;
    const out = { rows: this.n, cols: k, data: new Float64Array(this.n * k) };
    for (let i = 0; i < this.n; i++) for (let j = 0; j < k; j++) out.data[i * k + j] = ax.scores.data[i * r + j];
    return out;
  }
}

/** Number of leading eigenvalues above RANK_TOLERANCE × the largest (at least 1 when any is positive). */
export function keptRank(values: Float64Array): number {
  if (!(values[0] > 0)) throw new Error('representation is constant across examples (zero variance after centring)');
  let r = 0;
  while (r < values.length && values[r] > RANK_TOLERANCE * values[0]) r++;
  return r;
}

/** Smallest k whose leading values sum to at least `share` of the total (SVCCA's "keep 99% variance"). */
export function axesForShare(values: Float64Array, share: number): number {
  let total = 0;
  for (const v of values) total += Math.max(v, 0);
  let acc = 0;
  for (let k = 0; k < values.length; k++) {
    acc += Math.max(values[k], 0);
    if (acc >= share * total * (1 - 1e-12)) return k + 1;
  }
  return values.length;
}

/**
 * Orthonormalises the columns of m [n, k] in place, keeping their span and order: CholeskyQR2
 * (Fukaya et al. 2014) — G = MᵀM (an ORT GEMM), G = RᵀR (Cholesky), M ← M R⁻¹, twice. The columns
 * here are already nearly orthonormal (the scaled principal axes), where one pass leaves ~κ²ε and
 * the second reaches working precision; much cheaper in JS than Gram–Schmidt's k² dot products.
 */
export async function orthonormaliseColumns(m: Matrix): Promise<void> {
  const { rows: n, cols: k, data } = m;
  for (let pass = 0; pass < 2; pass++) {
    const g = (await gemm(m, m, { transA: true })).data; // [k, k]
    const r = new Float64Array(k * k); // upper triangular, G = RᵀR
    for (let j = 0; j < k; j++) {
      let d = g[j * k + j];
      for (let t = 0; t < j; t++) d -= r[t * k + j] ** 2;
      if (!(d > 0)) throw new Error('orthonormalise: columns are linearly dependent');
      const rjj = Math.sqrt(d);
      r[j * k + j] = rjj;
      for (let c = j + 1; c < k; c++) {
        let s = g[j * k + c];
        for (let t = 0; t < j; t++) s -= r[t * k + j] * r[t * k + c];
        r[j * k + c] = s / rjj;
      }
    }
    for (let i = 0; i < n; i++) {
      const off = i * k; // row x of M: solve y R = x by forward substitution
      for (let j = 0; j < k; j++) {
        let s = data[off + j];
        for (let t = 0; t < j; t++) s -= data[off + t] * r[t * k + j];
        data[off + j] = s / r[j * k + j];
      }
    }
  }
}

/** Rows of m reordered: out row i = m row perm[i] (perm undefined: m itself). */
export function permuteRows(m: Matrix, perm?: Int32Array): Matrix {
  if (!perm) return m;
  const { rows, cols } = m;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) out.set(m.data.subarray(perm[i] * cols, perm[i] * cols + cols), i * cols);
  return { rows, cols, data: out };
}
