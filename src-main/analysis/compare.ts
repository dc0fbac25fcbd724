// Model-to-model comparisons built on CKA: same-layer divergence d_l = 1 − CKA(A_l, B_l), the
// seed-noise ratio r_l = d(A, B) / d(B′, B) against a control pair (two runs that differ only in
// seed), and the region table (mean over the low / mid / deep layer groups of the model's depth).
import { LAYER_GROUP_NAMES, layerGroup } from '../../native-runner/train/recipes';
import type { LayerGroupName } from '../../native-runner/train/recipes';
import { debiasedCKA, linearCKA } from './cka';
import type { CKAOptions } from './cka';
import type { DenseMatrix } from './linalg';

export interface SameLayerOptions extends CKAOptions {
  /** Debiased CKA (unbiased HSIC) instead of the paper's linear CKA. */
  debiased?: boolean;
}

/** Checks that two models' activations describe the same layers and probe examples. */
export function checkComparable(a: DenseMatrix[], b: DenseMatrix[], names: [string, string] = ['model A', 'model B']): void {
  if (a.length === 0) throw new Error(`${names[0]}: no layers given`);
  if (a.length !== b.length) throw new Error(`${names[0]} has ${a.length} layers and ${names[1]} has ${b.length}; same-layer comparison needs equal depth`);
  const n = a[0].rows;
  a.forEach((m, i) => {
    if (m.rows !== n) throw new Error(`${names[0]} layer ${i}: ${m.rows} examples, expected ${n}`);
  });
  b.forEach((m, i) => {
    if (m.rows !== n) throw new Error(`${names[1]} layer ${i}: ${m.rows} examples, ${names[0]} has ${n} (different probe sets?)`);
  });
}

/** CKA(A_l, B_l) for every layer l. */
export async function sameLayerCKA(a: DenseMatrix[], b: DenseMatrix[], opts: SameLayerOptions = {}): Promise<number[]> {
  checkComparable(a, b);
  const out: number[] = [];
  for (let l = 0; l < a.length; l++) out.push(opts.debiased ? await debiasedCKA(a[l], b[l], opts) : await linearCKA(a[l], b[l], opts));
  return out;
}

/** d_l = 1 − CKA(A_l, B_l). */
export async function sameLayerDivergence(a: DenseMatrix[], b: DenseMatrix[], opts: SameLayerOptions = {}): Promise<number[]> {
  return (await sameLayerCKA(a, b, opts)).map((c) => 1 - c);
}

/**
 * r_l = d_l(A, B) / d_l(B′, B). A control divergence of exactly 0 (identical control runs) has no
 * finite ratio: it gives Infinity (or NaN when d(A, B) is 0 too), which the caller must show as such.
 */
export function seedNoiseRatios(divergence: number[], controlDivergence: number[]): number[] {
  if (divergence.length !== controlDivergence.length) {
    throw new Error(`seed-noise ratio: ${divergence.length} divergences but ${controlDivergence.length} control divergences`);
  }
  return divergence.map((d, l) => d / controlDivergence[l]);
}

export interface SeedNoiseRow {
  layer: number;
  divergence: number; // d(A, B)
  controlDivergence: number; // d(B′, B)
  ratio: number; // r = d(A, B) / d(B′, B)
}

/** Per-layer divergence of A vs B, the noise floor B′ vs B, and their ratio. */
export async function seedNoiseTable(
  models: { a: DenseMatrix[]; b: DenseMatrix[]; bPrime: DenseMatrix[] },
  opts: SameLayerOptions = {},
): Promise<SeedNoiseRow[]> {
  checkComparable(models.a, models.b, ['model A', 'model B']);
  checkComparable(models.bPrime, models.b, ['control B′', 'model B']);
  const d = await sameLayerDivergence(models.a, models.b, opts);
  const dc = await sameLayerDivergence(models.bPrime, models.b, opts);
  const r = seedNoiseRatios(d, dc);
  return d.map((v, layer) => ({ layer, divergence: v, controlDivergence: dc[layer], ratio: r[layer] }));
}

export interface RegionRow {
  region: LayerGroupName | 'all';
  layers: number[]; // transformer layer indices in the region
  mean: number | null; // null when the group is empty for this depth
}

/**
 * Mean of a per-layer value over the low / mid / deep groups (the paper's fractions of depth, from
 * native-runner/train/recipes.ts) and over all layers. `values` may include HF's embedding output
 * first (hidden_states has num_layers + 1 entries): say so with `includesEmbedding`; it is then
 * left out of every region, as the paper's groups name transformer layers only.
 */
export function regionTable(values: number[], opts: { includesEmbedding?: boolean } = {}): RegionRow[] {
  const offset = opts.includesEmbedding ? 1 : 0;
  const numLayers = values.length - offset;
  if (numLayers < 1) throw new Error(`region table: need at least one transformer layer, got ${values.length} values`);
  const mean = (layers: number[]): number | null =>
    layers.length === 0 ? null : layers.reduce((s, l) => s + values[l + offset], 0) / layers.length;
  const rows: RegionRow[] = LAYER_GROUP_NAMES.map((region) => {
    const layers = layerGroup(region, numLayers);
    return { region, layers, mean: mean(layers) };
  });
  const all = Array.from({ length: numLayers }, (_, i) => i);
  rows.push({ region: 'all', layers: all, mean: mean(all) });
  return rows;
}
