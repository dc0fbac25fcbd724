// erf in exact fixed-point arithmetic (BigInt, 2^-400 resolution), for float64 reference values that
// share no code or method with the graph's erf64 (series + continued fraction in double ops):
//   erf(x) = 2/√π Σ_n (-1)^n x^(2n+1) / (n! (2n+1)),  π from Machin's formula, √ by integer Newton.
// The terms grow to ~e^(x²) before they shrink, which the 400 fractional bits absorb for |x| ≤ 6;
// beyond that erf(x) rounds to ±1 in float64 (erfc(6) ≈ 2e-17).
const BITS = 400n;
const ONE = 1n << BITS;

function atanInv(k: bigint): bigint {        // atan(1/k) · ONE
  let term = ONE / k, sum = term, n = 1n;
  const k2 = k * k;
  while (term !== 0n) {
    term /= k2;
    const t = term / (2n * n + 1n);
    sum += n % 2n ? -t : t;
    n++;
  }
  return sum;
}

function isqrt(v: bigint): bigint {
  let x = v, y = (x + 1n) >> 1n;
  while (y < x) { x = y; y = (x + v / x) >> 1n; }
  return x;
}

const PI = 4n * (4n * atanInv(5n) - atanInv(239n));
const TWO_OVER_SQRT_PI = (2n * ONE * ONE) / isqrt(PI * ONE);   // 2/√π · ONE

function toFixed(x: number): bigint {           // exact: a double is m·2^e
  return (BigInt(Math.round(x * 2 ** 60)) * ONE) >> 60n;      // x has ≤ 53 significant bits; |x| ≥ 2^-7 keeps them all
}

export function erfExact(x: number): number {
  if (x === 0) return 0;
  if (Math.abs(x) > 6) return Math.sign(x);
  const X = Math.abs(x) < 2 ** -7 ? BigInt(Math.round(x * 2 ** 120)) << (BITS - 120n) : toFixed(x);
  const X2 = (X * X) >> BITS;
  let term = X, sum = X, n = 1n;
  while (term !== 0n) {
    term = (term * X2 >> BITS) / n;
    const t = term / (2n * n + 1n);
    sum += n % 2n ? -t : t;
    n++;
  }
  const r = (sum * TWO_OVER_SQRT_PI) >> BITS;
  return Number(r >> (BITS - 100n)) / 2 ** 100;
}
