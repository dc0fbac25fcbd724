// Trajectory: every checkpoint of a run against one reference checkpoint (e.g. the decay's
// checkpoints vs the final MLM model), per layer and for the whole model. "Whole model" is the mean
// divergence over the transformer layers (the region table's "all" row; the embedding output is
// reported per layer but left out of the regions, as in compare.ts). Each point is a cached
// same-layer comparison, so re-running after a new checkpoint computes only the new point.
import type { Pooling } from '../../native-runner/activations/pooling';
import type { Db } from '../store/db';
import { cachedSameLayer, modelInfo, regionsOf } from './comparisons';
import type { ModelInfo, RegionValue } from './comparisons';
import { assertComparable, extractionWarnings, lighten, loadActivations } from './stored-activations';
import type { LoadedActivations } from './stored-activations';

export interface TrajectoryRequest {
  runId: number;
  ref: { checkpointId: number };
  probeSetId: number;
  pooling?: Pooling;
  layers?: number[];
  debiased?: boolean;
  force?: boolean;
}

export interface TrajectoryPoint {
  checkpoint: ModelInfo;
  divergence: number[]; // per entry of layers
  whole: number | null; // mean divergence over transformer layers (null if layers is not the full list)
  regions: RegionValue[] | null;
  cached: boolean;
}

export interface TrajectoryResult {
  runId: number;
  ref: ModelInfo;
  probeSet: { id: number; name: string; sha256: string };
  pooling: Pooling;
  measure: 'linear' | 'debiased';
  layers: number[];
  points: TrajectoryPoint[]; // in step order
  warnings?: string[]; // checkpoints whose tokenizer/truncation settings are unknown
}

/** The run's checkpoints in step order (the checkpoints table). */
export function runCheckpointIds(db: Db, runId: number): number[] {
  const run = db.prepare('SELECT id FROM runs WHERE id = ?').pluck().get(runId);
  if (run === undefined) throw new Error(`no run with id ${runId} in the workspace`);
  return db.prepare('SELECT id FROM checkpoints WHERE run_id = ? ORDER BY step, id').pluck().all(runId) as number[];
}

export async function trajectory(db: Db, req: TrajectoryRequest): Promise<TrajectoryResult> {
  const pooling = req.pooling ?? 'mean';
  const debiased = req.debiased ?? false;
  const ids = runCheckpointIds(db, req.runId);
  if (ids.length === 0) throw new Error(`run ${req.runId} has no checkpoints yet`);
  const ref = loadActivations(db, { checkpointId: req.ref.checkpointId, probeSetId: req.probeSetId, pooling, layers: req.layers });
  // Validate every checkpoint before computing any point, so a bad one caches nothing. Only digests
  // are kept (a run's checkpoints together can exceed memory); a point that is not cached re-reads its
  // activations when it is computed.
  const loaded: LoadedActivations[] = ids.map((id) => {
    const l = loadActivations(db, { checkpointId: id, probeSetId: req.probeSetId, pooling, layers: ref.layers });
    assertComparable(l, ref);
    return lighten(l);
  });
  const points: TrajectoryPoint[] = [];
  for (const l of loaded) {
    const same = await cachedSameLayer(db, l, ref, debiased, req.force);
    const divergence = same.cka.map((c) => 1 - c);
    const regions = regionsOf(ref.layers, divergence);
    const whole = regions?.find((r) => r.region === 'all')?.mean ?? null;
    points.push({ checkpoint: modelInfo(l), divergence, whole, regions, cached: same.cached });
  }
  const warnings = extractionWarnings([ref, ...loaded]);
  return {
    runId: req.runId,
    ref: modelInfo(ref),
    probeSet: { id: ref.probeSet.id, name: ref.probeSet.name, sha256: ref.probeSet.sha256 },
    pooling,
    measure: debiased ? 'debiased' : 'linear',
    layers: ref.layers,
    points,
    ...(warnings.length ? { warnings } : {}),
  };
}
