// Outlier sensitivity of linear CKA (cf. Davari et al. 2022, "Reliability of CKA as a similarity
// measure": a few examples can move CKA a lot). Leave-one-out CKA for every probe example at once,
// exactly, from the two Gram matrices, in O(n²) instead of n recomputations:
// for S = all examples but i (m = n − 1) and any Gram K (centred over all n or not),
//   ⟨H K_S H, H L_S H⟩ = Σ_S K∘L − (2/m) Σ_{j∈S} (K_S 1)_j (L_S 1)_j + (1ᵀK_S1)(1ᵀL_S1) / m²,
// with Σ_S K∘L = Σ K∘L − 2 Σ_j K_ij L_ij + K_ii L_ii, (K_S 1)_j = (K1)_j − K_ji and
// 1ᵀK_S1 = 1ᵀK1 − 2 (K1)_i + K_ii; then CKA₋ᵢ = ⟨K,L⟩₋ᵢ / √(⟨K,K⟩₋ᵢ ⟨L,L⟩₋ᵢ).
import { ckaFromTraces } from '../cka';
import { doubleCentre } from './rbf-cka';
import { permutedInner } from './measure';

function matVec(k: Float64Array, v: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += k[i * n + j] * v[j];
    out[i] = s;
  }
  return out;
}

function rowSums(k: Float64Array, n: number): Float64Array {
  return matVec(k, new Float64Array(n).fill(1), n);
}

/** ⟨H K₋ᵢ H, H L₋ᵢ H⟩ for every i. */
function leaveOneOutInner(k: Float64Array, l: Float64Array, n: number): Float64Array {
  const m = n - 1;
  const kr = rowSums(k, n);
  const lr = rowSums(l, n);
  const kLr = matVec(k, lr, n);
  const lKr = matVec(l, kr, n);
  let total = 0;
  let rr = 0;
  let sk = 0;
  let sl = 0;
  const rowKL = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += k[i * n + j] * l[i * n + j];
    rowKL[i] = s;
    total += s;
    rr += kr[i] * lr[i];
    sk += kr[i];
    sl += lr[i];
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const kii = k[i * n + i];
    const lii = l[i * n + i];
    const hadamard = total - 2 * rowKL[i] + kii * lii;
    const rows = rr - kLr[i] - lKr[i] + rowKL[i] - (kr[i] - kii) * (lr[i] - lii);
    const sumK = sk - 2 * kr[i] + kii;
    const sumL = sl - 2 * lr[i] + lii;
    out[i] = hadamard - (2 / m) * rows + (sumK * sumL) / (m * m);
  }
  return out;
}

/** Linear CKA with example i left out, for every i, from Grams K = XXᵀ, L = YYᵀ [n, n]. */
export function leaveOneOutCKA(k: Float64Array, l: Float64Array, n: number): Float64Array {
  if (n < 3) throw new Error(`leave-one-out CKA needs at least 3 examples, got ${n}`);
  const kl = leaveOneOutInner(k, l, n);
  const kk = leaveOneOutInner(k, k, n);
  const ll = leaveOneOutInner(l, l, n);
  return kl.map((v, i) => ckaFromTraces(v, kk[i], ll[i]));
}

/** Linear CKA on the examples not in `drop`, from the full Grams (rows and columns removed, re-centred). */
export function ckaWithout(k: Float64Array, l: Float64Array, n: number, drop: Iterable<number>): number {
  const gone = new Set(drop);
  const keep = Array.from({ length: n }, (_, i) => i).filter((i) => !gone.has(i));
  const m = keep.length;
  const sub = (g: Float64Array) => {
    const out = new Float64Array(m * m);
    for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) out[a * m + b] = g[keep[a] * n + keep[b]];
    return doubleCentre(out, m);
  };
  const ks = sub(k);
  const ls = sub(l);
  return ckaFromTraces(permutedInner(ks, ls, m), permutedInner(ks, ks, m), permutedInner(ls, ls, m));
}

/** Influence of each example, CKA(all) − CKA(all but i), and the k examples with the largest |influence|. */
export function influence(k: Float64Array, l: Float64Array, n: number, topK: number): { cka: number; influence: Float64Array; top: number[]; ckaWithoutTop: number } {
  const cka = ckaWithout(k, l, n, []);
  const inf = leaveOneOutCKA(k, l, n).map((c) => cka - c);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => Math.abs(inf[b]) - Math.abs(inf[a]) || a - b);
  const top = order.slice(0, Math.min(topK, n - 3));
  return { cka, influence: inf, top, ckaWithoutTop: ckaWithout(k, l, n, top) };
}
