import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../native-runner/util/rng';
import { disposeGemmSessions } from './linalg';
import { predict, trainLogReg } from './logreg';
import { accuracy, encodeLabels, macroF1, majorityBaseline, probeLayers } from './probing';
import { controlLabels, splitByGroup } from './splits';
import { clusteredExamples, gaussianMatrix } from './synthetic';

afterAll(disposeGemmSessions);

describe('split by word type and control task', () => {
  const groups = Array.from({ length: 300 }, (_, i) => `w${i % 37}`); // 37 types, 8–9 examples each

  it('never puts one word type in two splits, covers every example once, and is seeded', () => {
    const s = splitByGroup(groups, 5);
    const typesOf = (idx: number[]) => new Set(idx.map((i) => groups[i]));
    const [tr, dv, te] = [typesOf(s.train), typesOf(s.dev), typesOf(s.test)];
    for (const t of tr) expect(dv.has(t) || te.has(t)).toBe(false);
    for (const t of dv) expect(te.has(t)).toBe(false);
    expect([...s.train, ...s.dev, ...s.test].sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(s.train.length / 300).toBeGreaterThan(0.55);
    expect(s.dev.length).toBeGreaterThan(30);
    expect(s.test.length).toBeGreaterThan(30);
    expect(splitByGroup(groups, 5)).toEqual(s);
    expect(splitByGroup(groups, 6)).not.toEqual(s);
  });

  it('keeps dev and test non-empty with few types, and rejects fewer than 3 or bad fractions', () => {
    const s = splitByGroup(['a', 'a', 'a', 'a', 'b', 'c'], 1);
    expect(s.dev.length).toBeGreaterThan(0);
    expect(s.test.length).toBeGreaterThan(0);
    expect(() => splitByGroup(['a', 'b', 'a'], 1)).toThrow(/at least 3 types, got 2/);
    expect(() => splitByGroup(groups, 1, [0.5, 0.5, 0.5])).toThrow(/sum to 1/);
    expect(() => splitByGroup(['a', '', 'c'], 1)).toThrow(/example 1 has no word type/);
  });

  it('control labels are constant within a word type and drawn from the task’s labels', () => {
    const labels = groups.map((_, i) => (i % 37) % 3); // classes 0..2
    const c = controlLabels(groups, labels, 9);
    const perType = new Map<string, number>();
    groups.forEach((g, i) => {
      if (perType.has(g)) expect(c[i]).toBe(perType.get(g));
      perType.set(g, c[i]);
      expect([0, 1, 2]).toContain(c[i]);
    });
    expect(new Set(perType.values()).size).toBeGreaterThan(1);
    expect(Array.from(controlLabels(groups, labels, 9))).toEqual(Array.from(c));
  });
});

describe('metrics', () => {
  it('accuracy and macro-F1 on a hand-checked example', () => {
    const gold = [0, 0, 1, 1, 2];
    const pred = [0, 1, 1, 1, 0];
    expect(accuracy(gold, pred)).toBe(0.6);
    // class 0: tp 1, gold 2, pred 2 → 0.5; class 1: tp 2, gold 2, pred 3 → 0.8; class 2: tp 0 → 0.
    expect(macroF1(gold, pred)).toBeCloseTo((0.5 + 0.8 + 0) / 3, 15);
    expect(() => accuracy([1], [])).toThrow(/1 gold vs 0 predicted/);
  });

  it('encodes label names in sorted order', () => {
    expect(encodeLabels(['verb', 'noun', 'verb'])).toEqual({ classes: ['noun', 'verb'], y: Int32Array.from([1, 0, 1]) });
  });
});

describe('logistic-regression probe', () => {
  it('dual and primal solvers give the same probe when dimensions exceed examples', async () => {
    const d = clusteredExamples(Rng.seeded(61), { types: 30, perType: 2, classes: 3, dim: 80, separation: 3, noise: 1 });
    const y = Int32Array.from(d.labels);
    const rows = (a: number, b: number) => ({ rows: b - a, cols: 80, data: d.x.data.slice(a * 80, b * 80) });
    const train = { x: rows(0, 40), y: y.slice(0, 40) };
    const dev = { x: rows(40, 60), y: y.slice(40, 60) };
    const opts = { maxIters: 60, patience: 60 };
    const primal = await trainLogReg(train, dev, 3, { ...opts, solver: 'primal' });
    const dual = await trainLogReg(train, dev, 3, { ...opts, solver: 'dual' });
    // Same iterates; the step 1/L comes from power iterations on the two Gram sides, which agree to
    // their 1e-6 stopping tolerance, hence the tolerances here.
    expect(dual.bestIteration).toBe(primal.bestIteration);
    expect(Math.abs(dual.devLoss - primal.devLoss)).toBeLessThan(1e-7);
    const scale = Math.max(...primal.model.weights.data.map(Math.abs));
    expect(scale).toBeGreaterThan(0.05);
    for (let i = 0; i < primal.model.weights.data.length; i++) {
      expect(Math.abs(dual.model.weights.data[i] - primal.model.weights.data[i])).toBeLessThan(1e-5 * scale);
    }
    expect(Array.from(await predict(dual.model, dev.x))).toEqual(Array.from(await predict(primal.model, dev.x)));
  });

  it('reaches ≈1 on linearly separable data, chance on random labels, and selectivity has the right sign', async () => {
    const rng = Rng.seeded(62);
    const d = clusteredExamples(rng, { types: 60, perType: 4, classes: 4, dim: 40, separation: 12, noise: 1 });
    const noise = gaussianMatrix(rng, 240, 40); // a "layer" that carries no label information
    const report = await probeLayers([d.x, noise], { labels: d.labels.map((l) => `c${l}`), groups: d.groups }, { seed: 3 });
    expect(report.classes).toEqual(['c0', 'c1', 'c2', 'c3']);
    expect(report.split.train + report.split.dev + report.split.test).toBe(240);
    const [informative, uninformative] = report.layers;
    expect(informative.task.accuracy).toBeGreaterThan(0.97);
    expect(informative.task.macroF1).toBeGreaterThan(0.97);
    // Control labels are per type and test types are unseen, so the control sits at chance (≈ 1/4).
    expect(informative.control.accuracy).toBeLessThan(0.45);
    expect(informative.selectivity).toBeGreaterThan(0.5);
    expect(uninformative.task.accuracy).toBeLessThan(0.45);
    expect(Math.abs(uninformative.selectivity)).toBeLessThan(0.25);
    // Every task probe reports the test confusion matrix (its diagonal share is the accuracy) and an
    // interval around its accuracy from resampled test word types; control probes no confusion.
    for (const l of report.layers) {
      const m = l.task.confusion!;
      expect(m).toHaveLength(4);
      const total = m.flat().reduce((a, b) => a + b, 0);
      expect(total).toBe(report.split.test);
      expect(m.reduce((s, row, k) => s + row[k], 0) / total).toBeCloseTo(l.task.accuracy, 12);
      expect(l.task.ci!.unit).toBe('word types');
      expect(l.task.ci!.lo).toBeLessThanOrEqual(l.task.accuracy);
      expect(l.task.ci!.hi).toBeGreaterThanOrEqual(l.task.accuracy);
      expect(l.control.confusion).toBeUndefined();
      expect(l.control.ci).toBeDefined();
    }
    expect(uninformative.task.ci!.hi - uninformative.task.ci!.lo).toBeGreaterThan(0.05);

    // Random labels per example on the informative features: nothing to learn, accuracy at chance.
    const randomLabels = d.labels.map(() => rng.int(4));
    const shuffled = await probeLayers([d.x], { labels: randomLabels, groups: d.groups }, { seed: 3 });
    expect(shuffled.layers[0].task.accuracy).toBeLessThan(0.45);
  });

  it('rejects mismatched inputs', async () => {
    const x = gaussianMatrix(Rng.seeded(63), 10, 3);
    const task = { labels: new Array(10).fill(0).map((_, i) => i % 2), groups: Array.from({ length: 10 }, (_, i) => `t${i}`) };
    await expect(probeLayers([x], { ...task, groups: task.groups.slice(1) })).rejects.toThrow(/10 labels but 9 word types/);
    await expect(probeLayers([x, gaussianMatrix(Rng.seeded(1), 9, 3)], task)).rejects.toThrow(/layer 1 has 9 examples, the task labels 10/);
    await expect(probeLayers([x], { ...task, labels: new Array(10).fill('x') })).rejects.toThrow(/at least 2 classes, got 1/);
  });
});

describe('majorityBaseline', () => {
  it('is the test share of the training split\'s most frequent class', () => {
    const y = Int32Array.from([0, 0, 0, 1, 1, 0, 1, 1, 1, 0]);
    // train: 0,0,0,1 -> class 0; test indices 6..9 -> labels 1,1,1,0 -> 1 of 4
    expect(majorityBaseline(y, { train: [0, 1, 2, 3], test: [6, 7, 8, 9] }, ['noun', 'verb'])).toEqual({ label: 'noun', accuracy: 0.25 });
  });
});
