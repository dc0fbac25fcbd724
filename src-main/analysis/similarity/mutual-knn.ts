// Mutual k-nearest-neighbour alignment (Huh, Cheung, Wang & Isola 2024, "The Platonic Representation
// Hypothesis", §2 and their metric code): rows are L2-normalised, neighbours are the k most similar
// other examples by inner product (cosine), and the score is the mean over examples of
// |N_X(i) ∩ N_Y(i)| / k, in [0, 1]. Invariant to rotations and isotropic scaling of either side (not to
// translation: the features are not centred). Ties in similarity go to the lower row index.
import { gemm, type Matrix } from '../linalg';
import type { MeasureOptions, SimilarityMeasure } from './measure';
import type { Representation } from './representation';

interface Neighbours {
  n: number;
  k: number;
  idx: Int32Array; // [n, k]: row i's k nearest other rows
}

function unitRows(x: Matrix): Matrix {
  const { rows: n, cols: p } = x;
  const out = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    let ss = 0;
    for (let j = 0; j < p; j++) ss += x.data[i * p + j] ** 2;
    if (!(ss > 0)) throw new Error(`mutual k-NN: example ${i} is the zero vector (no direction to compare)`);
    const inv = 1 / Math.sqrt(ss);
    for (let j = 0; j < p; j++) out[i * p + j] = x.data[i * p + j] * inv;
  }
  return { rows: n, cols: p, data: out };
}

export async function nearestNeighbours(x: Matrix, k: number): Promise<Neighbours> {
  const n = x.rows;
  if (!Number.isInteger(k) || k < 1 || k >= n) throw new Error(`mutual k-NN: k must be an integer in [1, ${n - 1}] for ${n} examples, got ${k}`);
  const z = unitRows(x);
  const sim = (await gemm(z, z, { transB: true })).data; // cosine similarities [n, n]
  const idx = new Int32Array(n * k);
  const best = new Int32Array(k); // the k best so far, best first (insertion into a short sorted list)
  for (let i = 0; i < n; i++) {
    let have = 0;
    const row = i * n;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const s = sim[row + j];
      if (have === k && !(s > sim[row + best[k - 1]])) continue; // ties keep the lower index, which came first
      let t = have < k ? have++ : k - 1;
      while (t > 0 && s > sim[row + best[t - 1]]) {
        best[t] = best[t - 1];
        t--;
      }
      best[t] = j;
    }
    idx.set(best, i * k);
  }
  return { n, k, idx };
}

export const mutualKNNMeasure: SimilarityMeasure<Neighbours> = {
  name: 'knn',
  prepare: (rep: Representation, o: MeasureOptions) => nearestNeighbours(rep.raw, o.knnK),
  async score(a, b, perm) {
    const { n, k } = a;
    // B's row i is its row π(i); its neighbours j are those with π(j) ∈ N_B(π(i)), i.e. π⁻¹(N_B(π(i))).
    const inv = new Int32Array(n);
    for (let i = 0; i < n; i++) inv[perm ? perm[i] : i] = i;
    const mark = new Int32Array(n).fill(-1);
    let overlap = 0;
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < k; t++) mark[a.idx[i * k + t]] = i;
      const pi = perm ? perm[i] : i;
      for (let t = 0; t < k; t++) if (mark[inv[b.idx[pi * k + t]]] === i) overlap++;
    }
    return overlap / (n * k);
  },
  divergence: (s) => 1 - s,
};
