// erf for float64 graphs. ORT's CPU EP has no double Erf kernel, and a float32 round trip would cap
// gradient checks at ~1e-7, so erf is composed from double elementwise ops:
//   |x| < 2.5 : Maclaurin series 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1)), Horner in x², 46 terms
//   |x| ≥ 2.5 : erfc continued fraction e^(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), 50 levels
// Both branches agree with tabulated erf to ~1e-14 (checked in erf64.test.ts). Slow, but only
// float64 check graphs use it; float32 training graphs use ORT's Erf.
import type { Graph, Value } from './builder';
import * as R from './raw';

const SPLIT_AT = 2.5;
const SERIES_TERMS = 46;
const CF_LEVELS = 50;

export function erfSeriesCoefficients(): number[] {
  const c: number[] = [];
  let fact = 1;
  for (let n = 0; n < SERIES_TERMS; n++) {
    if (n > 0) fact *= n;
    c.push(((n % 2 ? -1 : 1) / (fact * (2 * n + 1))) * (2 / Math.sqrt(Math.PI)));
  }
  return c;
}

const COEF = erfSeriesCoefficients();

export function erf64(g: Graph, x: Value): Value {
  const zero = g.scalar(0);
  const a = R.max(g, x, R.neg(g, x));                                     // |x|
  // series branch on min(|x|, 2.5)
  const s = R.min(g, a, g.scalar(SPLIT_AT));
  const z = R.mul(g, s, s);
  let p = g.scalar(COEF[SERIES_TERMS - 1]);
  for (let n = SERIES_TERMS - 2; n >= 0; n--) p = R.add(g, R.mul(g, p, z), g.scalar(COEF[n]));
  const series = R.mul(g, s, p);
  // continued-fraction branch on max(|x|, 2.5)
  const c = R.max(g, a, g.scalar(SPLIT_AT));
  let t: Value = c;
  for (let k = CF_LEVELS; k >= 1; k--) t = R.add(g, c, R.div(g, g.scalar(k / 2), t));
  const erfc = R.div(g, R.exp(g, R.neg(g, R.mul(g, c, c))), R.mul(g, t, g.scalar(Math.sqrt(Math.PI))));
  const cf = R.sub(g, g.scalar(1), erfc);
  const mag = R.where(g, R.less(g, a, g.scalar(SPLIT_AT)), series, cf);
  return R.where(g, R.less(g, x, zero), R.neg(g, mag), mag);
}
