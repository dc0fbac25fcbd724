// Probe accuracies that say nothing: at or below the majority-class baseline (always answering the
// most frequent class), e.g. 0.97 on POS labels that are 97% nouns. Pure.
import type { ProbeResult } from '../../../src-main/common/analysis-types';

/** Within this of the baseline an accuracy is read as equal to it. */
const SAME = 0.005;

export function majorityWarnings(results: { name: string; result: ProbeResult }[], labelSet: string): string[] {
  return results.flatMap(({ name, result }) => {
    const task = result.tasks.find((t) => t.labelSet === labelSet);
    const m = task?.report.majority;
    if (!task || !m) return [];
    const best = Math.max(...task.report.layers.map((l) => l.task.accuracy));
    if (best > m.accuracy + SAME) return [];
    return [`${name}: the best layer's accuracy (${(100 * best).toFixed(1)}%) is no better than always answering “${m.label}” (${(100 * m.accuracy).toFixed(1)}% of the test split): this probe has learned nothing beyond the class prior.`];
  });
}
