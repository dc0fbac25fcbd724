// The study's headline: tables for the UI and the report, and one honest sentence on whether the
// paper's low-layer effect shows at this scale (the thresholds are stated in the sentence).
import type { StudyFigure, StudySummary } from '../common/study-types';
import { SCORE_LABEL_SET, type StudyResults } from './analyses';
import { scoreNoise } from '../common/study-recovery';

const pp = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} pp`);
const times = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : `${x.toFixed(2)}×`);

/**
 * The paper's pattern, in two parts. Representational: the low layers' CLM-vs-MLM divergence is many
 * times the seed noise (5–44×) while mid and deep layers sit near 1× — the difference is CONCENTRATED
 * in the low layers. We say it appears when the low region's ratio is ≥ 2 and at least twice the mid
 * and deep ratios; partly when the low ratio is ≥ 2 and the highest but not twice the others (CLM then
 * changes every depth beyond seed noise); not at all otherwise. Downstream: CLM beats MLM, freezing
 * the low layers during CLM removes the gain and freezing the mid layers keeps it; a difference counts
 * only when it exceeds twice the largest standard deviation of the scores over probe splits.
 */
export function lowLayerEffect(r: StudyResults): string {
  const reg = (name: string) => r.regions.find((g) => g.region === name)?.ratio ?? null;
  const [low, mid, deep] = [reg('low'), reg('mid'), reg('deep')];
  const above = Math.max(mid ?? Infinity, deep ?? Infinity);
  const verdict = low === null || low < 2 || low <= above ? 'does NOT appear' : low >= 2 * above ? 'APPEARS' : 'appears only PARTLY (the low layers have the highest ratio, but every depth is far beyond seed noise rather than the change being concentrated in the low layers)';
  const rows = r.scores[SCORE_LABEL_SET];
  const row = (k: string) => rows.find((x) => x.key === k);
  const noise = scoreNoise(rows);
  const gain = row('clm')?.deltaVsMlm ?? null;
  const gainReal = gain !== null && gain > noise;
  const lowKills = gainReal && (row('clm-freeze-low')?.deltaVsMlm ?? 0) < gain - noise;
  const midKeeps = gainReal && (row('clm-freeze-mid')?.deltaVsMlm ?? -Infinity) > gain - noise;
  return [
    `Representationally, the low-layer divergence of the CLM detour from MLM is ${times(low)} the seed noise (mid ${times(mid)}, deep ${times(deep)}; the paper: 5–44× in the low layers, ≈1.1× above), so the paper's low-layer concentration ${verdict} at this scale (criterion: low ratio ≥ 2 and at least twice the mid and deep ratios).`,
    ...(r.finetune ? [r.finetune.sentence] : []),
    `With the cheaper probe score (${SCORE_LABEL_SET} probe accuracy on frozen states), the CLM detour is ${pp(gain)} vs MLM (noise level: twice the largest probe-split SD, ${pp(noise)}); ${gainReal ? `low frozen during CLM ${pp(row('clm-freeze-low')?.deltaVsMlm)} (${lowKills ? 'the gain disappears, as in the paper' : 'the gain stays, unlike the paper'}), mid frozen ${pp(row('clm-freeze-mid')?.deltaVsMlm)} (${midKeeps ? 'kept, as in the paper' : 'lost, unlike the paper'})` : 'within that noise, so there is no measurable downstream gain to attribute to the low layers at this scale'}.`,
  ].join(' ');
}

export function studySummary(r: StudyResults, figures: StudyFigure[]): StudySummary {
  return {
    layers: r.layers,
    scoreTask: `${SCORE_LABEL_SET} probe accuracy, last layer (mean over ${r.scores[SCORE_LABEL_SET][0]?.scores.length ?? 0} splits)`,
    regions: r.regions,
    scores: r.scores[SCORE_LABEL_SET],
    transplant: { mlm: r.transplant.mlm, clm: r.transplant.clm, rows: r.transplant.rows },
    lowLayerEffect: lowLayerEffect(r),
    figures,
    finetune: r.finetune,
  };
}

export { pp, times };
