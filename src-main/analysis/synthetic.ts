// Seeded synthetic matrices for the analysis tests and the benchmark: Gaussian data, random
// orthogonal matrices (QR of a Gaussian matrix, Haar-distributed after the sign fix), and labelled
// clusters for the probes.
import { Rng } from '../../native-runner/util/rng';
import type { Matrix } from './linalg';

export function gaussianMatrix(rng: Rng, rows: number, cols: number, scale = 1): Matrix {
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = scale * rng.normal();
  return { rows, cols, data };
}

/**
 * Q of the QR decomposition of a d×d Gaussian matrix, by modified Gram–Schmidt applied twice
 * ("twice is enough": orthogonality to ~1e-15), with column signs fixed so that diag(R) > 0.
 */
export function randomOrthogonal(rng: Rng, d: number): Matrix {
  const g = gaussianMatrix(rng, d, d);
  const cols: Float64Array[] = [];
  for (let j = 0; j < d; j++) {
    const v = new Float64Array(d);
    for (let i = 0; i < d; i++) v[i] = g.data[i * d + j];
    for (let pass = 0; pass < 2; pass++) {
      for (const q of cols) {
        let dot = 0;
        for (let i = 0; i < d; i++) dot += q[i] * v[i];
        for (let i = 0; i < d; i++) v[i] -= dot * q[i];
      }
    }
    let norm = 0;
    for (let i = 0; i < d; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < d; i++) v[i] /= norm;
    cols.push(v);
  }
  const q = new Float64Array(d * d); // [d, d], column j = cols[j]
  for (let j = 0; j < d; j++) for (let i = 0; i < d; i++) q[i * d + j] = cols[j][i];
  return { rows: d, cols: d, data: q };
}

/** Y = X M + noise·N(0, 1), a representation related to X plus independent noise. */
export function noisyLinearImage(rng: Rng, x: Matrix, m: Matrix, noise: number): Matrix {
  const out = new Float64Array(x.rows * m.cols);
  for (let i = 0; i < x.rows; i++) {
    for (let t = 0; t < x.cols; t++) {
      const a = x.data[i * x.cols + t];
      for (let j = 0; j < m.cols; j++) out[i * m.cols + j] += a * m.data[t * m.cols + j];
    }
  }
  for (let i = 0; i < out.length; i++) out[i] += noise * rng.normal();
  return { rows: x.rows, cols: m.cols, data: out };
}

/**
 * A labelled set for probes: `types` word types, each with a class and `perType` examples near its
 * class centre (the centres are `separation` apart in expectation, in `dim` dimensions).
 */
export function clusteredExamples(
  rng: Rng,
  opts: { types: number; perType: number; classes: number; dim: number; separation: number; noise: number },
): { x: Matrix; labels: number[]; groups: string[] } {
  const centres = gaussianMatrix(rng, opts.classes, opts.dim, opts.separation / Math.sqrt(2 * opts.dim));
  const n = opts.types * opts.perType;
  const x = new Float64Array(n * opts.dim);
  const labels: number[] = [];
  const groups: string[] = [];
  let row = 0;
  for (let t = 0; t < opts.types; t++) {
    const label = t % opts.classes;
    for (let e = 0; e < opts.perType; e++, row++) {
      for (let j = 0; j < opts.dim; j++) {
        x[row * opts.dim + j] = centres.data[label * opts.dim + j] + opts.noise * rng.normal();
      }
      labels.push(label);
      groups.push(`type${t}`);
    }
  }
  return { x: { rows: n, cols: opts.dim, data: x }, labels, groups };
}
