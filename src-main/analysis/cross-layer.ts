// Layer × layer CKA between two models (or a model and itself). Each layer is centred once, and the
// L_A × L_B table of tr(K_a K_b) comes from one pass over the layers, never from L_A·L_B separate
// CKA calls: in the Gram form each layer's centred Gram is formed once (in tiles, so n = 2000
// × 46 layers never needs all Grams in memory at once) and all pairwise Frobenius inner products are
// one GEMM per tile of the stacked, flattened tiles; in the feature form (cheaper when n ≫ width) each
// pair costs one ‖X_aᵀX_b‖²_F.
import { chooseFormCost, centred, ckaFromTraces, ckaFromUnbiased, unbiasedHSICCentred } from './cka';
import type { CKAForm } from './cka';
import { gemm, rowSquaredNorms } from './linalg';
import type { DenseMatrix, Matrix } from './linalg';

/** Row-major L_A × L_B table; entry (a, b) is data[a * cols + b]. */
export interface LayerTable {
  rows: number;
  cols: number;
  data: Float64Array;
}

export interface CrossLayerOptions {
  form?: CKAForm;
  /** Upper bound on the bytes of stacked Gram tiles held at once (default 128 MiB). */
  blockBudgetBytes?: number;
}

/** tr(K_a K_b) for all pairs, plus tr(K_a K_a) and tr(K_b K_b), of centred layers. */
export interface InnerProducts {
  ab: LayerTable;
  aa: Float64Array; // [L_A]
  bb: Float64Array; // [L_B]
}

/** Validates that every layer of both models holds the same n examples; centres them (float64). */
export function centredLayers(layers: DenseMatrix[], n: number, model: string): Matrix[] {
  if (layers.length === 0) throw new Error(`${model}: no layers given`);
  return layers.map((l, i) => {
    if (l.rows !== n) {
      throw new Error(`${model} layer ${i}: ${l.rows} examples, expected ${n} (all layers and models must use the same probe examples)`);
    }
    return centred(l, `${model} layer ${i}`);
  });
}

function sumSq(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s;
}

/** Rows [r0, r1) of X as a view (no copy). */
function rowBlock(x: Matrix, r0: number, r1: number): Matrix {
  return { rows: r1 - r0, cols: x.cols, data: x.data.subarray(r0 * x.cols, r1 * x.cols) };
}

/** Tile (I, J) of every layer's Gram, K_l[I, J] = X_l[I] X_l[J]ᵀ [b_I, b_J], flattened side by side. */
async function stackGramTiles(layers: Matrix[], rowsI: [number, number], rowsJ: [number, number]): Promise<Matrix> {
  const width = (rowsI[1] - rowsI[0]) * (rowsJ[1] - rowsJ[0]);
  const stack = new Float64Array(layers.length * width); // [L, b_I·b_J]
  for (let l = 0; l < layers.length; l++) {
    const tile = await gemm(rowBlock(layers[l], ...rowsI), rowBlock(layers[l], ...rowsJ), { transB: true }); // [b_I, b_J]
    stack.set(tile.data, l * width);
  }
  return { rows: layers.length, cols: width, data: stack };
}

/** into[l] += weight · Σ of squares of layer l's slice of a stack [L, w]. */
function addRowSumSq(stack: Matrix, into: Float64Array, weight: number): void {
  for (let l = 0; l < stack.rows; l++) into[l] += weight * sumSq(stack.data.subarray(l * stack.cols, (l + 1) * stack.cols));
}

/**
 * Row ranges of the Gram tiles: as few equal tiles as the memory budget allows, but at most
 * `maxTile` rows so that large n gets the saving of the symmetric half (below).
 */
export function gramTiles(n: number, layersHeld: number, budgetBytes: number, maxTile = 512): [number, number][] {
  const byBudget = Math.floor(Math.sqrt(budgetBytes / (8 * layersHeld)));
  const cap = Math.max(1, Math.min(n, maxTile, byBudget));
  const count = Math.ceil(n / cap);
  const size = Math.ceil(n / count);
  const tiles: [number, number][] = [];
  for (let r0 = 0; r0 < n; r0 += size) tiles.push([r0, Math.min(n, r0 + size)]);
  return tiles;
}

/**
 * Gram form; `b === null` means B is A (one model against itself: half the Grams). The Grams are
 * symmetric, so only tiles (I, J) with I ≤ J are formed and off-diagonal tiles count twice:
 * about half the GEMM work of full Grams once n spans several tiles.
 */
export async function gramInnerProducts(a: Matrix[], b: Matrix[] | null, budgetBytes = 128 * 2 ** 20): Promise<InnerProducts> {
  const n = a[0].rows;
  const lb = b ? b.length : a.length;
  const tiles = gramTiles(n, a.length + (b ? b.length : 0), budgetBytes);
  const ab = new Float64Array(a.length * lb);
  const aa = new Float64Array(a.length);
  const bb = b ? new Float64Array(b.length) : aa;
  for (let i = 0; i < tiles.length; i++) {
    for (let j = i; j < tiles.length; j++) {
      const weight = i === j ? 1 : 2; // tile (J, I) is the transpose of tile (I, J) in both Grams
      const sa = await stackGramTiles(a, tiles[i], tiles[j]);
      const sb = b ? await stackGramTiles(b, tiles[i], tiles[j]) : sa;
      const part = await gemm(sa, sb, { transB: true }); // [L_A, L_B]: Σ over the tile of K_a ∘ K_b
      for (let k = 0; k < ab.length; k++) ab[k] += weight * part.data[k];
      // Self terms ‖K‖²_F accumulate from the same tiles (for A vs A they are the diagonal of ab).
      addRowSumSq(sa, aa, weight);
      if (b) addRowSumSq(sb, bb, weight);
    }
  }
  return { ab: { rows: a.length, cols: lb, data: ab }, aa, bb };
}

/** ‖XXᵀ‖²_F via whichever of XXᵀ [n, n] and XᵀX [p, p] is smaller. */
async function selfInner(x: Matrix): Promise<number> {
  const g = x.rows <= x.cols ? await gemm(x, x, { transB: true }) : await gemm(x, x, { transA: true });
  return sumSq(g.data);
}

/** Feature form: ‖X_aᵀ X_b‖²_F for every pair. */
export async function featureInnerProducts(a: Matrix[], b: Matrix[] | null): Promise<InnerProducts> {
  const bs = b ?? a;
  const ab = new Float64Array(a.length * bs.length);
  for (let i = 0; i < a.length; i++) {
    for (let j = b ? 0 : i; j < bs.length; j++) {
      const v = sumSq((await gemm(a[i], bs[j], { transA: true })).data); // [p_a, p_b]
      ab[i * bs.length + j] = v;
      if (!b) ab[j * bs.length + i] = v;
    }
  }
  const table = { rows: a.length, cols: bs.length, data: ab };
  if (!b) {
    const diag = new Float64Array(a.length);
    for (let i = 0; i < a.length; i++) diag[i] = ab[i * a.length + i];
    return { ab: table, aa: diag, bb: diag };
  }
  const aa = new Float64Array(a.length);
  const bb = new Float64Array(b.length);
  for (let i = 0; i < a.length; i++) aa[i] = await selfInner(a[i]);
  for (let j = 0; j < b.length; j++) bb[j] = await selfInner(b[j]);
  return { ab: table, aa, bb };
}

/** Multiply-adds of the two forms for the whole table. */
export function crossLayerCosts(n: number, widthsA: number[], widthsB: number[] | null): { feature: number; gram: number } {
  const sum = (w: number[]) => w.reduce((s, v) => s + v, 0);
  const sumSqW = (w: number[]) => w.reduce((s, v) => s + v * v, 0);
  const wb = widthsB ?? widthsA;
  const pairs = widthsA.length * wb.length; // one GEMM computes the whole table, symmetric or not
  const feature = widthsB ? n * sum(widthsA) * sum(wb) + n * (sumSqW(widthsA) + sumSqW(wb)) : 0.5 * n * sum(widthsA) ** 2;
  const gram = n * n * (sum(widthsA) + (widthsB ? sum(wb) : 0)) + pairs * n * n;
  return { feature, gram };
}

/** Inner products in whichever form is cheaper (or the one asked for). */
export async function innerProducts(a: Matrix[], b: Matrix[] | null, opts: CrossLayerOptions = {}): Promise<InnerProducts> {
  const form = chooseFormCost(crossLayerCosts(a[0].rows, a.map((m) => m.cols), b ? b.map((m) => m.cols) : null), opts.form);
  return form === 'feature' ? featureInnerProducts(a, b) : gramInnerProducts(a, b, opts.blockBudgetBytes);
}

function prepare(a: DenseMatrix[], b: DenseMatrix[] | undefined): { ca: Matrix[]; cb: Matrix[] | null } {
  if (a.length === 0) throw new Error('model A: no layers given');
  const n = a[0].rows;
  const ca = centredLayers(a, n, 'model A');
  const cb = b && b !== a ? centredLayers(b, n, 'model B') : null;
  return { ca, cb };
}

/** CKA(A_a, B_b) for every layer pair; B omitted = A against itself. */
export async function crossLayerCKA(a: DenseMatrix[], b?: DenseMatrix[], opts: CrossLayerOptions = {}): Promise<LayerTable> {
  const { ca, cb } = prepare(a, b);
  const ip = await innerProducts(ca, cb, opts);
  const out = new Float64Array(ip.ab.data.length);
  for (let i = 0; i < ip.ab.rows; i++) {
    for (let j = 0; j < ip.ab.cols; j++) out[i * ip.ab.cols + j] = ckaFromTraces(ip.ab.data[i * ip.ab.cols + j], ip.aa[i], ip.bb[j]);
  }
  return { rows: ip.ab.rows, cols: ip.ab.cols, data: out };
}

/**
 * Debiased CKA for every layer pair. With centred features K1 = 0, so HSIC₁ needs only tr(K_aK_b)
 * and the diagonals ‖x_i‖² (K̃1 = −diag K).
 */
export async function crossLayerDebiasedCKA(a: DenseMatrix[], b?: DenseMatrix[], opts: CrossLayerOptions = {}): Promise<LayerTable> {
  const { ca, cb } = prepare(a, b);
  const ip = await innerProducts(ca, cb, opts);
  const da = ca.map(rowSquaredNorms);
  const db = cb ? cb.map(rowSquaredNorms) : da;
  const n = ca[0].rows;
  const hsic = (kl: number, dk: Float64Array, dl: Float64Array): number => unbiasedHSICCentred(n, kl, dk, dl);
  const selfA = da.map((d, i) => hsic(ip.aa[i], d, d));
  const selfB = db.map((d, j) => hsic(ip.bb[j], d, d));
  const out = new Float64Array(ip.ab.data.length);
  for (let i = 0; i < ip.ab.rows; i++) {
    for (let j = 0; j < ip.ab.cols; j++) {
      out[i * ip.ab.cols + j] = ckaFromUnbiased(hsic(ip.ab.data[i * ip.ab.cols + j], da[i], db[j]), selfA[i], selfB[j]);
    }
  }
  return { rows: ip.ab.rows, cols: ip.ab.cols, data: out };
}
