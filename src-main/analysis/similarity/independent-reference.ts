// Independent float64 reference implementations for the similarity tests (imported only by
// *.test.ts): plain nested arrays, no ORT, no shared helpers with the measures, and decompositions by
// another route — one-sided Jacobi SVD (Hestenes) and the cyclic two-sided Jacobi eigenvalue method
// instead of Householder + QL on a Gram matrix; CCA by covariance whitening instead of orthonormal
// bases; RSA with pairwise Pearson loops and counting ranks. Slow (O(n³)–O(n⁴)), small inputs only.
type M = number[][];

export const toRows = (m: { rows: number; cols: number; data: ArrayLike<number> }): M =>
  Array.from({ length: m.rows }, (_, i) => Array.from({ length: m.cols }, (_, j) => m.data[i * m.cols + j]));
const T = (a: M): M => a[0].map((_, j) => a.map((r) => r[j]));
const mul = (a: M, b: M): M => a.map((r) => b[0].map((_, j) => r.reduce((s, v, t) => s + v * b[t][j], 0)));
const centre = (a: M): M => {
  const mu = a[0].map((_, j) => a.reduce((s, r) => s + r[j], 0) / a.length);
  return a.map((r) => r.map((v, j) => v - mu[j]));
};
const fro2 = (a: M) => a.reduce((s, r) => s + r.reduce((t, v) => t + v * v, 0), 0);

/** One-sided Jacobi SVD of a [m, n] with m ≥ n: singular values (descending), U [m, n], V [n, n]. */
export function jacobiSVD(a: M): { s: number[]; u: M; v: M } {
  if (a.length < a[0].length) {
    const t = jacobiSVD(T(a));
    return { s: t.s, u: t.v, v: t.u };
  }
  const m = a.length;
  const n = a[0].length;
  const u = a.map((r) => r.slice());
  const v: M = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let al = 0, be = 0, ga = 0;
        for (let i = 0; i < m; i++) {
          al += u[i][p] ** 2;
          be += u[i][q] ** 2;
          ga += u[i][p] * u[i][q];
        }
        if (Math.abs(ga) <= 1e-15 * Math.sqrt(al * be) || ga === 0) continue;
        rotated = true;
        const zeta = (be - al) / (2 * ga);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (const w of [u, v]) {
          for (const row of w) {
            const x = row[p];
            const y = row[q];
            row[p] = c * x - s * y;
            row[q] = s * x + c * y;
          }
        }
      }
    }
    if (!rotated) break;
  }
  const s = Array.from({ length: n }, (_, j) => Math.sqrt(u.reduce((acc, r) => acc + r[j] ** 2, 0)));
  const order = s.map((_, j) => j).sort((x, y) => s[y] - s[x]);
  return {
    s: order.map((j) => s[j]),
    u: u.map((r) => order.map((j) => (s[j] > 0 ? r[j] / s[j] : 0))),
    v: v.map((r) => order.map((j) => r[j])),
  };
}

/** Cyclic Jacobi eigen-decomposition of a symmetric matrix: values and vectors (columns). */
export function jacobiEigen(a0: M): { values: number[]; vectors: M } {
  const n = a0.length;
  const a = a0.map((r) => r.slice());
  const v: M = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p][q] ** 2;
    if (off < 1e-30 * fro2(a)) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        if (a[p][q] === 0) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p], akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k], aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k][p], vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = a.map((_, i) => i).sort((x, y) => a[y][y] - a[x][x]);
  return { values: order.map((i) => a[i][i]), vectors: v.map((r) => order.map((i) => r[i])) };
}

export function refLinearCKA(x: M, y: M): number {
  const xc = centre(x), yc = centre(y);
  return fro2(mul(T(xc), yc)) / Math.sqrt(fro2(mul(T(xc), xc)) * fro2(mul(T(yc), yc)));
}

/** Song et al. 2012 eq. 5, literally, with K̃ = K with zeroed diagonal. */
export function refDebiasedCKA(x: M, y: M): number {
  const hsic = (k: M, l: M) => {
    const n = k.length;
    const kt = k.map((r, i) => r.map((v, j) => (i === j ? 0 : v)));
    const lt = l.map((r, i) => r.map((v, j) => (i === j ? 0 : v)));
    const tr = kt.reduce((s, r, i) => s + r.reduce((t, v, j) => t + v * lt[j][i], 0), 0);
    const sk = kt.flat().reduce((s, v) => s + v, 0);
    const sl = lt.flat().reduce((s, v) => s + v, 0);
    const k1 = kt.map((r) => r.reduce((s, v) => s + v, 0));
    const l1 = lt.map((r) => r.reduce((s, v) => s + v, 0));
    const kl1 = k1.reduce((s, v, i) => s + v * l1[i], 0);
    return (tr + (sk * sl) / ((n - 1) * (n - 2)) - (2 / (n - 2)) * kl1) / (n * (n - 3));
  };
  const k = mul(x, T(x)), l = mul(y, T(y));
  return hsic(k, l) / Math.sqrt(hsic(k, k) * hsic(l, l));
}

export function refProcrustes(x: M, y: M): number {
  const xc = centre(x), yc = centre(y);
  const nx = Math.sqrt(fro2(xc)), ny = Math.sqrt(fro2(yc));
  const s = jacobiSVD(mul(T(xc), yc)).s.reduce((a, b) => a + b, 0);
  return 2 - (2 * s) / (nx * ny);
}

/** min over orthogonal Q of ‖X − YQ‖²_F for unit-norm centred X, Y, with Q from the SVD of YᵀX. */
export function refProcrustesByRotation(x: M, y: M): number {
  const unit = (a: M) => {
    const c = centre(a);
    const s = Math.sqrt(fro2(c));
    return c.map((r) => r.map((v) => v / s));
  };
  const xu = unit(x), yu = unit(y);
  const svd = jacobiSVD(mul(T(yu), xu)); // YᵀX = U Σ Vᵀ → Q = U Vᵀ
  const q = mul(svd.u, T(svd.v));
  const yq = mul(yu, q);
  return fro2(xu.map((r, i) => r.map((v, j) => v - yq[i][j])));
}

/** Inverse square root of a symmetric positive-definite matrix via Jacobi eigen. */
function invSqrt(c: M): M {
  const e = jacobiEigen(c);
  return c.map((_, i) => c.map((__, j) => e.values.reduce((s, l, k) => s + (e.vectors[i][k] * e.vectors[j][k]) / Math.sqrt(l), 0)));
}

/** CCA by whitening: ρ and X-side canonical directions of centred X [n, p], Y [n, q] (full column rank). */
function whitenedCCA(xc: M, yc: M): { rho: number[]; wx: M } {
  const sxx = mul(T(xc), xc), syy = mul(T(yc), yc), sxy = mul(T(xc), yc);
  const ix = invSqrt(sxx), iy = invSqrt(syy);
  const svd = jacobiSVD(mul(mul(ix, sxy), iy));
  const c = Math.min(xc[0].length, yc[0].length);
  return { rho: svd.s.slice(0, c), wx: mul(ix, svd.u).map((r) => r.slice(0, c)) };
}

/** PCA scores (Xc V_k) for the top axes holding `share` of the variance, via Jacobi SVD of Xc. */
function pcaScores(x: M, share: number): M {
  const xc = centre(x);
  const svd = jacobiSVD(xc);
  const total = svd.s.reduce((s, v) => s + v * v, 0);
  let k = 0, acc = 0;
  while (k < svd.s.length && acc < share * total * (1 - 1e-12)) acc += svd.s[k++] ** 2;
  return xc.map((_, i) => svd.u[i].slice(0, k).map((u, j) => u * svd.s[j]));
}

export function refSVCCA(x: M, y: M, share = 0.99): number {
  const { rho } = whitenedCCA(pcaScores(x, share), pcaScores(y, share));
  return rho.reduce((s, r) => s + r, 0) / rho.length;
}

export function refPWCCA(x: M, y: M): number {
  const xc = centre(x), yc = centre(y);
  const { rho, wx } = whitenedCCA(xc, yc);
  const h = mul(xc, wx); // canonical variates [n, c]
  let num = 0, den = 0;
  for (let i = 0; i < rho.length; i++) {
    const norm = Math.sqrt(h.reduce((s, r) => s + r[i] ** 2, 0));
    let alpha = 0;
    for (let j = 0; j < xc[0].length; j++) alpha += Math.abs(h.reduce((s, r, t) => s + (r[i] / norm) * xc[t][j], 0));
    num += alpha * rho[i];
    den += alpha;
  }
  return num / den;
}

function pearson(a: number[], b: number[]): number {
  const ma = a.reduce((s, v) => s + v, 0) / a.length, mb = b.reduce((s, v) => s + v, 0) / b.length;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Rank by counting: #smaller + (#equal + 1) / 2 (the average rank of a tie group). */
function countingRanks(v: number[]): number[] {
  return v.map((x) => {
    let less = 0, eq = 0;
    for (const y of v) {
      if (y < x) less++;
      else if (y === x) eq++;
    }
    return less + (eq + 1) / 2;
  });
}

export function refRSA(x: M, y: M): number {
  const rdm = (a: M) => {
    const out: number[] = [];
    for (let i = 0; i < a.length; i++) for (let j = i + 1; j < a.length; j++) out.push(1 - pearson(a[i], a[j]));
    return out;
  };
  return pearson(countingRanks(rdm(x)), countingRanks(rdm(y)));
}

export function refMutualKNN(x: M, y: M, k: number): number {
  const nbrs = (a: M) =>
    a.map((ri, i) => {
      const cos = a.map((rj) => ri.reduce((s, v, t) => s + v * rj[t], 0) / Math.sqrt(fro2([ri]) * fro2([rj])));
      const chosen: number[] = [];
      for (let t = 0; t < k; t++) {
        let best = -1;
        for (let j = 0; j < a.length; j++) if (j !== i && !chosen.includes(j) && (best < 0 || cos[j] > cos[best])) best = j;
        chosen.push(best);
      }
      return chosen;
    });
  const na = nbrs(x), nb = nbrs(y);
  return na.reduce((s, r, i) => s + r.filter((j) => nb[i].includes(j)).length, 0) / (x.length * k);
}

export function refRBFCKA(x: M, y: M, fraction: number): number {
  const kernel = (a: M) => {
    const n = a.length;
    const d2 = a.map((ri) => a.map((rj) => ri.reduce((s, v, t) => s + (v - rj[t]) ** 2, 0)));
    const dists: number[] = [];
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) dists.push(Math.sqrt(d2[i][j]));
    dists.sort((p, q) => p - q);
    const h = dists.length % 2 ? dists[(dists.length - 1) / 2] : (dists[dists.length / 2 - 1] + dists[dists.length / 2]) / 2;
    const sigma = fraction * h;
    const k = d2.map((r) => r.map((v) => Math.exp(-v / (2 * sigma * sigma))));
    const H = k.map((_, i) => k.map((__, j) => (i === j ? 1 : 0) - 1 / n));
    return mul(mul(H, k), H);
  };
  const kx = kernel(x), ky = kernel(y);
  const inner = (p: M, q: M) => p.reduce((s, r, i) => s + r.reduce((t, v, j) => t + v * q[i][j], 0), 0);
  return inner(kx, ky) / Math.sqrt(inner(kx, kx) * inner(ky, ky));
}
