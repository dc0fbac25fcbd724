// What the analysis calls return over the API (the shapes src-main/analysis produces; kept here so
// the renderer can use them without importing main-side code). Plain JSON.

export type PoolingName = 'mean' | 'cls' | 'tokens';

export interface ModelInfo {
  checkpointId: number;
  path: string;
  sha256: string;
  runId: number | null;
  step: number | null;
  phase: string | null;
}

export interface RegionValue {
  region: string;             // low / mid / deep / all
  layers: number[];           // transformer layer indices
  mean: number | null;
}

export interface Interval {
  estimate: number;
  lo: number;
  hi: number;
}

export interface LayerInterval {
  layer: number;
  cka: Interval;
  divergence: Interval;
  /**
   * Mean replicate divergence minus the full-set divergence. A resample holds only ~63% distinct
   * examples and linear CKA is biased upward on fewer distinct ones, so replicates are shifted; the
   * intervals are re-centred on the estimate (bootstrap.ts) and the shift is reported here.
   */
  divergenceShift: number;
  controlDivergence?: Interval;
  ratio?: { estimate: number | null; lo: number | null; hi: number | null };
}

export interface CompareResult {
  a: ModelInfo;
  b: ModelInfo;
  control?: { a: ModelInfo; b: ModelInfo };
  probeSet: { id: number; name: string; sha256: string };
  pooling: PoolingName;
  examples: number;   // probe texts (rows per layer)
  measure: 'linear' | 'debiased';
  layers: number[];           // hidden-state indices (0 = embedding output)
  cka: number[];
  divergence: number[];       // 1 − CKA per layer
  controlDivergence?: number[];
  ratio?: (number | null)[];
  regions: { divergence: RegionValue[]; controlDivergence?: RegionValue[]; ratio?: RegionValue[] } | null;
  cross?: { rows: number[]; cols: number[]; cka: number[][] };
  bootstrap?: { reps: number; seed: number; level: number; layers: LayerInterval[] };
  cached: { sameLayer: boolean; control?: boolean; cross?: boolean; bootstrap?: boolean };
  /** Caveats that did not stop the comparison (e.g. a side whose tokenizer/truncation settings are unknown). */
  warnings?: string[];
}

export interface TrajectoryResult {
  runId: number;
  ref: ModelInfo;
  probeSet: { id: number; name: string; sha256: string };
  pooling: PoolingName;
  measure: 'linear' | 'debiased';
  layers: number[];
  points: { checkpoint: ModelInfo; divergence: number[]; whole: number | null; regions: RegionValue[] | null; cached: boolean }[];
  warnings?: string[]; // as CompareResult's
}

export interface ProbeMetrics {
  accuracy: number;
  macroF1: number;
  iterations: number;
  bestIteration: number;
  /** Bootstrap interval of the test accuracy over resampled test word types (or examples, with few types). */
  ci?: { lo: number; hi: number; level: number; reps: number; unit: 'word types' | 'examples' };
  /** Test confusion counts, confusion[gold][predicted], classes as in report.classes (task probes only). */
  confusion?: number[][];
}

export interface ProbeResult {
  model: ModelInfo;
  probeSet: { id: number; name: string; sha256: string };
  pooling: PoolingName;
  layers: number[];
  tasks: {
    labelSet: string;
    examples: number;
    report: {
      classes: string[]; split: { train: number; dev: number; test: number }; layers: { layer: number; task: ProbeMetrics; control: ProbeMetrics; selectivity: number }[];
      majority?: { label: string; accuracy: number }; // always the most frequent class: the floor (absent in results cached before it was recorded)
    };
    cached: boolean;
  }[];
}

/** Activations of a model directory logged into the workspace (API logActivations). */
export interface LoggedActivations {
  checkpointId: number;
  probeSetId: number;
  layers: number;     // hidden states stored (embedding output + every layer)
  cached: boolean;    // already stored with the same settings: nothing was run
  seconds: number;
}

/** A checkpoint with stored activations, for the Compare view's pickers. */
export interface ComparableCheckpoint {
  checkpointId: number;
  path: string;
  runId: number | null;
  runName: string | null;
  step: number | null;
  phase: string | null;
  layers: number;             // hidden states stored (embedding output + transformer layers)
  probeSets: { id: number; name: string; texts: number; poolings: PoolingName[] }[];
  /** Freeze masks of the run's phases (layer indices frozen), to draw on the layer axis. */
  frozen: { phase: string; layers: number[] }[];
}

export interface GradNormStats {
  name: string;               // metric name
  group: 'embeddings' | 'layer' | 'head' | 'total';
  layer: number | null;       // transformer layer index for group 'layer'
  count: number;              // steps with a finite value
  nonFinite: number;          // steps whose norm was NaN/Infinity (stored as NULL)
  mean: number | null;
  rms: number | null;
  min: number | null;
  max: number | null;
  first: number | null;
  last: number | null;
}

/** Per-layer gradient-norm statistics of one phase of a run. */
export interface PhaseGradNorms {
  idx: number;
  name: string;
  objective: 'mlm' | 'clm';
  firstStep: number | null;
  lastStep: number | null;
  norms: GradNormStats[];     // embeddings, layers in order, head, total
}

/** Relative Frobenius change of each layer's weights against a reference checkpoint. */
export interface DriftResult {
  model: { path: string; sha256: string };
  ref: { path: string; sha256: string };
  rows: { group: string; layer: number | null; change: number; refNorm: number; relative: number }[];
  cached: boolean;
}

export interface TransplantInfo {
  out: string;
  sha256: string;
  layers: number[];           // transformer layers taken from A
  embeddings: boolean;
  head: boolean;
  fromA: number;              // tensors taken from A
  fromB: number;              // tensors taken from B
  a: { path: string; sha256: string };
  b: { path: string; sha256: string };
}

export interface TransplantResult {
  transplant: TransplantInfo;
  checkpointId: number;
  divergence?: { layers: number[]; fromA: number[]; fromB: number[] };
  probes?: ProbeResult;
}
