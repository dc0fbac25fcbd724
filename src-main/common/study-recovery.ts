// How the study states a transplant's "recovery of the gap" (transplant − MLM) / (CLM − MLM). A ratio
// of an effect that is not there is noise: with CLM below MLM, or the gap inside the score noise, a
// recovery of 167% means nothing, so it is said in words instead. Pure; the UI and the report share it.
import type { StudyScoreRow } from './study-types';

function sd(xs: number[]): number {
  if (xs.length < 2) return 0;
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

/** The study's noise level for probe scores: twice the largest SD over probe splits of any condition. */
export function scoreNoise(rows: StudyScoreRow[]): number {
  const sds = rows.filter((x) => x.key !== 'base').map((x) => sd(x.scores));
  return sds.length ? 2 * Math.max(...sds) : 0;
}

export function recoveryLabel(recovery: number | null, gap: number, noise: number): string {
  if (!(gap > 0)) return 'no effect to recover (CLM ≤ MLM)';
  if (gap <= noise) return 'no effect to recover (CLM − MLM within noise)';
  return recovery === null ? 'n/a' : `${(100 * recovery).toFixed(0)}%`;
}
