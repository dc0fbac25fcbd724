// Eigen-decomposition of a real symmetric matrix in float64: Householder reduction to tridiagonal
// form, then the implicit QL iteration with Wilkinson-type shifts (the EISPACK tred2 / tql2 pair,
// Golub & Van Loan §8.3). O(d³); for the d ≤ ~1000 feature-space matrices of the similarity
// measures (widths 128–1024) this is milliseconds to a second in JS. Values only skips the
// accumulation of the transformations (about 5× cheaper), which the permutation nulls rely on.

export interface SymmetricEigen {
  /** Eigenvalues, descending. */
  values: Float64Array;
  /** Eigenvectors as columns, row-major [d, d]: column j belongs to values[j]. Absent for values only. */
  vectors?: Float64Array;
}

/**
 * Eigenvalues (and, with `vectors`, eigenvectors) of the symmetric d×d matrix `a` (row-major; only
 * its values are read, it is not modified).
 */
export function symmetricEigen(a: Float64Array, d: number, opts: { vectors?: boolean } = {}): SymmetricEigen {
  if (a.length !== d * d) throw new Error(`symmetricEigen: expected ${d * d} values for a ${d}×${d} matrix, got ${a.length}`);
  const wantVectors = opts.vectors ?? false;
  // Worked on as its transpose (same matrix, a is symmetric) so that the inner loops, which walk down
  // columns in the textbook algorithm, run along contiguous rows: ~2× faster at d = 128.
  const z = Float64Array.from(a); // [d, d]; on return row j holds eigenvector j (Zᵀ)
  const diag = new Float64Array(d);
  const off = new Float64Array(d);
  tridiagonalize(z, d, diag, off, wantVectors);
  implicitQL(diag, off, d, wantVectors ? z : null);
  // Sort descending, carrying the vector columns along.
  const order = Array.from({ length: d }, (_, i) => i).sort((i, j) => diag[j] - diag[i]);
  const values = Float64Array.from(order, (i) => diag[i]);
  if (!wantVectors) return { values };
  const vectors = new Float64Array(d * d);
  for (let c = 0; c < d; c++) {
    const src = order[c];
    for (let r = 0; r < d; r++) vectors[r * d + c] = z[src * d + r];
  }
  return { values, vectors };
}

/**
 * Householder tridiagonalisation, last row first (tred2). On return diag/off hold the tridiagonal
 * matrix (off[i] couples i−1 and i; off[0] = 0) and, when `accumulate`, z holds the orthogonal
 * transformation Q with A = Q T Qᵀ.
 */
function tridiagonalize(z: Float64Array, n: number, d: Float64Array, e: Float64Array, accumulate: boolean): void {
  for (let j = 0; j < n; j++) d[j] = z[j * n + (n - 1)];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = z[j * n + (i - 1)];
        z[j * n + i] = 0;
        z[i * n + j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      // Apply the reflection to the remaining submatrix: e = A u / h, then the rank-2 update.
      for (let j = 0; j < i; j++) {
        f = d[j];
        z[i * n + j] = f;
        g = e[j] + z[j * n + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += z[j * n + k] * d[k];
          e[k] += z[j * n + k] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) z[j * n + k] -= f * e[k] + g * d[k];
        d[j] = z[j * n + (i - 1)];
        z[j * n + i] = 0;
      }
    }
    d[i] = h;
  }
  if (accumulate) {
    for (let i = 0; i < n - 1; i++) {
      z[i * n + (n - 1)] = z[i * n + i];
      z[i * n + i] = 1;
      const h = d[i + 1];
      if (h !== 0) {
        for (let k = 0; k <= i; k++) d[k] = z[(i + 1) * n + k] / h;
        for (let j = 0; j <= i; j++) {
          let g = 0;
          for (let k = 0; k <= i; k++) g += z[(i + 1) * n + k] * z[j * n + k];
          for (let k = 0; k <= i; k++) z[j * n + k] -= g * d[k];
        }
      }
      for (let k = 0; k <= i; k++) z[(i + 1) * n + k] = 0;
    }
    for (let j = 0; j < n; j++) {
      d[j] = z[j * n + (n - 1)];
      z[j * n + (n - 1)] = 0;
    }
    z[(n - 1) * n + (n - 1)] = 1;
  } else {
    // Without accumulation the diagonal still has to be read back from the reduced matrix.
    for (let j = 0; j < n; j++) d[j] = z[j * n + j];
  }
  e[0] = 0;
}

/** Implicit QL on the tridiagonal (d, e) (tql2); rotations are applied to z's columns when given. */
function implicitQL(d: Float64Array, e: Float64Array, n: number, z: Float64Array | null): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  if (n > 0) e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) throw new Error('symmetricEigen: QL iteration did not converge');
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          if (z) {
            const zi = i * n; // rows i and i + 1 of Zᵀ are columns i and i + 1 of Z
            const zi1 = zi + n;
            for (let k = 0; k < n; k++) {
              h = z[zi1 + k];
              z[zi1 + k] = s * z[zi + k] + c * h;
              z[zi + k] = c * z[zi + k] - s * h;
            }
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
}
