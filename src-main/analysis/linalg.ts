// Dense float64 linear algebra for the analyses. Large GEMMs run in onnxruntime-node (MLAS double
// GEMM, ~80 ms for 2000x768 · 768x2000 on 2 threads vs seconds in plain JS); small ones stay in JS,
// where a session's creation (a few ms) and the call overhead would cost more than the product.
import * as ort from 'onnxruntime-node';
import { gemmModel } from './onnx-gemm';

/** Row-major float64 matrix: element (i, j) is data[i * cols + j]. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** Row-major matrix as stored (activations are float32 blobs) or already in float64. */
export interface DenseMatrix {
  rows: number;
  cols: number;
  data: Float32Array | Float64Array;
}

export interface GemmOptions {
  transA?: boolean;
  transB?: boolean;
  /** 'auto' (default) picks ORT above ORT_MIN_MULADDS; 'js' / 'ort' force a backend (tests, bench). */
  backend?: 'auto' | 'js' | 'ort';
}

/** Products with fewer multiply-adds than this run in JS (≈5 ms there; a new ORT session costs about as much). */
export const ORT_MIN_MULADDS = 2_000_000;
/**
 * Products below this run on one intra-op thread: splitting a ~1 ms GEMM over two threads gains
 * little, and on a busy 2-core machine the second thread's spin-wait makes it several times slower.
 */
export const TWO_THREAD_MIN_MULADDS = 8_000_000;
/** Sessions kept alive, least recently used evicted first; each holds only its plan, not data. */
const MAX_SESSIONS = 24;
const sessions = new Map<string, Promise<ort.InferenceSession>>();

export function zeros(rows: number, cols: number): Matrix {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

/** Validates the shape and converts to float64 (a copy, so callers may centre it in place). */
export function toFloat64(m: DenseMatrix, what = 'matrix'): Matrix {
  if (!Number.isInteger(m.rows) || !Number.isInteger(m.cols) || m.rows < 0 || m.cols < 0) {
    throw new Error(`${what}: invalid shape [${m.rows}, ${m.cols}]`);
  }
  if (m.data.length !== m.rows * m.cols) {
    throw new Error(`${what}: data has ${m.data.length} values, shape [${m.rows}, ${m.cols}] needs ${m.rows * m.cols}`);
  }
  const data = Float64Array.from(m.data);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new Error(`${what}: non-finite value ${data[i]} at row ${Math.floor(i / m.cols)}, column ${i % m.cols}`);
    }
  }
  return { rows: m.rows, cols: m.cols, data };
}

/** Column means of X [n, p] → [p]. */
export function columnMeans(x: Matrix): Float64Array {
  const { rows: n, cols: p, data } = x;
  const mean = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    const off = i * p;
    for (let j = 0; j < p; j++) mean[j] += data[off + j];
  }
  for (let j = 0; j < p; j++) mean[j] /= n;
  return mean;
}

/** Subtracts column means in place: X ← X − 1 μᵀ. */
export function centerColumnsInPlace(x: Matrix): Matrix {
  const mean = columnMeans(x);
  const { rows: n, cols: p, data } = x;
  for (let i = 0; i < n; i++) {
    const off = i * p;
    for (let j = 0; j < p; j++) data[off + j] -= mean[j];
  }
  return x;
}

export function transpose(x: Matrix): Matrix {
  const out = zeros(x.cols, x.rows);
  for (let i = 0; i < x.rows; i++) {
    for (let j = 0; j < x.cols; j++) out.data[j * x.rows + i] = x.data[i * x.cols + j];
  }
  return out;
}

/** Σ a_ij b_ij. */
export function frobeniusInner(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) throw new Error(`frobeniusInner: lengths ${a.length} and ${b.length} differ`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Squared row norms of X [n, p] → [n] (the diagonal of X Xᵀ). */
export function rowSquaredNorms(x: Matrix): Float64Array {
  const out = new Float64Array(x.rows);
  for (let i = 0; i < x.rows; i++) {
    let s = 0;
    const off = i * x.cols;
    for (let j = 0; j < x.cols; j++) s += x.data[off + j] * x.data[off + j];
    out[i] = s;
  }
  return out;
}

function gemmShape(a: Matrix, b: Matrix, transA: boolean, transB: boolean): [number, number, number] {
  const m = transA ? a.cols : a.rows;
  const k = transA ? a.rows : a.cols;
  const kb = transB ? b.cols : b.rows;
  const n = transB ? b.rows : b.cols;
  if (k !== kb) {
    throw new Error(`gemm: inner dimensions differ: op(A) is [${m}, ${k}], op(B) is [${kb}, ${n}]`);
  }
  return [m, k, n];
}

/** Plain-JS GEMM, i-k-j loop over contiguous rows (transposed operands are materialised first). */
export function gemmJS(a: Matrix, b: Matrix, opts: { transA?: boolean; transB?: boolean } = {}): Matrix {
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  const [m, k, n] = gemmShape(a, b, transA, transB);
  const A = transA ? transpose(a).data : a.data; // [m, k]
  const B = transB ? transpose(b).data : b.data; // [k, n]
  const C = new Float64Array(m * n); // [m, n]
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let t = 0; t < k; t++) {
      const av = A[i * k + t];
      if (av === 0) continue;
      const bt = t * n;
      for (let j = 0; j < n; j++) C[ci + j] += av * B[bt + j];
    }
  }
  return { rows: m, cols: n, data: C };
}

function sessionFor(m: number, k: number, n: number, transA: boolean, transB: boolean): Promise<ort.InferenceSession> {
  const threads = m * k * n >= TWO_THREAD_MIN_MULADDS ? 2 : 1;
  const key = `${m}x${k}x${n}:${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}:${threads}`;
  const hit = sessions.get(key);
  if (hit) {
    sessions.delete(key); // re-insert: Map order is the LRU order
    sessions.set(key, hit);
    return hit;
  }
  const created = ort.InferenceSession.create(gemmModel(m, k, n, transA, transB), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  sessions.set(key, created);
  created.catch(() => sessions.delete(key));
  while (sessions.size > MAX_SESSIONS) {
    const [oldKey, old] = sessions.entries().next().value as [string, Promise<ort.InferenceSession>];
    sessions.delete(oldKey);
    old.then((s) => s.release()).catch(() => undefined);
  }
  return created;
}

/** C = op(A) · op(B) in float64. */
export async function gemm(a: Matrix, b: Matrix, opts: GemmOptions = {}): Promise<Matrix> {
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  const [m, k, n] = gemmShape(a, b, transA, transB);
  const backend = opts.backend ?? 'auto';
  const useOrt = backend === 'ort' || (backend === 'auto' && m * k * n >= ORT_MIN_MULADDS);
  if (!useOrt || m === 0 || n === 0 || k === 0) return gemmJS(a, b, { transA, transB });
  const session = await sessionFor(m, k, n, transA, transB);
  const out = await session.run({
    A: new ort.Tensor('float64', a.data, [a.rows, a.cols]),
    B: new ort.Tensor('float64', b.data, [b.rows, b.cols]),
  });
  return { rows: m, cols: n, data: out.Y.data as Float64Array };
}

/** Releases every cached ORT session (tests and scripts call this before exiting). */
export async function disposeGemmSessions(): Promise<void> {
  const all = [...sessions.values()];
  sessions.clear();
  await Promise.all(all.map((p) => p.then((s) => s.release()).catch(() => undefined)));
}
