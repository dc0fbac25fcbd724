// The agreement analysis on in-memory activations: for every layer, every requested measure on the
// main pair (A, B) and on the control pair (B′, B), the divergence ratio over seed noise, a
// permutation p-value, the rogue-dimension checks on linear CKA and the leave-one-out influence of
// each probe text. Layer by layer, so only one layer's Gram matrices and bases are held at a time.
import type { DenseMatrix } from '../linalg';
import { finiteOrNull } from '../analysis-cache';
import { regionsOf } from '../comparisons';
import {
  MEASURE_LABELS, RATIO_THRESHOLD,
  type AgreementParams, type InfluenceRow, type MeasureName, type MeasureValues, type RegionVerdict, type RogueRow,
} from '../../common/agreement-types';
import { influence } from './influence';
import type { MeasureOptions } from './measure';
import { MEASURES } from './measures';
import { permutationPValues, randomPermutations, type NullEntry } from './permutation-null';
import { Representation } from './representation';
import { rogueDimensions } from './rogue-dimensions';

export interface AgreementInput {
  layers: number[];
  a: DenseMatrix[];
  b: DenseMatrix[];
  control?: { a: DenseMatrix[]; b: DenseMatrix[] };
  /** Probe texts by row, for the influence listing (null where unknown). */
  texts?: (string | null)[];
  params: AgreementParams;
  onProgress?: (message: string) => void;
}

export interface AgreementTables {
  measures: MeasureValues[];
  rogue: RogueRow[];
  influence: InfluenceRow[];
  verdicts?: RegionVerdict[];
  concentration?: { agree: number; total: number; measures: MeasureName[]; line: string };
}

/** Each side is prepared once per measure, also when it appears in both pairs (B in (A, B) and (B′, B)). */
const prepared = new WeakMap<Representation, Map<MeasureName, Promise<unknown>>>();
function prepare(name: MeasureName, rep: Representation, o: MeasureOptions): Promise<unknown> {
  let m = prepared.get(rep);
  if (!m) prepared.set(rep, (m = new Map()));
  if (!m.has(name)) m.set(name, MEASURES[name].prepare(rep, o));
  return m.get(name)!;
}

async function scorePair(name: MeasureName, a: Representation, b: Representation, o: MeasureOptions): Promise<NullEntry> {
  const measure = MEASURES[name];
  const [sa, sb] = [await prepare(name, a, o), await prepare(name, b, o)];
  return { measure, a: sa, b: sb, observed: await measure.score(sa, sb) };
}

/**
 * d / c; null where the control divergence is rounding noise (|c| < 1e-12: e.g. CCA on fewer
 * examples than dimensions, where every canonical correlation is 1 for both pairs).
 */
const ratioOf = (d: number, c: number) => (Math.abs(c) < 1e-12 ? null : finiteOrNull(d / c));

export async function agreementTables(input: AgreementInput): Promise<AgreementTables> {
  const { params: p, layers } = input;
  const o: MeasureOptions = { knnK: p.knnK, rbfFraction: p.rbfFraction, svccaShare: p.svccaShare };
  const values = new Map<MeasureName, MeasureValues>(p.measures.map((m) => [m, { measure: m, score: [], divergence: [], ...(p.permutations ? { pValue: [] } : {}), ...(input.control ? { controlDivergence: [], ratio: [] } : {}) }]));
  const rogue: RogueRow[] = [];
  const infl: InfluenceRow[] = [];
  for (let l = 0; l < layers.length; l++) {
    const a = new Representation(input.a[l], `model A layer ${layers[l]}`);
    const b = new Representation(input.b[l], `model B layer ${layers[l]}`);
    const side = (m: DenseMatrix, what: string) => (m === input.a[l] ? a : m === input.b[l] ? b : new Representation(m, what));
    const ca = input.control && side(input.control.a[l], `control A layer ${layers[l]}`);
    const cb = input.control && side(input.control.b[l], `control B layer ${layers[l]}`); // usually B itself
    const perms = p.permutations ? randomPermutations(a.n, p.permutations, p.seed, String(layers[l])) : undefined;
    const mains: NullEntry[] = [];
    for (const name of p.measures) {
      const v = values.get(name)!;
      const main = await scorePair(name, a, b, o);
      mains.push(main);
      v.score.push(main.observed);
      v.divergence.push(MEASURES[name].divergence(main.observed));
      if (ca && cb) {
        const c = MEASURES[name].divergence((await scorePair(name, ca, cb, o)).observed);
        v.controlDivergence!.push(c);
        v.ratio!.push(ratioOf(v.divergence[l], c));
      }
    }
    if (perms) (await permutationPValues(mains, perms)).forEach((pv, k) => values.get(p.measures[k])!.pValue!.push(pv));
    // Rogue dimensions and influence are about linear CKA, the paper's measure.
    const cka = (await scorePair('cka', a, b, o)).observed;
    const r = await rogueDimensions(a, b, p.rogueK);
    const row: RogueRow = { layer: layers[l], topShareA: r.topShareA, topShareB: r.topShareB, cka, standardisedCKA: r.standardisedCKA, pcRemovedCKA: r.pcRemovedCKA };
    if (ca && cb) {
      const c = await rogueDimensions(ca, cb, p.rogueK);
      const cCka = (await scorePair('cka', ca, cb, o)).observed;
      const ratio = {
        raw: ratioOf(1 - cka, 1 - cCka),
        standardised: ratioOf(1 - r.standardisedCKA, 1 - c.standardisedCKA),
        pcRemoved: r.pcRemovedCKA === null || c.pcRemovedCKA === null ? null : ratioOf(1 - r.pcRemovedCKA, 1 - c.pcRemovedCKA),
      };
      const beyond = (x: number | null) => x !== null && x >= RATIO_THRESHOLD;
      row.ratio = ratio;
      row.flips = { standardised: beyond(ratio.raw) !== beyond(ratio.standardised), pcRemoved: ratio.pcRemoved !== null && beyond(ratio.raw) !== beyond(ratio.pcRemoved) };
    }
    rogue.push(row);
    const inf = influence((await a.gram()).data, (await b.gram()).data, a.n, p.influenceK);
    infl.push({
      layer: layers[l],
      cka: inf.cka,
      top: inf.top.map((i) => ({ index: i, text: input.texts?.[i] ?? null, influence: inf.influence[i] })),
      ckaWithoutTop: inf.ckaWithoutTop,
    });
    input.onProgress?.(`layer ${layers[l]}: ${p.measures.length} measures${perms ? `, ${perms.length} permutations` : ''} done`);
  }
  const measures = [...values.values()];
  for (const v of measures) {
    const div = regionsOf(layers, v.divergence);
    if (!div) {
      v.regions = null;
      continue;
    }
    v.regions = { divergence: div };
    if (v.controlDivergence && v.ratio) {
      v.regions.controlDivergence = regionsOf(layers, v.controlDivergence)!;
      v.regions.ratio = regionsOf(layers, v.ratio)!;
    }
  }
  return { measures, rogue, influence: infl, ...verdictsOf(measures) };
}

/**
 * Per region, how many measures put the divergence at ≥ RATIO_THRESHOLD × seed noise; and how many
 * meet the study's low-layer-concentration criterion (study/summary.ts: low ratio ≥ 2 and at least
 * twice the mid and deep ratios).
 */
export function verdictsOf(measures: MeasureValues[]): Pick<AgreementTables, 'verdicts' | 'concentration'> {
  const withRatio = measures.filter((m) => m.regions?.ratio);
  if (withRatio.length === 0) return {};
  const regionRatio = (m: MeasureValues, region: string) => m.regions!.ratio!.find((r) => r.region === region)?.mean ?? null;
  const total = withRatio.length;
  const verdicts: RegionVerdict[] = ['low', 'mid', 'deep'].map((region) => {
    const beyondNoise = withRatio.filter((m) => (regionRatio(m, region) ?? -Infinity) >= RATIO_THRESHOLD).length;
    return { region, beyondNoise, total, line: `${region} layers: ${beyondNoise} of ${total} measures put the divergence at ≥ ${RATIO_THRESHOLD}× seed noise` };
  });
  const agreeing = withRatio.filter((m) => {
    const [low, mid, deep] = ['low', 'mid', 'deep'].map((r) => regionRatio(m, r));
    const above = Math.max(mid ?? -Infinity, deep ?? -Infinity);
    return low !== null && low >= RATIO_THRESHOLD && low >= 2 * above;
  });
  const names = agreeing.map((m) => m.measure);
  return {
    verdicts,
    concentration: {
      agree: names.length,
      total,
      measures: names,
      line: `low-layer concentration: ${names.length} of ${total} measures agree${names.length ? ` (${names.map((n) => MEASURE_LABELS[n]).join(', ')})` : ''}`,
    },
  };
}
