// Rogue dimensions (Timkey & van Schijndel 2021: a few high-variance features dominate similarity in
// transformer representations). For linear CKA, tr(KL) = ‖XᵀY‖²_F = Σ_ij (x_iᵀ y_j)² over feature
// columns, so feature i of X carries the share Σ_j (XᵀY)²_ij / ‖XᵀY‖²_F of the numerator. We report
// the share of A's and of B's top-k variance features, and CKA recomputed two ways that take such
// features' weight away: after z-scoring every feature over the probe set (each then has variance 1)
// and after projecting out the top-k principal components of each side.
import { linearCKA } from '../cka';
import { gemm, type Matrix } from '../linalg';
import type { Representation } from './representation';

function columnVariances(x: Matrix): Float64Array {
  const v = new Float64Array(x.cols);
  for (let i = 0; i < x.rows; i++) for (let j = 0; j < x.cols; j++) v[j] += x.data[i * x.cols + j] ** 2;
  return v;
}

function topIndices(v: Float64Array, k: number): number[] {
  return Array.from(v.keys()).sort((a, b) => v[b] - v[a] || a - b).slice(0, k);
}

/** Shares of ‖XcᵀYc‖²_F carried by X's and Y's top-k variance features. */
export async function topFeatureShares(a: Representation, b: Representation, k: number): Promise<{ a: number; b: number }> {
  const m = await gemm(a.centred(), b.centred(), { transA: true }); // XcᵀYc [p, q]
  const rowSq = new Float64Array(m.rows);
  const colSq = new Float64Array(m.cols);
  let total = 0;
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.cols; j++) {
      const v = m.data[i * m.cols + j] ** 2;
      rowSq[i] += v;
      colSq[j] += v;
      total += v;
    }
  }
  const share = (contrib: Float64Array, rep: Representation) => topIndices(columnVariances(rep.centred()), k).reduce((s, i) => s + contrib[i], 0) / total;
  return { a: share(rowSq, a), b: share(colSq, b) };
}

/** Centred features divided by their standard deviation; constant features become 0 (they carry nothing). */
export function standardisedFeatures(rep: Representation): Matrix {
  const x = rep.centred();
  const v = columnVariances(x);
  const maxV = Math.max(...v);
  const inv = v.map((s) => (s > 1e-20 * maxV ? 1 / Math.sqrt(s / x.rows) : 0));
  return { rows: x.rows, cols: x.cols, data: x.data.map((val, i) => val * inv[i % x.cols]) };
}

/** Xc minus its projection on the top-k principal axes: Xc − U_k U_kᵀ Xc; null when k axes are all there is. */
export async function withoutTopComponents(rep: Representation, k: number): Promise<Matrix | null> {
  const ax = await rep.axes();
  if (ax.values.length <= k) return null;
  const r = ax.scores.cols;
  const uk = { rows: rep.n, cols: k, data: new Float64Array(rep.n * k) };
  for (let i = 0; i < rep.n; i++) for (let j = 0; j < k; j++) uk.data[i * k + j] = ax.scores.data[i * r + j];
  const coef = await gemm(uk, rep.centred(), { transA: true }); // U_kᵀ Xc [k, p]
  const proj = await gemm(uk, coef); // [n, p]
  const x = rep.centred();
  return { rows: x.rows, cols: x.cols, data: x.data.map((v, i) => v - proj.data[i]) };
}

export interface RogueValues {
  topShareA: number;
  topShareB: number;
  standardisedCKA: number;
  pcRemovedCKA: number | null;
}

export async function rogueDimensions(a: Representation, b: Representation, k: number): Promise<RogueValues> {
  const shares = await topFeatureShares(a, b, k);
  const [ra, rb] = [await withoutTopComponents(a, k), await withoutTopComponents(b, k)];
  return {
    topShareA: shares.a,
    topShareB: shares.b,
    standardisedCKA: await linearCKA(standardisedFeatures(a), standardisedFeatures(b)),
    pcRemovedCKA: ra && rb ? await linearCKA(ra, rb) : null,
  };
}
