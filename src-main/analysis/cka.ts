// Linear CKA in float64, as the paper defines it: X [n, p] and Y [n, q] hold one row per probe
// example (mean-pooled hidden states), columns centred; CKA = ‖YᵀX‖²_F / (‖XᵀX‖_F ‖YᵀY‖_F), which
// equals the Gram form tr(KL) / √(tr(KK) tr(LL)) with K = XXᵀ, L = YYᵀ. We evaluate whichever form
// needs fewer multiply-adds for the given n, p, q.
// Debiased CKA replaces HSIC by its unbiased estimator (Song et al. 2012, eq. 5; used for CKA by
// Nguyen et al. 2021): HSIC₁ = [tr(K̃L̃) + 1ᵀK̃1·1ᵀL̃1/((n−1)(n−2)) − 2/(n−2)·1ᵀK̃L̃1] / (n(n−3)),
// K̃ = K with its diagonal set to zero.
import { centerColumnsInPlace, frobeniusInner, gemm, rowSquaredNorms, toFloat64 } from './linalg';
import type { DenseMatrix, Matrix } from './linalg';

export type CKAForm = 'auto' | 'feature' | 'gram';

export interface CKAOptions {
  /** 'auto' (default) picks the cheaper of the feature-space and Gram forms. */
  form?: CKAForm;
}

/**
 * Sufficient statistics of one pair (X, Y) for both the biased and the unbiased HSIC of linear
 * kernels: everything CKA needs, whichever form produced it.
 */
export interface PairStats {
  n: number;
  kl: number; // tr(KL) = ‖XᵀY‖²_F
  kk: number; // tr(KK) = ‖XᵀX‖²_F
  ll: number; // tr(LL) = ‖YᵀY‖²_F
  dx: Float64Array; // diag(K) = ‖x_i‖², [n]
  dy: Float64Array; // diag(L) = ‖y_i‖², [n]
  kOne: Float64Array; // K1, [n]
  lOne: Float64Array; // L1, [n]
}

function checkPair(x: DenseMatrix, y: DenseMatrix): void {
  if (x.rows !== y.rows) {
    throw new Error(`CKA: X has ${x.rows} examples and Y has ${y.rows}; both must hold the same probe examples`);
  }
  if (x.rows < 2) throw new Error(`CKA: need at least 2 examples, got ${x.rows}`);
}

/** float32 or float64 activations → centred float64 copy. */
export function centred(m: DenseMatrix, what: string): Matrix {
  return centerColumnsInPlace(toFloat64(m, what));
}

/** Multiply-adds of each form for n examples of widths p and q. */
export function formCosts(n: number, p: number, q: number): { feature: number; gram: number } {
  return { feature: n * (p * q + p * p + q * q), gram: n * n * (p + q) + 3 * n * n };
}

/** The cheaper form for the given costs, unless one is asked for. */
export function chooseFormCost(costs: { feature: number; gram: number }, form: CKAForm = 'auto'): 'feature' | 'gram' {
  if (form !== 'auto') return form;
  return costs.feature <= costs.gram ? 'feature' : 'gram';
}

export function chooseForm(n: number, p: number, q: number, form: CKAForm = 'auto'): 'feature' | 'gram' {
  return chooseFormCost(formCosts(n, p, q), form);
}

/** M v for M [n, p], v [p] → [n]. */
function matVec(m: Matrix, v: Float64Array): Float64Array {
  const out = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    let s = 0;
    const off = i * m.cols;
    for (let j = 0; j < m.cols; j++) s += m.data[off + j] * v[j];
    out[i] = s;
  }
  return out;
}

function columnSums(m: Matrix): Float64Array {
  const s = new Float64Array(m.cols);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) s[j] += m.data[i * m.cols + j];
  return s;
}

function sumSq(a: Float64Array): number {
  return frobeniusInner(a, a);
}

/** Pair statistics from the features (no n×n matrix is formed). X, Y may be centred or not. */
export async function pairStatsFeature(x: Matrix, y: Matrix): Promise<PairStats> {
  const xty = await gemm(x, y, { transA: true }); // [p, q]
  const xtx = await gemm(x, x, { transA: true }); // [p, p]
  const yty = await gemm(y, y, { transA: true }); // [q, q]
  return {
    n: x.rows,
    kl: sumSq(xty.data),
    kk: sumSq(xtx.data),
    ll: sumSq(yty.data),
    dx: rowSquaredNorms(x),
    dy: rowSquaredNorms(y),
    kOne: matVec(x, columnSums(x)), // K1 = X (Xᵀ1)
    lOne: matVec(y, columnSums(y)),
  };
}

/** diag(K) and K1 of a square K [n, n]. */
export function diagAndRowSums(k: Matrix): { diag: Float64Array; one: Float64Array } {
  const n = k.rows;
  const diag = new Float64Array(n);
  const one = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    diag[i] = k.data[i * n + i];
    let s = 0;
    for (let j = 0; j < n; j++) s += k.data[i * n + j];
    one[i] = s;
  }
  return { diag, one };
}

/** K = XXᵀ [n, n]. */
export function linearGram(x: Matrix): Promise<Matrix> {
  return gemm(x, x, { transB: true });
}

/** Pair statistics from two (symmetric) Gram matrices K, L [n, n]. */
export function pairStatsFromGrams(k: Matrix, l: Matrix): PairStats {
  if (k.rows !== k.cols || l.rows !== l.cols || k.rows !== l.rows) {
    throw new Error(`CKA: Gram matrices must be square and equal-sized, got [${k.rows}, ${k.cols}] and [${l.rows}, ${l.cols}]`);
  }
  const a = diagAndRowSums(k);
  const b = diagAndRowSums(l);
  return {
    n: k.rows,
    kl: frobeniusInner(k.data, l.data),
    kk: sumSq(k.data),
    ll: sumSq(l.data),
    dx: a.diag,
    dy: b.diag,
    kOne: a.one,
    lOne: b.one,
  };
}

export async function pairStatsGram(x: Matrix, y: Matrix): Promise<PairStats> {
  return pairStatsFromGrams(await linearGram(x), await linearGram(y));
}

/** Scalar aggregates from which the unbiased HSIC₁ of K and L follows (K̃, L̃: zero diagonals). */
export interface HSICSums {
  n: number;
  kl: number; // tr(KL) = Σ_ij K_ij L_ij
  diagProd: number; // Σ_i K_ii L_ii
  sumK: number; // 1ᵀK1
  sumL: number; // 1ᵀL1
  traceK: number; // Σ_i K_ii
  traceL: number; // Σ_i L_ii
  rowProd: number; // (K̃1)·(L̃1)
}

/**
 * Unbiased HSIC₁ (Song et al. 2012, eq. 5). The 1/(n(n−3)) factor cancels in a single CKA but not
 * in minibatch averages, so it is kept. Needs n ≥ 4.
 */
export function unbiasedHSICFromSums(s: HSICSums): number {
  const n = s.n;
  if (n < 4) throw new Error(`debiased CKA needs at least 4 examples, got ${n}`);
  const trKtLt = s.kl - s.diagProd; // tr(K̃L̃): off-diagonal part of Σ K_ij L_ij
  const sumKt = s.sumK - s.traceK; // 1ᵀK̃1
  const sumLt = s.sumL - s.traceL;
  return (trKtLt + (sumKt * sumLt) / ((n - 1) * (n - 2)) - (2 / (n - 2)) * s.rowProd) / (n * (n - 3));
}

/** Unbiased HSIC₁ from tr(KL), the diagonals dk, dl and the row sums K1, L1 (all [n]). */
export function unbiasedHSIC(
  n: number,
  kl: number,
  dk: Float64Array,
  dl: Float64Array,
  kOne: Float64Array,
  lOne: Float64Array,
): number {
  const s: HSICSums = { n, kl, diagProd: 0, sumK: 0, sumL: 0, traceK: 0, traceL: 0, rowProd: 0 };
  for (let i = 0; i < n; i++) {
    s.diagProd += dk[i] * dl[i];
    s.sumK += kOne[i];
    s.sumL += lOne[i];
    s.traceK += dk[i];
    s.traceL += dl[i];
    s.rowProd += (kOne[i] - dk[i]) * (lOne[i] - dl[i]);
  }
  return unbiasedHSICFromSums(s);
}

/**
 * Unbiased HSIC₁ of column-centred features, from tr(KL) and the diagonals ‖x_i‖², ‖y_i‖² alone:
 * centring makes K1 = 0, so K̃1 = −diag K (HSIC₁ itself is invariant to the centring).
 */
export function unbiasedHSICCentred(n: number, kl: number, dk: Float64Array, dl: Float64Array): number {
  let diagProd = 0;
  let traceK = 0;
  let traceL = 0;
  for (let i = 0; i < n; i++) {
    diagProd += dk[i] * dl[i];
    traceK += dk[i];
    traceL += dl[i];
  }
  return unbiasedHSICFromSums({ n, kl, diagProd, sumK: 0, sumL: 0, traceK, traceL, rowProd: diagProd });
}

/** The three unbiased HSIC₁ values (XY, XX, YY) of a pair. */
export function unbiasedHSICTriple(s: PairStats): { xy: number; xx: number; yy: number } {
  return {
    xy: unbiasedHSIC(s.n, s.kl, s.dx, s.dy, s.kOne, s.lOne),
    xx: unbiasedHSIC(s.n, s.kk, s.dx, s.dx, s.kOne, s.kOne),
    yy: unbiasedHSIC(s.n, s.ll, s.dy, s.dy, s.lOne, s.lOne),
  };
}

/** CKA from tr(KL), tr(KK), tr(LL) of centred kernels. */
export function ckaFromTraces(kl: number, kk: number, ll: number): number {
  const denom = Math.sqrt(kk) * Math.sqrt(ll);
  if (!(denom > 0)) {
    throw new Error('CKA undefined: a representation is constant across examples (zero variance after centring)');
  }
  return kl / denom;
}

/** Debiased CKA from unbiased HSIC values; NaN-free error when a self-HSIC is not positive. */
export function ckaFromUnbiased(xy: number, xx: number, yy: number): number {
  if (!(xx > 0) || !(yy > 0)) {
    throw new Error(`debiased CKA undefined: unbiased self-HSIC is not positive (${xx}, ${yy}); too few examples?`);
  }
  return xy / Math.sqrt(xx * yy);
}

async function stats(x: DenseMatrix, y: DenseMatrix, opts: CKAOptions): Promise<PairStats> {
  checkPair(x, y);
  const xc = centred(x, 'CKA X');
  const yc = centred(y, 'CKA Y');
  return chooseForm(xc.rows, xc.cols, yc.cols, opts.form) === 'feature'
    ? pairStatsFeature(xc, yc)
    : pairStatsGram(xc, yc);
}

/** Linear CKA of X [n, p] and Y [n, q] (float32 or float64 in, float64 math). */
export async function linearCKA(x: DenseMatrix, y: DenseMatrix, opts: CKAOptions = {}): Promise<number> {
  const s = await stats(x, y, opts);
  return ckaFromTraces(s.kl, s.kk, s.ll);
}

/** Debiased linear CKA (unbiased HSIC₁ in place of the biased HSIC). */
export async function debiasedCKA(x: DenseMatrix, y: DenseMatrix, opts: CKAOptions = {}): Promise<number> {
  const t = unbiasedHSICTriple(await stats(x, y, opts));
  return ckaFromUnbiased(t.xy, t.xx, t.yy);
}
