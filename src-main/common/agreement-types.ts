// Wire types of the agreement analysis ("is a layer-similarity claim robust?"): the same pair of
// models compared by several representational-similarity measures, each with its seed-noise ratio,
// a permutation null, rogue-dimension checks on linear CKA and leave-one-out influence of probe texts.
// Pure types and constants: the renderer, the contract and src-main/analysis/similarity share them.
import type { ModelInfo, RegionValue } from './analysis-types';

/** Every measure, in display order. */
export const MEASURE_NAMES = ['cka', 'debiased', 'procrustes', 'svcca', 'pwcca', 'rsa', 'knn', 'rbf'] as const;
export type MeasureName = (typeof MEASURE_NAMES)[number];

export const MEASURE_LABELS: Record<MeasureName, string> = {
  cka: 'linear CKA',
  debiased: 'debiased CKA',
  procrustes: 'Procrustes',
  svcca: 'SVCCA',
  pwcca: 'PWCCA',
  rsa: 'RSA',
  knn: 'mutual k-NN',
  rbf: 'RBF CKA',
};

/** Column labels short enough for eight measures across a one-column figure. */
export const MEASURE_SHORT_LABELS: Record<MeasureName, string> = {
  cka: 'CKA', debiased: 'dCKA', procrustes: 'Proc', svcca: 'SVCCA', pwcca: 'PWCCA', rsa: 'RSA', knn: 'kNN', rbf: 'RBF',
};

/** A ratio at or above this counts as "beyond seed noise" (the study's criterion, study/summary.ts). */
export const RATIO_THRESHOLD = 2;

export interface AgreementParams {
  measures: MeasureName[];
  knnK: number; // neighbours for mutual k-NN (Huh et al. use 10)
  rbfFraction: number; // RBF bandwidth σ = fraction × median pairwise distance
  svccaShare: number; // variance kept by SVCCA's SVD step
  permutations: number; // permutation-null replicates per layer (0: none)
  seed: number;
  rogueK: number; // top dimensions / principal components in the rogue-dimension checks
  influenceK: number; // most influential probe texts listed per layer
}

export interface MeasureValues {
  measure: MeasureName;
  /** Similarity, higher = more alike (Procrustes: the nuclear norm ‖XᵀY‖_* of the normalised pair). */
  score: number[];
  /** The divergence the ratio uses: 1 − score; Procrustes: its distance 2 − 2‖XᵀY‖_*. */
  divergence: number[];
  controlDivergence?: number[];
  ratio?: (number | null)[];
  /** Permutation p-value per layer, (1 + #{score_π ≥ score}) / (1 + permutations). */
  pValue?: number[];
  regions?: { divergence: RegionValue[]; controlDivergence?: RegionValue[]; ratio?: RegionValue[] } | null;
}

export interface RogueRow {
  layer: number;
  /** Share of tr(KL) = ‖XᵀY‖²_F carried by A's / B's top-k variance dimensions. */
  topShareA: number;
  topShareB: number;
  cka: number;
  standardisedCKA: number;
  pcRemovedCKA: number | null; // null when a side has no more than rogueK non-zero axes
  /** With a control pair: whether "beyond seed noise" (ratio ≥ 2) changes under either variant. */
  flips?: { standardised: boolean; pcRemoved: boolean };
  ratio?: { raw: number | null; standardised: number | null; pcRemoved: number | null };
}

export interface InfluentialText {
  index: number; // row of the probe set
  text: string | null;
  /** CKA(all) − CKA(all but this text): positive when the text raises the similarity. */
  influence: number;
}

export interface InfluenceRow {
  layer: number;
  cka: number;
  top: InfluentialText[];
  /** Linear CKA with the top-k texts removed together. */
  ckaWithoutTop: number;
}

export interface RegionVerdict {
  region: string; // low | mid | deep
  /** Measures whose region ratio is ≥ RATIO_THRESHOLD, out of those with a ratio. */
  beyondNoise: number;
  total: number;
  line: string;
}

export interface AgreementResult {
  a: ModelInfo;
  b: ModelInfo;
  control?: { a: ModelInfo; b: ModelInfo };
  probeSet: { id: number; name: string; sha256: string };
  pooling: string;
  examples: number;
  layers: number[];
  params: AgreementParams;
  measures: MeasureValues[];
  /** Present with a control pair and the full layer list: per region, how many measures agree. */
  verdicts?: RegionVerdict[];
  /** The study's low-layer-concentration criterion per measure, and the headline count. */
  concentration?: { agree: number; total: number; measures: MeasureName[]; line: string };
  rogue: RogueRow[];
  influence: InfluenceRow[];
  seconds: number;
  cached: boolean;
  warnings?: string[];
}
