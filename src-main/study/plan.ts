// The CLM-detour study preset: six runs with the same data, compute and starting model (the demo
// base model), differing only in the first phase's objective, the seed or a freeze pattern, at two
// scales. Pure: builds run configs (native-runner/protocol.ts input) from the assets' paths.
//
// The decay (0.1·n tokens, 1−√ to 10% of peak, as the paper's recipe) is split into K consecutive
// phases `decay-1 … decay-K` that continue ONE schedule (reset_scheduler false on all but the first),
// so the learning rate is exactly the recipe's while every segment end is a checkpoint: the decay
// trajectory's points. Every run has the same phase structure, so compute is identical.
import type { FreezePresetName } from '../../native-runner/train/recipes';
import { PAPER_DEFAULTS } from '../../native-runner/train/recipes';
import type { RunConfigInput } from '../../native-runner/protocol';

export const STUDY_SCALES = ['tiny', 'demo'] as const;
export type StudyScale = (typeof STUDY_SCALES)[number];

export interface ScalePreset {
  seqLen: number;              // T
  batchSize: number;           // B
  firstSteps: number;          // n, in optimizer steps (phase 1: CLM or MLM 30%)
  decaySegments: number;       // K checkpoints along the decay (the trajectory's points)
  peakLr: number;
  warmup: number;              // warmup steps of phase 1 (6% of n, as the recipe presets)
  probeMaxLength: number;      // probe texts truncated to this many tokens (incl. [CLS]/[SEP])
  probeBatchSize: number;
  bootstrapReps: number;       // percentile bootstrap of the per-layer divergences and ratios
  probeSeeds: number;          // probe splits (word-type-disjoint) averaged for the downstream score
  analysisSecondsGuess: number;// for the ETA before the analyses have run once on this machine (fine-tuning included)
  /** Fine-tuning every condition on demo:supersense (finetune-stage.ts): seeds, split sizes (a
   *  deterministic subset of the task), epochs, lr, max length, bootstrap replicates. */
  finetune: { seeds: number; maxTrain: number; maxDev: number; maxTest: number; epochs: number; lr: number; maxLength: number; replicates: number };
}

/**
 * tiny: minutes in all on 2 cores (the integration test). demo: 7–10 minutes on 2 CPU cores (docs/study.md);
 * n = 150 steps of 16×128 tokens ≈ 307k tokens ≈ 2 epochs of the demo biomedical training split
 * (154k tokens), measured at ~0.3–0.45 s/step of the demo model on 2 cores (docs/study.md).
 */
export const SCALE_PRESETS: Record<StudyScale, ScalePreset> = {
  tiny: { seqLen: 32, batchSize: 8, firstSteps: 20, decaySegments: 2, peakLr: PAPER_DEFAULTS.lr, warmup: 1, probeMaxLength: 32, probeBatchSize: 50, bootstrapReps: 20, probeSeeds: 2, analysisSecondsGuess: 90,
    finetune: { seeds: 2, maxTrain: 48, maxDev: 32, maxTest: 64, epochs: 1, lr: 1e-4, maxLength: 48, replicates: 200 } },
  demo: { seqLen: 128, batchSize: 16, firstSteps: 150, decaySegments: 5, peakLr: PAPER_DEFAULTS.lr, warmup: 9, probeMaxLength: 64, probeBatchSize: 50, bootstrapReps: 200, probeSeeds: 5, analysisSecondsGuess: 480,
    finetune: { seeds: 3, maxTrain: 800, maxDev: 250, maxTest: 940, epochs: 2, lr: 1e-4, maxLength: 64, replicates: 1000 } },
};

export const STUDY_RUN_KEYS = ['mlm-s1', 'mlm-s2', 'clm', 'clm-freeze-low', 'clm-freeze-mid', 'clm-decay-freeze-low'] as const;
export type StudyRunKey = (typeof STUDY_RUN_KEYS)[number];

export interface StudyRunSpec {
  key: StudyRunKey;
  label: string;               // as the paper's tables name the condition
  first: 'mlm' | 'clm';
  seed: number;
  freeze: FreezePresetName;    // during phase 1
  decayFreeze: FreezePresetName;
}

export const STUDY_RUNS: StudyRunSpec[] = [
  { key: 'mlm-s1', label: 'MLM baseline', first: 'mlm', seed: 1, freeze: 'none', decayFreeze: 'none' },
  { key: 'mlm-s2', label: 'MLM baseline, seed 2 (noise control)', first: 'mlm', seed: 2, freeze: 'none', decayFreeze: 'none' },
  { key: 'clm', label: 'CLM detour', first: 'clm', seed: 1, freeze: 'none', decayFreeze: 'none' },
  { key: 'clm-freeze-low', label: 'CLM detour, low frozen during CLM', first: 'clm', seed: 1, freeze: 'low', decayFreeze: 'none' },
  { key: 'clm-freeze-mid', label: 'CLM detour, mid frozen during CLM', first: 'clm', seed: 1, freeze: 'mid', decayFreeze: 'none' },
  { key: 'clm-decay-freeze-low', label: 'CLM detour, low frozen during the decay', first: 'clm', seed: 1, freeze: 'none', decayFreeze: 'low' },
];

/** Absolute paths of what every run reads. */
export interface StudyAssets {
  baseModel: string;           // demo base model directory (init_from and architecture)
  tokenizer: string;           // tokenizer directory
  corpus: string;              // biomedical TRAINING documents (JSONL, probe texts excluded)
  probe: string;               // the 500-text biomedical probe set (JSONL with labels)
  cacheDir: string;            // token shard cache shared by the runs
}

/** Steps of each decay segment: the decay is 0.1·n (at least one step per segment). */
export function decaySegmentSteps(p: ScalePreset): number {
  const decay = Math.round(p.firstSteps * PAPER_DEFAULTS.decay_ratio);
  return Math.max(1, Math.round(decay / p.decaySegments));
}

export function totalStudySteps(p: ScalePreset): number {
  return p.firstSteps + p.decaySegments * decaySegmentSteps(p);
}

export function studyRunName(scale: StudyScale, spec: StudyRunSpec): string {
  return `study/${scale}: ${spec.label}`;
}

/** The run config of one condition (paths absolute; validated by the queue on enqueue). */
export function studyRunConfig(scale: StudyScale, spec: StudyRunSpec, a: StudyAssets): RunConfigInput {
  const p = SCALE_PRESETS[scale];
  const seg = decaySegmentSteps(p);
  const first = spec.first === 'mlm'
    ? { name: 'mlm', objective: 'mlm' as const, mask_rate: PAPER_DEFAULTS.mlm_mask_rate }
    : { name: 'clm', objective: 'clm' as const };
  const decay = Array.from({ length: p.decaySegments }, (_, i) => ({
    name: `decay-${i + 1}`,
    objective: 'mlm' as const,
    mask_rate: PAPER_DEFAULTS.decay_mask_rate,
    steps: seg,
    ...(i === 0
      ? { reset_scheduler: true, lr: { peak: p.peakLr, warmup: 0, shape: 'one_minus_sqrt' as const, final_ratio: PAPER_DEFAULTS.decay_final_ratio } }
      : { reset_scheduler: false }),
    freeze: spec.decayFreeze,
  }));
  return {
    name: studyRunName(scale, spec),
    model: 'demo', // the base model's architecture (its config.json must be the demo preset's)
    init_from: a.baseModel,
    data: { corpus: a.corpus, tokenizer: a.tokenizer, cache_dir: a.cacheDir },
    seq_len: p.seqLen,
    batch_size: p.batchSize,
    seed: spec.seed,
    threads: 2,
    checkpoint_every: 0, // phase ends only: the end of phase 1 and of every decay segment
    phases: [
      { ...first, steps: p.firstSteps, lr: { peak: p.peakLr, warmup: p.warmup, shape: 'constant', final_ratio: 1 }, freeze: spec.freeze },
      ...decay,
    ],
    probe_set: { path: a.probe, tokenizer: a.tokenizer, poolings: ['mean'], max_length: p.probeMaxLength, batch_size: p.probeBatchSize },
  };
}
