// Comparisons of stored activations, cached piece by piece: same-layer CKA / divergence (also the
// control pair's, and every trajectory point's), the cross-layer L×L table, and bootstrap intervals.
// Every input is loaded and validated before anything is computed, so a bad input (another probe
// set, another example count, a missing layer, a corrupt blob, activations extracted with another
// tokenizer or truncation) fails with nothing cached.
import { interval, replicateCKAs, resampleCounts } from './bootstrap';
import type { Interval } from './bootstrap';
import { cachedAnalysis, finiteOrNull } from './analysis-cache';
import { sameLayerCKA, regionTable } from './compare';
import { crossLayerCKA, crossLayerDebiasedCKA } from './cross-layer';
import type { Db } from '../store/db';
import type { Pooling } from '../../native-runner/activations/pooling';
import { assertComparable, extractionWarnings, loadActivations, matricesOf } from './stored-activations';
import type { LoadedActivations } from './stored-activations';

export interface ModelSource {
  checkpointId: number;
  probeSetId: number;
}

// The result shapes cross the API: they are defined once, with the wire types the renderer uses.
import type { CompareResult, LayerInterval, ModelInfo, RegionValue } from '../common/analysis-types';
export type { ModelInfo, RegionValue };

export interface CompareRequest {
  a: ModelSource;
  b: ModelSource;
  /** Control pair (e.g. two MLM seeds, B′ and B): seed-noise ratio r_l = d(A, B) / d(control). */
  control?: { a: ModelSource; b: ModelSource };
  pooling?: Pooling; // default 'mean' (the paper's)
  layers?: number[]; // hidden-state indices; default every stored layer
  debiased?: boolean; // debiased CKA instead of linear CKA
  cross?: boolean; // also the layer × layer table of A vs B
  bootstrap?: { reps?: number; seed?: number; level?: number }; // percentile intervals (linear CKA only)
  force?: boolean; // recompute even if cached
}

// LayerInterval and CompareResult are wire types (src-main/common/analysis-types.ts), defined once.
export type { CompareResult, LayerInterval };

export function modelInfo(l: LoadedActivations): ModelInfo {
  const c = l.checkpoint;
  return { checkpointId: c.id, path: c.path, sha256: c.sha256, runId: c.runId, step: c.step, phase: c.phase };
}

/**
 * Mean of per-layer values over the low / mid / deep groups; only defined when the layers are the
 * full hidden-state list 0..L (embedding output first, which no region includes).
 */
export function regionsOf(layers: number[], values: (number | null)[]): RegionValue[] | null {
  if (layers.length < 2 || !layers.every((l, i) => l === i)) return null;
  const v = values.map((x) => (x === null ? Number.NaN : x));
  return regionTable(v, { includesEmbedding: true }).map((r) => ({ region: r.region, layers: r.layers, mean: r.mean === null ? null : finiteOrNull(r.mean) }));
}

/** Same-layer CKA of two loaded models, cached by the activation digests. */
export async function cachedSameLayer(db: Db, a: LoadedActivations, b: LoadedActivations, debiased: boolean, force = false): Promise<{ cka: number[]; cached: boolean }> {
  assertComparable(a, b);
  const r = await cachedAnalysis(
    db,
    'cka-same-layer',
    { a: a.digest, b: b.digest },
    { layers: a.layers, pooling: a.pooling, debiased },
    async () => ({ cka: await sameLayerCKA(matricesOf(db, a), matricesOf(db, b), { debiased }) }),
    { force },
  );
  return { cka: r.result.cka, cached: r.cached };
}

async function cachedCross(db: Db, a: LoadedActivations, b: LoadedActivations, debiased: boolean, force: boolean) {
  const r = await cachedAnalysis(
    db,
    'cka-cross-layer',
    { a: a.digest, b: b.digest },
    { rows: a.layers, cols: b.layers, pooling: a.pooling, debiased },
    async () => {
      const t = debiased ? await crossLayerDebiasedCKA(a.matrices, b.matrices) : await crossLayerCKA(a.matrices, b.matrices);
      const rows: number[][] = [];
      for (let i = 0; i < t.rows; i++) rows.push(Array.from(t.data.subarray(i * t.cols, (i + 1) * t.cols)));
      return { rows: a.layers, cols: b.layers, cka: rows };
    },
    { force },
  );
  return { value: r.result, cached: r.cached };
}

/**
 * Percentile bootstrap over probe examples. One resample of rows (the same counts matrix) serves the
 * main and the control pair, so the ratio's interval comes from jointly resampled divergences.
 */
async function cachedBootstrap(
  db: Db,
  m: { a: LoadedActivations; b: LoadedActivations; ca?: LoadedActivations; cb?: LoadedActivations },
  o: { reps: number; seed: number; level: number },
  force: boolean,
) {
  const r = await cachedAnalysis(
    db,
    'cka-bootstrap',
    { a: m.a.digest, b: m.b.digest, controlA: m.ca?.digest ?? null, controlB: m.cb?.digest ?? null },
    { layers: m.a.layers, pooling: m.a.pooling, ...o },
    async () => {
      const w = resampleCounts(m.a.rows, o.reps, o.seed); // [n, reps + 1], column 0 = the full set
      const out: LayerInterval[] = [];
      for (let i = 0; i < m.a.layers.length; i++) {
        const cka = await replicateCKAs(m.a.matrices[i], m.b.matrices[i], w);
        const div = cka.map((c) => 1 - c);
        let sum = 0;
        for (let r = 1; r < div.length; r++) sum += div[r];
        const row: LayerInterval = { layer: m.a.layers[i], cka: interval(cka, o.level), divergence: interval(div, o.level), divergenceShift: sum / (div.length - 1) - div[0] };
        if (m.ca && m.cb) {
          const ctrl = (await replicateCKAs(m.ca.matrices[i], m.cb.matrices[i], w)).map((c) => 1 - c);
          const ratio = interval(div.map((d, k) => d / ctrl[k]), o.level);
          row.controlDivergence = interval(ctrl, o.level);
          row.ratio = { estimate: finiteOrNull(ratio.estimate), lo: finiteOrNull(ratio.lo), hi: finiteOrNull(ratio.hi) };
        }
        out.push(row);
      }
      return { ...o, layers: out };
    },
    { force },
  );
  return { value: r.result, cached: r.cached };
}

/** Divergence of A vs B per layer, with optional control ratio, cross-layer table and bootstrap CIs. */
export async function compareStored(db: Db, req: CompareRequest): Promise<CompareResult> {
  const pooling = req.pooling ?? 'mean';
  const debiased = req.debiased ?? false;
  const force = req.force ?? false;
  const boot = req.bootstrap ? { reps: req.bootstrap.reps ?? 1000, seed: req.bootstrap.seed ?? 0, level: req.bootstrap.level ?? 0.95 } : null;
  if (boot && debiased) throw new Error('bootstrap intervals are computed for linear CKA only; drop --debiased or --bootstrap');
  if (boot && (!Number.isInteger(boot.reps) || boot.reps < 10)) throw new Error(`bootstrap: reps must be an integer ≥ 10, got ${boot.reps}`);
  if (boot && !(boot.level > 0 && boot.level < 1)) throw new Error(`bootstrap: level must be in (0, 1), got ${boot.level}`);
  // Load and validate everything first: nothing is computed or cached before all inputs pass.
  const load = (s: ModelSource) => loadActivations(db, { checkpointId: s.checkpointId, probeSetId: s.probeSetId, pooling, layers: req.layers });
  const a = load(req.a);
  const b = load(req.b);
  assertComparable(a, b);
  const ca = req.control ? load(req.control.a) : undefined;
  const cb = req.control ? load(req.control.b) : undefined;
  if (ca && cb) {
    assertComparable(ca, cb);
    assertComparable(a, ca);
  }

  const same = await cachedSameLayer(db, a, b, debiased, force);
  const divergence = same.cka.map((c) => 1 - c);
  const result: CompareResult = {
    a: modelInfo(a),
    b: modelInfo(b),
    probeSet: { id: a.probeSet.id, name: a.probeSet.name, sha256: a.probeSet.sha256 },
    pooling,
    examples: a.rows,
    measure: debiased ? 'debiased' : 'linear',
    layers: a.layers,
    cka: same.cka,
    divergence,
    regions: null,
    cached: { sameLayer: same.cached },
  };
  const warnings = extractionWarnings([a, b, ...(ca && cb ? [ca, cb] : [])]);
  if (warnings.length) result.warnings = warnings;
  const regions = regionsOf(a.layers, divergence);
  if (ca && cb) {
    const ctrl = await cachedSameLayer(db, ca, cb, debiased, force);
    const controlDivergence = ctrl.cka.map((c) => 1 - c);
    const ratio = divergence.map((d, l) => finiteOrNull(d / controlDivergence[l]));
    Object.assign(result, { control: { a: modelInfo(ca), b: modelInfo(cb) }, controlDivergence, ratio });
    result.cached.control = ctrl.cached;
    if (regions) {
      result.regions = { divergence: regions, controlDivergence: regionsOf(a.layers, controlDivergence)!, ratio: regionsOf(a.layers, ratio)! };
    }
  } else if (regions) {
    result.regions = { divergence: regions };
  }
  if (req.cross) {
    const cross = await cachedCross(db, a, b, debiased, force);
    result.cross = cross.value;
    result.cached.cross = cross.cached;
  }
  if (boot) {
    const r = await cachedBootstrap(db, { a, b, ca, cb }, boot, force);
    result.bootstrap = r.value;
    result.cached.bootstrap = r.cached;
  }
  return result;
}
