// CKA over probe sets too large to hold at once, fed one minibatch of examples at a time.
// - MinibatchCKA: Nguyen, Raghu & Kornblith (2021), "Do wide and deep networks learn the same
//   things?", §3.1: average the unbiased HSIC₁ of each minibatch, then normalise —
//   CKA = mean_i HSIC₁(K_i, L_i) / √(mean_i HSIC₁(K_i, K_i) · mean_i HSIC₁(L_i, L_i)). Memory is
//   O(m²) per layer; works for whole layer × layer tables. An estimate: it differs from the full-set
//   value by sampling noise of order 1/m.
// - StreamingCKA: the exact full-set linear and debiased CKA of one pair, from running sums
//   (XᵀY, XᵀX, YᵀY, column sums, row-norm moments). Memory O(p·q), independent of n; equals the
//   in-memory result up to rounding.
import { ckaFromTraces, ckaFromUnbiased, unbiasedHSICCentred, unbiasedHSICFromSums } from './cka';
import { centredLayers, innerProducts } from './cross-layer';
import type { CrossLayerOptions, LayerTable } from './cross-layer';
import { columnMeans, gemm, rowSquaredNorms, toFloat64 } from './linalg';
import type { DenseMatrix, Matrix } from './linalg';

/** Nguyen et al.'s minibatch CKA for every layer pair of two models (B omitted = A against itself). */
export class MinibatchCKA {
  private readonly xy: Float64Array;
  private readonly xx: Float64Array;
  private readonly yy: Float64Array;
  private count = 0;

  constructor(
    readonly layersA: number,
    readonly layersB: number | null = null,
    private readonly opts: CrossLayerOptions = {},
  ) {
    this.xy = new Float64Array(layersA * (layersB ?? layersA));
    this.xx = new Float64Array(layersA);
    this.yy = new Float64Array(layersB ?? layersA);
  }

  get batches(): number {
    return this.count;
  }

  /** Adds one minibatch: the same m ≥ 4 examples' activations for every layer of A (and B). */
  async update(batchA: DenseMatrix[], batchB?: DenseMatrix[]): Promise<void> {
    const twoModels = this.layersB !== null;
    if (batchA.length !== this.layersA) throw new Error(`minibatch CKA: model A batch has ${batchA.length} layers, expected ${this.layersA}`);
    if (twoModels !== (batchB !== undefined)) {
      throw new Error(twoModels ? 'minibatch CKA: model B batch missing' : 'minibatch CKA: built for one model, got a model B batch');
    }
    if (batchB && batchB.length !== this.layersB) throw new Error(`minibatch CKA: model B batch has ${batchB.length} layers, expected ${this.layersB}`);
    const m = batchA[0].rows;
    if (m < 4) throw new Error(`minibatch CKA: a minibatch needs at least 4 examples, got ${m}`);
    // Centred with the batch's own means: HSIC₁ is invariant to the shift, and centring keeps K1 = 0.
    const ca = centredLayers(batchA, m, 'model A');
    const cb = batchB ? centredLayers(batchB, m, 'model B') : null;
    const ip = await innerProducts(ca, cb, this.opts);
    const da = ca.map(rowSquaredNorms);
    const db = cb ? cb.map(rowSquaredNorms) : da;
    for (let i = 0; i < ip.ab.rows; i++) {
      for (let j = 0; j < ip.ab.cols; j++) this.xy[i * ip.ab.cols + j] += unbiasedHSICCentred(m, ip.ab.data[i * ip.ab.cols + j], da[i], db[j]);
    }
    for (let i = 0; i < da.length; i++) this.xx[i] += unbiasedHSICCentred(m, ip.aa[i], da[i], da[i]);
    for (let j = 0; j < db.length; j++) this.yy[j] += unbiasedHSICCentred(m, ip.bb[j], db[j], db[j]);
    this.count++;
  }

  /** The L_A × L_B table of minibatch CKA (the 1/k of the means cancels). */
  result(): LayerTable {
    if (this.count === 0) throw new Error('minibatch CKA: no minibatch was added');
    const cols = this.yy.length;
    const out = new Float64Array(this.xy.length);
    for (let i = 0; i < this.layersA; i++) {
      for (let j = 0; j < cols; j++) out[i * cols + j] = ckaFromUnbiased(this.xy[i * cols + j], this.xx[i], this.yy[j]);
    }
    return { rows: this.layersA, cols, data: out };
  }
}

/** Exact linear and debiased CKA of one pair (X [n, p], Y [n, q]) accumulated over row batches. */
export class StreamingCKA {
  private n = 0;
  private shiftX: Float64Array | null = null; // first batch's column means: centring is shift-invariant,
  private shiftY: Float64Array | null = null; // and shifting first keeps the sums small (less cancellation)
  private readonly sxy: Float64Array; // Σ x_i y_iᵀ [p, q]
  private readonly sxx: Float64Array; // [p, p]
  private readonly syy: Float64Array; // [q, q]
  private readonly sx: Float64Array; // Σ x_i [p]
  private readonly sy: Float64Array; // [q]
  private readonly xDy: Float64Array; // Σ x_i ‖y_i‖² [p]
  private readonly yDx: Float64Array; // Σ y_i ‖x_i‖² [q]
  private readonly xDx: Float64Array; // Σ x_i ‖x_i‖² [p]
  private readonly yDy: Float64Array; // Σ y_i ‖y_i‖² [q]
  private dxdy = 0; // Σ ‖x_i‖²‖y_i‖²
  private dxdx = 0;
  private dydy = 0;
  private dxSum = 0; // Σ ‖x_i‖²
  private dySum = 0;

  constructor(
    readonly p: number,
    readonly q: number,
  ) {
    this.sxy = new Float64Array(p * q);
    this.sxx = new Float64Array(p * p);
    this.syy = new Float64Array(q * q);
    this.sx = new Float64Array(p);
    this.sy = new Float64Array(q);
    this.xDy = new Float64Array(p);
    this.yDx = new Float64Array(q);
    this.xDx = new Float64Array(p);
    this.yDy = new Float64Array(q);
  }

  get examples(): number {
    return this.n;
  }

  async update(xBatch: DenseMatrix, yBatch: DenseMatrix): Promise<void> {
    if (xBatch.cols !== this.p || yBatch.cols !== this.q) {
      throw new Error(`streaming CKA: batch widths [${xBatch.cols}, ${yBatch.cols}], expected [${this.p}, ${this.q}]`);
    }
    if (xBatch.rows !== yBatch.rows) throw new Error(`streaming CKA: X batch has ${xBatch.rows} rows and Y batch ${yBatch.rows}`);
    const x = toFloat64(xBatch, 'streaming CKA X batch');
    const y = toFloat64(yBatch, 'streaming CKA Y batch');
    this.shiftX ??= columnMeans(x);
    this.shiftY ??= columnMeans(y);
    shiftRows(x, this.shiftX);
    shiftRows(y, this.shiftY);
    add(this.sxy, (await gemm(x, y, { transA: true })).data); // [p, q]
    add(this.sxx, (await gemm(x, x, { transA: true })).data); // [p, p]
    add(this.syy, (await gemm(y, y, { transA: true })).data); // [q, q]
    const dx = rowSquaredNorms(x);
    const dy = rowSquaredNorms(y);
    for (let i = 0; i < x.rows; i++) {
      addScaledRow(this.sx, x, i, 1);
      addScaledRow(this.sy, y, i, 1);
      addScaledRow(this.xDy, x, i, dy[i]);
      addScaledRow(this.yDx, y, i, dx[i]);
      addScaledRow(this.xDx, x, i, dx[i]);
      addScaledRow(this.yDy, y, i, dy[i]);
      this.dxdy += dx[i] * dy[i];
      this.dxdx += dx[i] * dx[i];
      this.dydy += dy[i] * dy[i];
      this.dxSum += dx[i];
      this.dySum += dy[i];
    }
    this.n += x.rows;
  }

  /** Linear CKA of the centred full set: C_xy = S_xy − s_x s_yᵀ / n. */
  linear(): number {
    this.requireExamples(2);
    const n = this.n;
    const cxy = centredSq(this.sxy, this.sx, this.sy, n);
    const cxx = centredSq(this.sxx, this.sx, this.sx, n);
    const cyy = centredSq(this.syy, this.sy, this.sy, n);
    return ckaFromTraces(cxy, cxx, cyy);
  }

  /** Debiased CKA of the full set (unbiased HSIC₁ is shift-invariant, so the shifted sums suffice). */
  debiased(): number {
    this.requireExamples(4);
    const n = this.n;
    // (K̃1)·(L̃1) = Σ_i (x_i·s_x − ‖x_i‖²)(y_i·s_y − ‖y_i‖²), expanded into the running sums.
    const rowProd = (sab: Float64Array, sa: Float64Array, sb: Float64Array, aDb: Float64Array, bDa: Float64Array, dadb: number) =>
      bilinear(sab, sa, sb) - dot(sa, aDb) - dot(sb, bDa) + dadb;
    const xy = unbiasedHSICFromSums({
      n,
      kl: dot(this.sxy, this.sxy),
      diagProd: this.dxdy,
      sumK: dot(this.sx, this.sx),
      sumL: dot(this.sy, this.sy),
      traceK: this.dxSum,
      traceL: this.dySum,
      rowProd: rowProd(this.sxy, this.sx, this.sy, this.xDy, this.yDx, this.dxdy),
    });
    const xx = unbiasedHSICFromSums({
      n,
      kl: dot(this.sxx, this.sxx),
      diagProd: this.dxdx,
      sumK: dot(this.sx, this.sx),
      sumL: dot(this.sx, this.sx),
      traceK: this.dxSum,
      traceL: this.dxSum,
      rowProd: rowProd(this.sxx, this.sx, this.sx, this.xDx, this.xDx, this.dxdx),
    });
    const yy = unbiasedHSICFromSums({
      n,
      kl: dot(this.syy, this.syy),
      diagProd: this.dydy,
      sumK: dot(this.sy, this.sy),
      sumL: dot(this.sy, this.sy),
      traceK: this.dySum,
      traceL: this.dySum,
      rowProd: rowProd(this.syy, this.sy, this.sy, this.yDy, this.yDy, this.dydy),
    });
    return ckaFromUnbiased(xy, xx, yy);
  }

  private requireExamples(min: number): void {
    if (this.n < min) throw new Error(`streaming CKA: ${this.n} examples seen, need at least ${min}`);
  }
}

function shiftRows(x: Matrix, shift: Float64Array): void {
  for (let i = 0; i < x.rows; i++) for (let j = 0; j < x.cols; j++) x.data[i * x.cols + j] -= shift[j];
}

function add(into: Float64Array, v: Float64Array): void {
  for (let i = 0; i < into.length; i++) into[i] += v[i];
}

function addScaledRow(into: Float64Array, x: Matrix, row: number, scale: number): void {
  const off = row * x.cols;
  for (let j = 0; j < x.cols; j++) into[j] += scale * x.data[off + j];
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** aᵀ M b for M [a.length, b.length]. */
function bilinear(m: Float64Array, a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    let row = 0;
    for (let j = 0; j < b.length; j++) row += m[i * b.length + j] * b[j];
    s += a[i] * row;
  }
  return s;
}

/** ‖S − a bᵀ/n‖²_F. */
function centredSq(s: Float64Array, a: Float64Array, b: Float64Array, n: number): number {
  let total = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < b.length; j++) {
      const v = s[i * b.length + j] - (a[i] * b[j]) / n;
      total += v * v;
    }
  }
  return total;
}
