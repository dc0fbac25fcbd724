// What a probe's single test accuracy hides: how much it would move on another draw of test data, and
// which classes it confuses. Both come from the test split's predictions, so no probe is retrained.
//
// Interval: a percentile bootstrap over the test split. The split is by word type (splits.ts), and the
// examples of one type are not independent (same word, often the same label), so whole word types are
// resampled with replacement (a cluster bootstrap) when the test split holds enough of them; with few
// types that would give a handful of distinct resamples, so examples are resampled instead and the
// report says which unit was used.
import { Rng } from '../../native-runner/util/rng';

export interface AccuracyInterval {
  lo: number;
  hi: number;
  level: number;     // coverage, e.g. 0.95
  reps: number;      // bootstrap replicates
  unit: 'word types' | 'examples'; // what was resampled
}

/** Fewest test word types for a cluster bootstrap; below this, examples are resampled. */
export const MIN_CLUSTERS = 10;

/** Type-7 quantile of sorted values. */
function quantile(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Percentile interval of the accuracy of `pred` against `gold` (test examples, in the same order;
 * `groups[i]` is example i's word type), resampling word types (or examples, with too few types).
 */
export function accuracyInterval(gold: ArrayLike<number>, pred: ArrayLike<number>, groups: readonly string[], opts: { reps?: number; level?: number; seed?: number } = {}): AccuracyInterval {
  const n = gold.length;
  if (n === 0 || pred.length !== n || groups.length !== n) throw new Error(`accuracy interval: ${n} gold, ${pred.length} predicted labels, ${groups.length} word types`);
  const reps = opts.reps ?? 1000;
  const level = opts.level ?? 0.95;
  if (!(level > 0 && level < 1)) throw new Error(`accuracy interval: level must be in (0, 1), got ${level}`);
  // Hits and counts per cluster: a resample's accuracy is Σ hits / Σ counts over the drawn clusters.
  const index = new Map<string, number>();
  const hits: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < n; i++) {
    let k = index.get(groups[i]);
    if (k === undefined) {
      k = hits.length;
      index.set(groups[i], k);
      hits.push(0);
      counts.push(0);
    }
    counts[k]++;
    if (gold[i] === pred[i]) hits[k]++;
  }
  const byType = hits.length >= MIN_CLUSTERS;
  const h = byType ? hits : Array.from({ length: n }, (_, i) => (gold[i] === pred[i] ? 1 : 0));
  const c = byType ? counts : new Array<number>(n).fill(1);
  const rng = Rng.seeded(opts.seed ?? 0, 'probe-accuracy-bootstrap');
  const acc = new Float64Array(reps);
  for (let r = 0; r < reps; r++) {
    let sh = 0;
    let sc = 0;
    for (let d = 0; d < h.length; d++) {
      const k = rng.int(h.length);
      sh += h[k];
      sc += c[k];
    }
    acc[r] = sh / sc;
  }
  acc.sort();
  return { lo: quantile(acc, (1 - level) / 2), hi: quantile(acc, 1 - (1 - level) / 2), level, reps, unit: byType ? 'word types' : 'examples' };
}

/** Confusion counts: m[gold][predicted] over the test examples. */
export function confusionMatrix(gold: ArrayLike<number>, pred: ArrayLike<number>, numClasses: number): number[][] {
  if (gold.length !== pred.length) throw new Error(`confusion matrix: ${gold.length} gold vs ${pred.length} predicted labels`);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < gold.length; i++) {
    if (!(gold[i] >= 0 && gold[i] < numClasses && pred[i] >= 0 && pred[i] < numClasses)) throw new Error(`confusion matrix: label ${gold[i]} / ${pred[i]} at ${i} outside 0..${numClasses - 1}`);
    m[gold[i]][pred[i]]++;
  }
  return m;
}
