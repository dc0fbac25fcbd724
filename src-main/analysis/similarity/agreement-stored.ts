// The agreement analysis on stored activations: loads and validates every input first (same probe
// set, pooling, extraction settings, example count and layers, as CKA comparisons do), then computes
// and caches the whole result under the activations' digests and the parameters. The probe texts
// named in the influence listing are read from the probe set's recorded file when it still has the
// stored hash (otherwise they are listed by row only).
import fs from 'node:fs';
import type { Db } from '../../store/db';
import type { Pooling } from '../../../native-runner/activations/pooling';
import { readProbeSet } from '../../../native-runner/activations/probe-set';
import { cachedAnalysis } from '../analysis-cache';
import { modelInfo, type ModelSource } from '../comparisons';
import { assertComparable, extractionWarnings, loadActivations, type LoadedActivations } from '../stored-activations';
import { ensureActivations, sharedInputs, type ActivationInputs, type ModelRef } from '../service';
import { MEASURE_NAMES, type AgreementParams, type AgreementResult, type MeasureName } from '../../common/agreement-types';
import { agreementTables, type AgreementTables } from './agreement';

export const DEFAULT_AGREEMENT_PARAMS: AgreementParams = {
  measures: [...MEASURE_NAMES],
  knnK: 10,
  rbfFraction: 0.8,
  svccaShare: 0.99,
  permutations: 200,
  seed: 0,
  rogueK: 3,
  influenceK: 5,
};

export interface AgreementRequest {
  a: ModelSource;
  b: ModelSource;
  control?: { a: ModelSource; b: ModelSource };
  pooling?: Pooling;
  layers?: number[];
  params?: Partial<AgreementParams>;
  force?: boolean;
  onProgress?: (message: string) => void;
}

export function agreementParams(p: Partial<AgreementParams> = {}): AgreementParams {
  const out = { ...DEFAULT_AGREEMENT_PARAMS, ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) } as AgreementParams;
  const bad = out.measures.filter((m) => !(MEASURE_NAMES as readonly string[]).includes(m));
  if (bad.length) throw new Error(`unknown measure ${bad.join(', ')} (measures: ${MEASURE_NAMES.join(', ')})`);
  if (out.measures.length === 0) throw new Error('no measures requested');
  out.measures = MEASURE_NAMES.filter((m) => out.measures.includes(m)) as MeasureName[]; // display order, no duplicates
  const int = (name: keyof AgreementParams, min: number) => {
    const v = out[name] as number;
    if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer ≥ ${min}, got ${v}`);
  };
  int('knnK', 1);
  int('permutations', 0);
  int('seed', 0);
  int('rogueK', 1);
  int('influenceK', 1);
  if (!(out.rbfFraction > 0)) throw new Error(`rbfFraction must be > 0, got ${out.rbfFraction}`);
  if (!(out.svccaShare > 0 && out.svccaShare <= 1)) throw new Error(`svccaShare must be in (0, 1], got ${out.svccaShare}`);
  return out;
}

function probeTexts(l: LoadedActivations): (string | null)[] | undefined {
  const file = l.probeSet.path;
  if (!file || !fs.existsSync(file)) return undefined;
  try {
    const set = readProbeSet(file);
    return set.sha256 === l.probeSet.sha256 && set.texts.length === l.rows ? set.texts : undefined;
  } catch {
    return undefined;
  }
}

export async function agreementStored(db: Db, req: AgreementRequest): Promise<AgreementResult> {
  const started = performance.now();
  const params = agreementParams(req.params);
  const pooling = req.pooling ?? 'mean';
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
  if (params.knnK >= a.rows) throw new Error(`knnK ${params.knnK} needs more than ${params.knnK} probe examples; there are ${a.rows}`);
  const same = (c: LoadedActivations) => (c.digest === b.digest ? b.matrices : c.digest === a.digest ? a.matrices : c.matrices);
  const r = await cachedAnalysis<AgreementTables>(
    db,
    'similarity-agreement',
    { a: a.digest, b: b.digest, controlA: ca?.digest ?? null, controlB: cb?.digest ?? null },
    { layers: a.layers, pooling, ...params },
    () => agreementTables({
      // the control pair usually shares B (B′ vs B): the same matrices, so its preparations are reused
      layers: a.layers, a: a.matrices, b: b.matrices, control: ca && cb ? { a: same(ca), b: same(cb) } : undefined,
      texts: probeTexts(a), params, onProgress: req.onProgress,
    }),
    { force: req.force },
  );
  const result: AgreementResult = {
    a: modelInfo(a),
    b: modelInfo(b),
    ...(ca && cb ? { control: { a: modelInfo(ca), b: modelInfo(cb) } } : {}),
    probeSet: { id: a.probeSet.id, name: a.probeSet.name, sha256: a.probeSet.sha256 },
    pooling,
    examples: a.rows,
    layers: a.layers,
    params,
    ...r.result,
    seconds: (performance.now() - started) / 1000,
    cached: r.cached,
  };
  const warnings = extractionWarnings([a, b, ...(ca && cb ? [ca, cb] : [])]);
  const width = Math.max(...[a, b, ...(ca && cb ? [ca, cb] : [])].flatMap((l) => l.matrices.map((m) => m.cols)));
  if (2 * width > a.rows - 1 && params.measures.some((m) => m === 'svcca' || m === 'pwcca')) {
    warnings.push(`SVCCA / PWCCA: ${a.rows} probe examples for representations up to ${width} wide: when the two spans have rₓ + r_y > n − 1 dimensions they share at least rₓ + r_y − (n − 1) directions by dimension count alone (canonical correlations of 1), so these measures sit near 1 whatever the models; use more probe texts`);
  }
  if (warnings.length) result.warnings = warnings;
  return result;
}

export interface AgreementModelsRequest extends Omit<AgreementRequest, 'a' | 'b' | 'control'>, Omit<ActivationInputs, 'onProgress'> {
  a: ModelRef;
  b: ModelRef;
  control?: { a: ModelRef; b: ModelRef };
}

/** Models by directory or checkpoint id; with a probe file, missing activations are logged first. */
export async function agreeModels(db: Db, req: AgreementModelsRequest): Promise<AgreementResult> {
  const inputs = { ...req, ...sharedInputs(db, [req.a, req.b, ...(req.control ? [req.control.a, req.control.b] : [])], req) };
  const src = (ref: ModelRef) => ensureActivations(db, ref, inputs);
  const a = await src(req.a);
  const b = await src(req.b);
  const control = req.control ? { a: await src(req.control.a), b: await src(req.control.b) } : undefined;
  return agreementStored(db, { ...req, a, b, control });
}
