// Probing over stored activations: for each label set of the probe file (every string field of its
// JSONL rows but the text, id and the word type), per-layer probes with a control task
// (probing.ts), cached by the activations' digest, the probe file's hash, the label set and options.
// Rows whose label is empty (a row without that field) are left out of that label set's task.
import type { Pooling } from '../../native-runner/activations/pooling';
import type { Db } from '../store/db';
import { cachedAnalysis } from './analysis-cache';
import { modelInfo } from './comparisons';
import type { ModelInfo } from './comparisons';
import type { DenseMatrix } from './linalg';
import { readProbeSet } from './probe-set';
import type { ProbeSet } from './probe-set';
import { probeLayers } from './probing';
import type { ProbeOptions, ProbeReport } from './probing';
import { loadActivations } from './stored-activations';

/** The word type is the split key, not a task; these fields are never label sets. */
const NOT_LABEL_SETS = new Set(['word']);

export interface ProbeStoredRequest {
  checkpointId: number;
  probeSetId: number;
  pooling?: Pooling; // default 'mean'
  layers?: number[];
  labelSets?: string[]; // default: every label set of the probe file
  probeFile?: string; // default: the path recorded with the probe set (its hash must match)
  options?: Pick<ProbeOptions, 'seed' | 'fractions' | 'l2' | 'maxIters' | 'patience'>;
  force?: boolean;
}

export interface ProbeStoredResult {
  model: ModelInfo;
  probeSet: { id: number; name: string; sha256: string };
  pooling: Pooling;
  layers: number[]; // hidden-state indices; report.layers[i].layer indexes into this list
  tasks: { labelSet: string; examples: number; report: ProbeReport; cached: boolean }[];
}

/** Reads the probe file of a stored probe set, refusing one whose content changed since logging. */
export function probeFileFor(db: Db, probeSetId: number, file?: string): ProbeSet {
  const row = db.prepare('SELECT name, sha256, path FROM probe_sets WHERE id = ?').get(probeSetId) as { name: string; sha256: string; path: string | null } | undefined;
  if (!row) throw new Error(`no probe set with id ${probeSetId} in the workspace`);
  const p = file ?? row.path;
  if (!p) throw new Error(`probe set ${probeSetId} (${row.name}) has no recorded file; pass the probe file`);
  const probe = readProbeSet(p);
  if (probe.sha256 !== row.sha256) throw new Error(`${p}: content differs from probe set ${probeSetId} (${row.name}) whose activations are stored (sha256 ${row.sha256.slice(0, 12)}…)`);
  return probe;
}

export function labelSetNames(probe: ProbeSet): string[] {
  return Object.keys(probe.labels).filter((k) => !NOT_LABEL_SETS.has(k)).sort();
}

function pickRows(m: DenseMatrix, rows: number[]): DenseMatrix {
  const data = new Float32Array(rows.length * m.cols);
  rows.forEach((r, i) => data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols));
  return { rows: rows.length, cols: m.cols, data };
}

export async function probeStored(db: Db, req: ProbeStoredRequest): Promise<ProbeStoredResult> {
  const pooling = req.pooling ?? 'mean';
  const acts = loadActivations(db, { checkpointId: req.checkpointId, probeSetId: req.probeSetId, pooling, layers: req.layers });
  const probe = probeFileFor(db, req.probeSetId, req.probeFile);
  const n = probe.texts.length;
  // 'tokens' pooling holds k rows per text (text-major): each row takes its text's label and word type.
  if (acts.rows % n !== 0) throw new Error(`checkpoint ${req.checkpointId}: ${acts.rows} ${pooling}-pooled rows do not divide into the probe set's ${n} texts`);
  const perText = acts.rows / n;
  const all = labelSetNames(probe);
  const wanted = req.labelSets ?? all;
  if (wanted.length === 0) throw new Error(`${probe.path}: the probe set has no label sets (string fields besides "text", "id" and "word")`);
  for (const s of wanted) if (!all.includes(s)) throw new Error(`${probe.path}: no label set "${s}" (has: ${all.join(', ') || 'none'})`);
  const groups = probe.groups ?? probe.texts.map((_, i) => String(i));
  const options = req.options ?? {};
  const tasks: ProbeStoredResult['tasks'] = [];
  for (const labelSet of wanted) {
    const rows: number[] = [];
    const labels: string[] = [];
    const rowGroups: string[] = [];
    for (let r = 0; r < acts.rows; r++) {
      const t = Math.floor(r / perText);
      const label = probe.labels[labelSet][t];
      if (label === '') continue;
      rows.push(r);
      labels.push(label);
      rowGroups.push(groups[t]);
    }
    const r = await cachedAnalysis(
      db,
      'probe',
      { activations: acts.digest, probeFile: probe.sha256, labelSet },
      // report 2: with accuracy intervals and confusion matrices (reports cached before are recomputed)
      { layers: acts.layers, pooling, ...options, report: 2 },
      async () => {
        const x = rows.length === acts.rows ? acts.matrices : acts.matrices.map((m) => pickRows(m, rows));
        return probeLayers(x, { labels, groups: rowGroups }, options);
      },
      { force: req.force },
    );
    tasks.push({ labelSet, examples: rows.length, report: r.result, cached: r.cached });
  }
  return {
    model: modelInfo(acts),
    probeSet: { id: acts.probeSet.id, name: acts.probeSet.name, sha256: acts.probeSet.sha256 },
    pooling,
    layers: acts.layers,
    tasks,
  };
}
