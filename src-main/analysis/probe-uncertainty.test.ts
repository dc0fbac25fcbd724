import { describe, expect, it } from 'vitest';
import { MIN_CLUSTERS, accuracyInterval, confusionMatrix } from './probe-uncertainty';

describe('accuracy interval', () => {
  // 40 word types × 5 examples; the probe is right on 30 whole types and wrong on 10: accuracy 0.75.
  const groups = Array.from({ length: 200 }, (_, i) => `w${Math.floor(i / 5)}`);
  const gold = new Int32Array(200);
  const pred = Int32Array.from(groups, (g) => (Number(g.slice(1)) % 4 === 0 ? 1 : 0));

  it('brackets the accuracy, resamples word types, and is seeded', () => {
    const ci = accuracyInterval(gold, pred, groups, { reps: 2000 });
    expect(ci.unit).toBe('word types');
    expect(ci.lo).toBeLessThan(0.75);
    expect(ci.hi).toBeGreaterThan(0.75);
    // Binomial over 40 independent types: sd = sqrt(0.75·0.25/40) ≈ 0.068, so the 95% interval is about ±0.13.
    expect(ci.hi - ci.lo).toBeGreaterThan(0.2);
    expect(ci.hi - ci.lo).toBeLessThan(0.34);
    expect(accuracyInterval(gold, pred, groups, { reps: 2000 })).toEqual(ci);
  });

  it('is wider resampling correlated types than pretending the 200 examples are independent', () => {
    const byType = accuracyInterval(gold, pred, groups, { reps: 2000 });
    const byExample = accuracyInterval(gold, pred, groups.map((_, i) => `e${i}`), { reps: 2000 });
    expect(byExample.unit).toBe('word types'); // 200 singleton types: the same as resampling examples
    expect(byType.hi - byType.lo).toBeGreaterThan(1.5 * (byExample.hi - byExample.lo));
  });

  it('resamples examples when the test split has fewer than MIN_CLUSTERS word types', () => {
    const few = Array.from({ length: 20 }, (_, i) => `w${i % (MIN_CLUSTERS - 1)}`);
    const ci = accuracyInterval(new Int32Array(20), Int32Array.from({ length: 20 }, (_, i) => (i < 15 ? 0 : 1)), few);
    expect(ci.unit).toBe('examples');
    expect(ci.lo).toBeLessThan(0.75);
    expect(ci.hi).toBeGreaterThan(0.75);
  });

  it('refuses empty or mismatched input and a bad level', () => {
    expect(() => accuracyInterval([], [], [])).toThrow(/0 gold/);
    expect(() => accuracyInterval([0, 1], [0], ['a', 'b'])).toThrow(/2 gold, 1 predicted/);
    expect(() => accuracyInterval([0], [0], ['a'], { level: 1.5 })).toThrow(/level/);
  });
});

describe('confusion matrix', () => {
  it('counts gold × predicted, rows summing to each class\'s test count', () => {
    const m = confusionMatrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 3);
    expect(m).toEqual([[1, 1, 0], [0, 1, 0], [1, 0, 2]]);
    expect(() => confusionMatrix([0, 3], [0, 0], 3)).toThrow(/outside 0..2/);
  });
});
