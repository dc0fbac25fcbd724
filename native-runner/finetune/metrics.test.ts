// Metrics on cases with published answers: sklearn's f1_score docstring example, seqeval's README
// example (F1 0.50, per-type MISC 0 / PER 1), and conlleval's chunking rules.
import { describe, expect, it } from 'vitest';
import { chunks, entityScores, multiLabelScores, singleLabelScores } from './metrics';

describe('classification metrics', () => {
  it('sklearn f1_score docstring: y_true [0,1,2,0,1,2], y_pred [0,2,1,0,0,1] → macro 0.2667, micro 0.3333', () => {
    const s = singleLabelScores([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1]);
    expect(s.macroF1).toBeCloseTo(0.26666666666666666, 12);
    expect(s.microF1).toBeCloseTo(1 / 3, 12);
    expect(s.accuracy).toBeCloseTo(1 / 3, 12);
  });
  it('multilabel: micro pools decisions, macro averages classes, accuracy is exact-set', () => {
    const g = [[1, 0, 1], [0, 1, 0], [1, 1, 0]].map((r) => Uint8Array.from(r));
    const p = [[1, 0, 0], [0, 1, 0], [1, 0, 1]].map((r) => Uint8Array.from(r));
    const s = multiLabelScores(g, p);
    // class 0: tp 2; class 1: tp 1, fn 1; class 2: fn 1, fp 1
    expect(s.microF1).toBeCloseTo((2 * 3) / (2 * 3 + 1 + 2), 12);
    expect(s.macroF1).toBeCloseTo((1 + 2 / 3 + 0) / 3, 12);
    expect(s.accuracy).toBeCloseTo(1 / 3, 12);
  });
});

describe('entity F1 (seqeval default mode)', () => {
  it("seqeval README: F1 0.50; per type MISC 0, PER 1 (macro 0.5)", () => {
    const yTrue = [['O', 'O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'O'], ['B-PER', 'I-PER', 'O']];
    const yPred = [['O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'I-MISC', 'O'], ['B-PER', 'I-PER', 'O']];
    const s = entityScores(yTrue, yPred);
    expect(s.entityF1).toBeCloseTo(0.5, 12);
    expect(s.precision).toBeCloseTo(0.5, 12);
    expect(s.recall).toBeCloseTo(0.5, 12);
    expect(s.macroF1).toBeCloseTo(0.5, 12);
  });
  it('conlleval chunking: I- after O starts a chunk, a type change splits, B- after B- splits', () => {
    expect(chunks(['I-PER', 'I-PER', 'O'])).toEqual([{ type: 'PER', start: 0, end: 1 }]);
    expect(chunks(['B-PER', 'I-LOC'])).toEqual([{ type: 'PER', start: 0, end: 0 }, { type: 'LOC', start: 1, end: 1 }]);
    expect(chunks(['B-PER', 'B-PER', 'I-PER'])).toEqual([{ type: 'PER', start: 0, end: 0 }, { type: 'PER', start: 1, end: 2 }]);
    expect(chunks(['O', 'O'])).toEqual([]);
  });
  it('a boundary error costs both precision and recall; all O predicted scores 0', () => {
    expect(entityScores([['B-X', 'I-X', 'O']], [['B-X', 'O', 'O']]).entityF1).toBe(0);
    expect(entityScores([['B-X', 'O']], [['O', 'O']]).entityF1).toBe(0);
    expect(entityScores([['B-X', 'O']], [['B-X', 'O']]).entityF1).toBe(1);
  });
});
