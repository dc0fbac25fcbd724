// Multinomial logistic regression (softmax, L2 on the weights, not the bias) for linear probes.
// Features are standardised with the training split's statistics (layers differ in scale by orders
// of magnitude). Full-batch Nesterov-accelerated gradient descent with step 1/L, where
// L = ½·λ_max(X̃ᵀX̃/n) + l2 bounds the Hessian (softmax curvature ≤ ½; X̃ = [X, 1]); the iterate with
// the lowest dev loss is kept, and training stops after `patience` iterations without improvement.
// When the probe set has fewer training examples than dimensions (500 texts vs 768 dims), the same
// iterates are computed in the dual: started from 0, every gradient step keeps W = X_sᵀA in the row
// space of the standardised training features, so the step W ← W − η(X_sᵀR/n + l2·W) is
// A ← A − η(R/n + l2·A) and the logits are G A with G = X_s X_sᵀ; each iteration then costs n²C
// instead of 2npC and needs one product, not two. Products run in onnxruntime (same shapes every
// iteration, so the cached sessions are reused).
import { Rng } from '../../native-runner/util/rng';
import { gemm } from './linalg';
import type { Matrix } from './linalg';

export interface LogRegOptions {
  l2?: number; // weight penalty (l2/2)·‖W‖² (default 1e-3)
  maxIters?: number; // default 500
  patience?: number; // iterations without a better dev loss before stopping (default 25)
  /** 'auto' (default): dual when the training set has fewer examples than dimensions. */
  solver?: 'auto' | 'primal' | 'dual';
}

export interface LogRegModel {
  numClasses: number;
  mean: Float64Array; // [p] training means
  scale: Float64Array; // [p] 1 / training std (1 for constant features)
  weights: Matrix; // [p, C]
  bias: Float64Array; // [C]
}

export interface LogRegFit {
  model: LogRegModel;
  iterations: number; // iterations run
  bestIteration: number; // iteration whose weights were kept
  devLoss: number;
}

function standardiser(x: Matrix): { mean: Float64Array; scale: Float64Array } {
  const { rows: n, cols: p, data } = x;
  const mean = new Float64Array(p);
  const sq = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) mean[j] += data[i * p + j];
  for (let j = 0; j < p; j++) mean[j] /= n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      const d = data[i * p + j] - mean[j];
      sq[j] += d * d;
    }
  }
  const scale = sq.map((s) => (s > 0 ? 1 / Math.sqrt(s / n) : 1));
  return { mean, scale };
}

export function standardise(x: Matrix, mean: Float64Array, scale: Float64Array): Matrix {
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < x.rows; i++) {
    for (let j = 0; j < x.cols; j++) out[i * x.cols + j] = (x.data[i * x.cols + j] - mean[j]) * scale[j];
  }
  return { rows: x.rows, cols: x.cols, data: out };
}

/**
 * ½·λ_max(X̃ᵀX̃/n) with X̃ = [X, 1], by power iteration on the smaller Gram side: X̃X̃ᵀ = XXᵀ + 11ᵀ
 * [n, n] (given as `gram`) or X̃ᵀX̃ [p+1, p+1]; both have the same non-zero spectrum. 5% headroom
 * covers the iteration's underestimate.
 */
async function lipschitz(x: Matrix, gram: Matrix | null): Promise<number> {
  const n = x.rows;
  let m: Matrix;
  if (gram) {
    m = { rows: n, cols: n, data: gram.data.map((v) => v + 1) };
  } else {
    const p = x.cols;
    const xtx = await gemm(x, x, { transA: true }); // [p, p]
    m = { rows: p + 1, cols: p + 1, data: new Float64Array((p + 1) * (p + 1)) };
    for (let i = 0; i < p; i++) m.data.set(xtx.data.subarray(i * p, (i + 1) * p), i * (p + 1));
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < p; j++) {
        m.data[j * (p + 1) + p] += x.data[i * p + j]; // Xᵀ1
        m.data[p * (p + 1) + j] += x.data[i * p + j];
      }
    }
    m.data[(p + 1) * (p + 1) - 1] = n;
  }
  const d = m.rows;
  // A random start: the uniform vector is an eigenvector of XXᵀ + 11ᵀ for centred X (eigenvalue n),
  // where the iteration would stall short of λ_max.
  const rng = Rng.seeded(d, 'power-iteration');
  let v = Float64Array.from({ length: d }, () => rng.normal());
  let lambda = 0;
  for (let it = 0; it < 100; it++) {
    const w = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += m.data[i * d + j] * v[j];
      w[i] = s;
    }
    let norm = 0;
    for (let i = 0; i < d; i++) norm += w[i] * w[i];
    norm = Math.sqrt(norm);
    const converged = Math.abs(norm - lambda) <= 1e-6 * norm;
    lambda = norm;
    v = w.map((z) => z / norm);
    if (converged) break;
  }
  return (0.5 * lambda * 1.05) / n;
}

/** Logits F C + 1 bᵀ → [rows of F, C]. */
async function logits(f: Matrix, coef: Float64Array, b: Float64Array): Promise<Matrix> {
  const c = b.length;
  const z = await gemm(f, { rows: f.cols, cols: c, data: coef }, { backend: 'ort' }); // [n, C]
  for (let i = 0; i < z.rows; i++) for (let k = 0; k < c; k++) z.data[i * c + k] += b[k];
  return z;
}

/** Softmax in place; returns the mean cross-entropy of the labels y. */
function softmaxLoss(z: Matrix, y: Int32Array): number {
  const c = z.cols;
  let loss = 0;
  for (let i = 0; i < z.rows; i++) {
    const off = i * c;
    let max = -Infinity;
    for (let k = 0; k < c; k++) max = Math.max(max, z.data[off + k]);
    let sum = 0;
    for (let k = 0; k < c; k++) {
      const e = Math.exp(z.data[off + k] - max);
      z.data[off + k] = e;
      sum += e;
    }
    for (let k = 0; k < c; k++) z.data[off + k] /= sum;
    loss -= Math.log(Math.max(z.data[off + y[i]], 1e-300));
  }
  return loss / z.rows;
}

function checkLabels(y: Int32Array, numClasses: number, what: string): void {
  for (let i = 0; i < y.length; i++) {
    if (!(y[i] >= 0 && y[i] < numClasses)) throw new Error(`${what}: label ${y[i]} of example ${i} is outside [0, ${numClasses})`);
  }
}

/** Fits a probe on (x, y), early-stopped on (devX, devY). Labels are class indices in [0, C). */
export async function trainLogReg(
  train: { x: Matrix; y: Int32Array },
  dev: { x: Matrix; y: Int32Array },
  numClasses: number,
  opts: LogRegOptions = {},
): Promise<LogRegFit> {
  const l2 = opts.l2 ?? 1e-3;
  const maxIters = opts.maxIters ?? 500;
  const patience = opts.patience ?? 25;
  if (train.x.rows !== train.y.length || dev.x.rows !== dev.y.length) throw new Error('logistic regression: feature rows and labels differ in count');
  if (train.x.rows === 0 || dev.x.rows === 0) throw new Error('logistic regression: empty train or dev split');
  if (train.x.cols !== dev.x.cols) throw new Error(`logistic regression: train width ${train.x.cols}, dev width ${dev.x.cols}`);
  checkLabels(train.y, numClasses, 'train');
  checkLabels(dev.y, numClasses, 'dev');
  const { mean, scale } = standardiser(train.x);
  const xs = standardise(train.x, mean, scale); // [n, p]
  const xd = standardise(dev.x, mean, scale); // [n_dev, p]
  const n = xs.rows;
  const c = numClasses;
  const dual = opts.solver === 'dual' || (opts.solver !== 'primal' && xs.cols > n);
  const f = dual ? await gemm(xs, xs, { transB: true }) : xs; // [n, n] = G, or [n, p]
  const fd = dual ? await gemm(xd, xs, { transB: true }) : xd; // [n_dev, n], or [n_dev, p]
  const step = 1 / ((await lipschitz(xs, dual ? f : null)) + l2);
  const r = f.cols; // coefficient rows: n (dual A) or p (primal W)

  let w = new Float64Array(r * c);
  let b = new Float64Array(c);
  let wPrev = w;
  let bPrev = b;
  let best = { w, b, loss: Infinity, iteration: 0 };
  let iterations = 0;
  const yw = new Float64Array(r * c);
  const yb = new Float64Array(c);
  for (let k = 1; k <= maxIters; k++) {
    iterations = k;
    const mom = (k - 1) / (k + 2); // Nesterov look-ahead
    for (let i = 0; i < yw.length; i++) yw[i] = w[i] + mom * (w[i] - wPrev[i]);
    for (let j = 0; j < c; j++) yb[j] = b[j] + mom * (b[j] - bPrev[j]);
    const prob = await logits(f, yw, yb); // [n, C]
    softmaxLoss(prob, train.y);
    for (let i = 0; i < n; i++) prob.data[i * c + train.y[i]] -= 1; // n·∂loss/∂logits = P − Y
    const gw = dual ? prob.data : (await gemm(xs, prob, { transA: true, backend: 'ort' })).data; // [r, C]
    const nextW = new Float64Array(r * c);
    const nextB = new Float64Array(c);
    for (let i = 0; i < nextW.length; i++) nextW[i] = yw[i] - step * (gw[i] / n + l2 * yw[i]);
    for (let i = 0; i < n; i++) for (let j = 0; j < c; j++) nextB[j] += prob.data[i * c + j];
    for (let j = 0; j < c; j++) nextB[j] = yb[j] - (step * nextB[j]) / n;
    wPrev = w;
    bPrev = b;
    w = nextW;
    b = nextB;
    const devLoss = softmaxLoss(await logits(fd, w, b), dev.y);
    if (devLoss < best.loss) best = { w, b, loss: devLoss, iteration: k };
    else if (k - best.iteration >= patience) break;
  }
  // Back to feature space: W = X_sᵀ A in the dual.
  const weights = dual
    ? await gemm(xs, { rows: n, cols: c, data: best.w }, { transA: true }) // [p, C]
    : { rows: r, cols: c, data: best.w };
  return { model: { numClasses: c, mean, scale, weights, bias: best.b }, iterations, bestIteration: best.iteration, devLoss: best.loss };
}

/** Predicted class per row of x. */
export async function predict(model: LogRegModel, x: Matrix): Promise<Int32Array> {
  if (x.cols !== model.mean.length) throw new Error(`probe: features have width ${x.cols}, the probe was trained on ${model.mean.length}`);
  const z = await logits(standardise(x, model.mean, model.scale), model.weights.data, model.bias);
  const c = model.numClasses;
  const out = new Int32Array(x.rows);
  for (let i = 0; i < x.rows; i++) {
    let arg = 0;
    for (let k = 1; k < c; k++) if (z.data[i * c + k] > z.data[i * c + arg]) arg = k;
    out[i] = arg;
  }
  return out;
}
