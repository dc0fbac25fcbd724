// Paired comparison of two fine-tuning results on the same task and test split: the paired bootstrap
// across seeds and test examples (stats.ts) on any of the task's metrics, recomputed per resample.
import { entityScores, multiLabelScores, singleLabelScores, type Scores } from './metrics';
import type { FinetuneResults } from './results';
import { pairedBootstrap, type PairedBootstrapOptions, type PairedTest } from './stats';
import type { Predictions } from './finetune';

/** The metric of one seed's predictions on resampled test indices, given the gold answers. */
export function resampledMetric(kind: FinetuneResults['task']['kind'], gold: Predictions, metric: keyof Scores) {
  return (pred: Predictions, idx: Int32Array): number => {
    const pick = <T>(xs: readonly T[]) => Array.from(idx, (i) => xs[i]);
    const s = kind === 'single' ? singleLabelScores(pick(gold as number[]), pick(pred as number[]))
      : kind === 'multi' ? multiLabelScores(pick(gold as Uint8Array[]), pick(pred as Uint8Array[]))
        : entityScores(pick(gold as string[][]), pick(pred as string[][]));
    const v = s[metric];
    if (v === undefined) throw new Error(`metric ${metric} does not apply to ${kind} tasks`);
    return v;
  };
}

export function checkComparable(a: FinetuneResults, b: FinetuneResults): void {
  const why: string[] = [];
  if (a.task.name !== b.task.name) why.push(`tasks differ (${a.task.name} vs ${b.task.name})`);
  if (a.task.sizes.test !== b.task.sizes.test) why.push(`test sizes differ (${a.task.sizes.test} vs ${b.task.sizes.test})`);
  if (a.task.labels.join('\u0000') !== b.task.labels.join('\u0000')) why.push('label sets differ');
  if (JSON.stringify(a.gold, (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v)) !== JSON.stringify(b.gold, (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v))) why.push('test gold answers differ (not the same test split)');
  if (a.seeds.length !== b.seeds.length) why.push(`seed counts differ (${a.seeds.length} vs ${b.seeds.length})`);
  else if (a.seeds.some((s, i) => s.seed !== b.seeds[i].seed)) why.push('seeds differ (a paired test pairs seed i with seed i)');
  if (why.length) throw new Error(`not comparable: ${why.join('; ')}`);
}

export function compareResults(a: FinetuneResults, b: FinetuneResults, metric: keyof Scores = a.primary, o: PairedBootstrapOptions = {}): PairedTest & { metric: keyof Scores } {
  checkComparable(a, b);
  const n = a.task.sizes.test;
  return { ...pairedBootstrap(a.predictions, b.predictions, n, resampledMetric(a.task.kind, a.gold, metric), o), metric };
}
