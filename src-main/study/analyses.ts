// Every analysis of the paper over the study's finished runs, from the workspace database (each
// piece is cached there by its inputs' digests, so a re-run of the study recomputes nothing):
//  (a) per-layer divergence CLM vs MLM with the seed-noise control and the ratio (+ bootstrap CIs)
//  (b) the decay trajectory: the CLM detour's decay checkpoints vs the final MLM model
//  (c) the low / mid / deep region table
//  (d) the freeze conditions' downstream score: held-out biomedical probe accuracy
//  (e) layer × layer CKA, CLM vs MLM (and the seed pair)
//  (f) per-layer gradient norms, CLM phase vs MLM phase
//  (g) layer-group transplants of CLM into MLM: probe accuracy and recovery of the gap
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../store/db';
import { compareStored, type CompareResult } from '../analysis/comparisons';
import { agreementStored } from '../analysis/similarity/agreement-stored';
import type { AgreementResult } from '../common/agreement-types';
import { probeStored, type ProbeStoredResult } from '../analysis/probe-stored';
import { gradNormSummary } from '../analysis/grad-norms';
import { transplant } from '../analysis/transplant';
import { logActivations, modelDirHash } from '../analysis/activation-log';
import { readProbeSet } from '../analysis/probe-set';
import { LAYER_GROUP_NAMES, layerGroup } from '../../native-runner/train/recipes';
import type { StudyFinetune, StudyRegionRow, StudyScoreRow, StudyTransplantRow } from '../common/study-types';
import { decaySegmentSteps, SCALE_PRESETS, STUDY_RUNS, type ScalePreset, type StudyAssets, type StudyRunKey, type StudyScale } from './plan';

/** The probe task whose accuracy is the downstream score (WordNet supersense of the defined word). */
export const SCORE_LABEL_SET = 'supersense';
export const LABEL_SETS = ['supersense', 'pos'];

export interface FinalCheckpoint { key: StudyRunKey; runId: number; checkpointId: number; path: string; step: number }

export interface GradNormRow { name: string; clm: number | null; mlm: number | null; ratio: number | null }

export interface TrajectoryRow { checkpointId: number; step: number; phase: string | null; decayTokens: number; whole: number | null; low: number | null; mid: number | null; deep: number | null }

export interface StudyResults {
  scale: StudyScale;
  layers: number;                      // transformer layers
  probe: { path: string; sha256: string; texts: number; probeSetId: number };
  base: { checkpointId: number; path: string };
  finals: FinalCheckpoint[];
  compare: CompareResult;              // CLM vs MLM s1, control MLM s2 vs MLM s1, cross, bootstrap
  controlCross: CompareResult;         // MLM s2 vs MLM s1 with the L×L table
  regions: StudyRegionRow[];
  trajectory: { clm: TrajectoryRow[]; mlmSeed2: TrajectoryRow[]; floor: number | null; tokensPerStep: number };
  scores: Record<string, StudyScoreRow[]>;   // per label set: one row per condition (+ the base model)
  scoreLayer: number;                  // hidden-state index probed for the score (the last layer)
  perLayerProbe: { name: string; result: ProbeStoredResult }[];
  gradNorms: GradNormRow[];
  transplant: { labelSet: string; mlm: number; clm: number; rows: StudyTransplantRow[] };
  /** The paper's downstream measure: every condition fine-tuned with seeds, paired tests vs MLM (finetune-stage.ts). */
  finetune?: StudyFinetune;
  /** Robustness: (a) under every similarity measure, with permutation nulls, rogue dimensions and influence. */
  agreement?: Omit<AgreementResult, 'seconds'>;
  timings: Record<string, number>;     // seconds per analysis block
}

function finalCheckpoint(db: Db, key: StudyRunKey, runId: number): FinalCheckpoint {
  const row = db.prepare('SELECT id, path, step FROM checkpoints WHERE run_id = ? ORDER BY step DESC, id DESC LIMIT 1').get(runId) as { id: number; path: string; step: number } | undefined;
  if (!row) throw new Error(`run ${runId} (${key}) has no checkpoints`);
  return { key, runId, checkpointId: row.id, path: row.path, step: row.step };
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const regionMean = (r: CompareResult['regions'] extends infer R ? R : never, which: 'divergence' | 'controlDivergence', region: string): number | null =>
  r?.[which]?.find((g) => g.region === region)?.mean ?? null;

/** Probe accuracy at one hidden state over several split seeds, per label set. */
async function probeScores(db: Db, checkpointId: number, probeSetId: number, layer: number, seeds: number): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = Object.fromEntries(LABEL_SETS.map((l) => [l, []]));
  for (let seed = 0; seed < seeds; seed++) {
    const r = await probeStored(db, { checkpointId, probeSetId, layers: [layer], labelSets: LABEL_SETS, options: { seed } });
    for (const t of r.tasks) out[t.labelSet].push(t.report.layers[0].task.accuracy);
  }
  return out;
}

/**
 * The decay trajectory of a run against a reference checkpoint: its checkpoints at the end of phase 1
 * and of every decay segment (a checkpoint a stop wrote mid-phase has no activations and is skipped),
 * each a cached same-layer comparison.
 */
async function decayTrajectory(db: Db, runId: number, ref: number, probeSetId: number, preset: ScalePreset, tokensPerStep: number): Promise<TrajectoryRow[]> {
  const seg = decaySegmentSteps(preset);
  const steps = Array.from({ length: preset.decaySegments + 1 }, (_, k) => preset.firstSteps + k * seg);
  const rows: TrajectoryRow[] = [];
  for (const step of steps) {
    const c = db.prepare('SELECT id, phase FROM checkpoints WHERE run_id = ? AND step = ? ORDER BY id DESC LIMIT 1').get(runId, step) as { id: number; phase: string | null } | undefined;
    if (!c) throw new Error(`run ${runId}: no checkpoint at step ${step} (the end of a phase)`);
    const r = await compareStored(db, { a: { checkpointId: c.id, probeSetId }, b: { checkpointId: ref, probeSetId } });
    const reg = (name: string) => regionMean(r.regions, 'divergence', name);
    rows.push({ checkpointId: c.id, step, phase: c.phase, decayTokens: (step - preset.firstSteps) * tokensPerStep, whole: reg('all'), low: reg('low'), mid: reg('mid'), deep: reg('deep') });
  }
  return rows;
}

export interface AnalysesOptions {
  db: Db;
  scale: StudyScale;
  runIds: Record<StudyRunKey, number>;
  assets: StudyAssets;
  workDir: string;                     // transplanted models go to WORK/transplants/<group>
  onProgress?: (message: string) => void;
}

export async function runAnalyses(o: AnalysesOptions): Promise<StudyResults> {
  const { db } = o;
  const preset = SCALE_PRESETS[o.scale];
  const say = o.onProgress ?? (() => {});
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    say(name);
    const t0 = performance.now();
    try { return await f(); } finally { timings[name] = (performance.now() - t0) / 1000; }
  };
  const probe = readProbeSet(o.assets.probe);
  const probeSetId = db.prepare('SELECT id FROM probe_sets WHERE sha256 = ?').pluck().get(probe.sha256) as number | undefined;
  if (probeSetId === undefined) throw new Error(`${o.assets.probe}: no activations of this probe set are stored in the workspace (the runs log them at every checkpoint)`);
  const finals = STUDY_RUNS.map((s) => finalCheckpoint(db, s.key, o.runIds[s.key]));
  const fin = Object.fromEntries(finals.map((f) => [f.key, f])) as Record<StudyRunKey, FinalCheckpoint>;
  const src = (k: StudyRunKey) => ({ checkpointId: fin[k].checkpointId, probeSetId });
  // The runner logs the starting model (the base model's weights) as run N's `start` checkpoint.
  const baseRow = db.prepare("SELECT id, path FROM checkpoints WHERE run_id = ? AND phase = 'start' ORDER BY id LIMIT 1").get(fin['mlm-s1'].runId) as { id: number; path: string } | undefined;
  if (!baseRow) throw new Error(`run ${fin['mlm-s1'].runId}: no activations of its starting model (the base model) were logged`);

  // (a) (c) (e)
  const compare = await timed('divergence CLM vs MLM with seed-noise control, L×L, bootstrap', () =>
    compareStored(db, { a: src('clm'), b: src('mlm-s1'), control: { a: src('mlm-s2'), b: src('mlm-s1') }, cross: true, bootstrap: { reps: preset.bootstrapReps, seed: 0 } }));
  const controlCross = await timed('L×L seed pair', () => compareStored(db, { a: src('mlm-s2'), b: src('mlm-s1'), cross: true }));
  const layers = Math.max(...compare.layers);
  const regions: StudyRegionRow[] = ['low', 'mid', 'deep', 'all'].map((region) => {
    const clm = regionMean(compare.regions, 'divergence', region);
    const noise = regionMean(compare.regions, 'controlDivergence', region);
    const g = compare.regions?.divergence.find((r) => r.region === region);
    return { region, layers: g?.layers ?? [], clmVsMlm: clm, seedNoise: noise, ratio: clm !== null && noise ? clm / noise : null };
  });

  // (b)
  const tokensPerStep = preset.seqLen * preset.batchSize;
  const trajectoryOut = await timed('decay trajectory', async () => ({
    clm: await decayTrajectory(db, fin.clm.runId, fin['mlm-s1'].checkpointId, probeSetId, preset, tokensPerStep),
    mlmSeed2: await decayTrajectory(db, fin['mlm-s2'].runId, fin['mlm-s1'].checkpointId, probeSetId, preset, tokensPerStep),
    floor: regionMean(compare.regions, 'controlDivergence', 'all'),
    tokensPerStep,
  }));

  // (d) scores of every condition and of the base model, and each condition's divergence regions
  const scoreLayer = layers; // hidden state L: the last layer's output
  const scores = await timed('probe scores of every condition', async () => {
    const rows: Record<string, StudyScoreRow[]> = Object.fromEntries(LABEL_SETS.map((l) => [l, []]));
    const entries: { key: string; label: string; checkpointId: number }[] = [
      { key: 'base', label: 'base model (before adaptation)', checkpointId: baseRow.id },
      ...STUDY_RUNS.map((s) => ({ key: s.key, label: s.label, checkpointId: fin[s.key].checkpointId })),
    ];
    for (const e of entries) {
      const s = await probeScores(db, e.checkpointId, probeSetId, scoreLayer, preset.probeSeeds);
      let div: StudyScoreRow['divergenceVsMlm'] = null;
      if (e.key !== 'mlm-s1') {
        const c = await compareStored(db, { a: { checkpointId: e.checkpointId, probeSetId }, b: src('mlm-s1') });
        const r = (name: string) => regionMean(c.regions, 'divergence', name);
        div = { low: r('low'), mid: r('mid'), deep: r('deep'), all: r('all') };
      }
      for (const l of LABEL_SETS) rows[l].push({ key: e.key, label: e.label, scores: s[l], mean: mean(s[l]), deltaVsMlm: null, divergenceVsMlm: div });
    }
    for (const l of LABEL_SETS) {
      const ref = rows[l].find((r) => r.key === 'mlm-s1')!.mean;
      for (const r of rows[l]) r.deltaVsMlm = r.mean - ref;
    }
    return rows;
  });
  const perLayerProbe = await timed('per-layer probes (base, MLM, CLM)', async () => [
    { name: 'base', result: await probeStored(db, { checkpointId: baseRow.id, probeSetId, labelSets: [SCORE_LABEL_SET] }) },
    { name: 'MLM', result: await probeStored(db, { ...src('mlm-s1'), labelSets: [SCORE_LABEL_SET] }) },
    { name: 'CLM detour', result: await probeStored(db, { ...src('clm'), labelSets: [SCORE_LABEL_SET] }) },
  ]);

  // (f)
  const gradNorms = await timed('gradient norms per layer', async () => {
    const phase1 = (runId: number) => gradNormSummary(db, runId).find((p) => p.idx === 0)!;
    const c = phase1(fin.clm.runId);
    const m = phase1(fin['mlm-s1'].runId);
    return c.norms.filter((n) => n.group !== 'total').map((n): GradNormRow => {
      const mm = m.norms.find((x) => x.name === n.name)?.mean ?? null;
      const label = n.group === 'layer' ? `layer ${n.layer}` : n.group;
      return { name: label, clm: n.mean, mlm: mm, ratio: n.mean !== null && mm ? n.mean / mm : null };
    });
  });

  // (g)
  const transplantOut = await timed('layer-group transplants CLM → MLM', async () => {
    const ref = (k: StudyRunKey) => scores[SCORE_LABEL_SET].find((r) => r.key === k)!.mean;
    const mlm = ref('mlm-s1');
    const clm = ref('clm');
    const rows: StudyTransplantRow[] = [];
    for (const group of LAYER_GROUP_NAMES) {
      // The folder is named by the sources' weight hashes: other sources never reuse its stored activations.
      const tag = `${modelDirHash(fin.clm.path).slice(0, 8)}-${modelDirHash(fin['mlm-s1'].path).slice(0, 8)}`;
      const out = path.join(o.workDir, 'transplants', `${group}-from-clm-into-mlm-${tag}`);
      if (!fs.existsSync(path.join(out, 'transplant.json'))) transplant({ a: fin.clm.path, b: fin['mlm-s1'].path, out, group });
      const logged = await logActivations(db, { modelDir: out, probeSet: o.assets.probe, tokenizer: o.assets.tokenizer, poolings: ['mean'], maxLength: preset.probeMaxLength, batchSize: preset.probeBatchSize });
      const s = (await probeScores(db, logged.checkpointId, logged.probeSetId, scoreLayer, preset.probeSeeds))[SCORE_LABEL_SET];
      const m = mean(s);
      rows.push({ group, layers: layerGroup(group, layers), mean: m, scores: s, recovery: clm !== mlm ? (m - mlm) / (clm - mlm) : null });
    }
    return { labelSet: SCORE_LABEL_SET, mlm, clm, rows };
  });

  // Robustness of (a): the same pairs under every similarity measure (issue 16). Fewer permutations at
  // the tiny scale, whose probe set is small and whose run exists to test the pipeline.
  const { seconds: _seconds, ...agreement } = await timed('robustness: other similarity measures, permutation nulls', () =>
    agreementStored(db, { a: src('clm'), b: src('mlm-s1'), control: { a: src('mlm-s2'), b: src('mlm-s1') }, params: { permutations: o.scale === 'tiny' ? 20 : 200 } }));
  void _seconds; // the time goes into `timings`; results stay identical whether computed or served from the cache

  return {
    scale: o.scale,
    layers,
    agreement,
    probe: { path: probe.path, sha256: probe.sha256, texts: probe.texts.length, probeSetId },
    base: { checkpointId: baseRow.id, path: baseRow.path },
    finals, compare, controlCross, regions, trajectory: trajectoryOut, scores, scoreLayer, perLayerProbe, gradNorms, transplant: transplantOut, timings,
  };
}
