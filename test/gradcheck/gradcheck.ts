// Float64 gradient check: analytic gradients from our autodiff vs central finite differences,
// both evaluated by real onnxruntime-node sessions of the same generated graph.
//
// Error measure (per checked entry): |a - n| / max(|a|, |n|, 1e-3 · max|a| over that tensor).
// The floor keeps entries whose true gradient is ~0 (where finite differences carry only rounding
// noise) from dominating; every other entry is a plain relative error. `worst` is the maximum over
// all checked entries and all tensors, plus one random-direction check per tensor (relative error of
// the directional derivative ⟨∇f, v⟩ against (f(x+εv) - f(x-εv)) / 2ε).
import * as ort from 'onnxruntime-node';
import { gradients } from '../../native-runner/graph/autodiff';
import { Graph, numel, type Value } from '../../native-runner/graph/builder';
import { mul, reduceSum } from '../../native-runner/graph/index';
import { mulberry32 } from '../../native-runner/model/init';

export interface CheckInput {
  name: string;
  shape: number[];
  data: Float64Array | BigInt64Array;   // float64 inputs may be differentiated; int64 never
  diff?: boolean;                        // default: true for float64
}

export interface GradCheckResult {
  worst: number;
  perInput: Record<string, number>;
  evaluations: number;
}

export interface GradCheckOptions {
  eps?: number;                          // finite-difference step (default 1e-5)
  maxEntries?: number;                   // entries checked per tensor (random subset beyond this)
  seed?: number;
}

/** Deterministic PRNG for test data (the model init's mulberry32). */
export const rng = mulberry32;

export function randn(rand: () => number, n: number, std = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(rand(), 1e-12);
    out[i] = std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  }
  return out;
}

/**
 * `build` returns any tensor y; the checked scalar is L = Σ r ⊙ y with fixed random r, so every
 * output element's gradient path is exercised.
 */
export async function gradcheck(
  build: (g: Graph, inputs: Record<string, Value>) => Value,
  inputs: CheckInput[],
  opts: GradCheckOptions = {},
): Promise<GradCheckResult> {
  const eps = opts.eps ?? 1e-5;
  const maxEntries = opts.maxEntries ?? 64;
  const rand = rng(opts.seed ?? 1234);
  const g = new Graph('float64', 'gradcheck');
  const vals: Record<string, Value> = {};
  const isDiff = (c: CheckInput) => (c.diff ?? true) && c.data instanceof Float64Array;
  for (const c of inputs) vals[c.name] = g.input(c.name, c.data instanceof Float64Array ? 'float64' : 'int64', c.shape, isDiff(c));
  const y = build(g, vals);
  const loss = y.shape.length === 0
    ? y
    : reduceSum(g, mul(g, y, g.floatConst(randn(rand, numel(y.shape)), y.shape)), y.shape.map((_, i) => i), false);
  g.output(loss, 'loss');
  const diffInputs = inputs.filter(isDiff);
  const grads = gradients(g, loss, diffInputs.map((c) => vals[c.name]));
  for (const c of diffInputs) {
    const d = grads.get(c.name);
    if (!d) throw new Error(`gradcheck: no gradient reaches input ${c.name}`);
    g.output(d, `grad_${c.name}`);
  }
  const session = await ort.InferenceSession.create(g.toModel(), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  let evaluations = 0;
  const feeds = (): Record<string, ort.Tensor> => {
    const f: Record<string, ort.Tensor> = {};
    for (const c of inputs) f[c.name] = new ort.Tensor(c.data instanceof Float64Array ? 'float64' : 'int64', c.data, c.shape);
    return f;
  };
  const lossAt = async (): Promise<number> => {
    evaluations++;
    const out = await session.run(feeds(), ['loss']);
    return Number((out.loss.data as Float64Array)[0]);
  };
  const analytic = await session.run(feeds());
  const perInput: Record<string, number> = {};
  let worst = 0;
  try {
    for (const c of diffInputs) {
      const a = analytic[`grad_${c.name}`].data as Float64Array;
      const x = c.data as Float64Array;
      const n = x.length;
      let amax = 0;
      for (let i = 0; i < n; i++) amax = Math.max(amax, Math.abs(a[i]));
      const floor = Math.max(1e-3 * amax, 1e-300);
      const idx = n <= maxEntries ? [...Array(n).keys()] : Array.from({ length: maxEntries }, () => Math.floor(rand() * n));
      let w = 0;
      for (const i of idx) {
        const x0 = x[i];
        x[i] = x0 + eps;
        const lp = await lossAt();
        x[i] = x0 - eps;
        const lm = await lossAt();
        x[i] = x0;
        const num = (lp - lm) / (2 * eps);
        w = Math.max(w, Math.abs(a[i] - num) / Math.max(Math.abs(a[i]), Math.abs(num), floor));
      }
      // one random direction over the whole tensor
      const v = randn(rand, n);
      const x0 = Float64Array.from(x);
      let dirA = 0;
      for (let i = 0; i < n; i++) dirA += a[i] * v[i];
      for (let i = 0; i < n; i++) x[i] = x0[i] + eps * v[i];
      const lp = await lossAt();
      for (let i = 0; i < n; i++) x[i] = x0[i] - eps * v[i];
      const lm = await lossAt();
      x.set(x0);
      const dirN = (lp - lm) / (2 * eps);
      w = Math.max(w, Math.abs(dirA - dirN) / Math.max(Math.abs(dirA), Math.abs(dirN), 1e-300));
      perInput[c.name] = w;
      worst = Math.max(worst, w);
    }
  } finally {
    await session.release();
  }
  return { worst, perInput, evaluations };
}
