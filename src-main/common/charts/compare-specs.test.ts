import { describe, expect, it } from 'vitest';
import { parseFigureSpec } from './index';
import { confusionSpec, crossHeatmapSpec, deltaHeatmapSpec, divergenceSpec, hiddenLabel, layerRegions, probeHeatmapSpec, probeSpec, ratioSpec } from './compare-specs';
import type { CompareResult, ProbeResult } from '../analysis-types';

const info = (id: number) => ({ checkpointId: id, path: `/m${id}`, sha256: 'x', runId: null, step: null, phase: null });
const result = (cka: number[], control?: number[]): CompareResult => ({
  a: info(1), b: info(2), probeSet: { id: 1, name: 'p', sha256: 's' }, pooling: 'mean', examples: 10, measure: 'linear',
  layers: cka.map((_, i) => i), cka, divergence: cka.map((c) => 1 - c),
  ...(control ? { controlDivergence: control, ratio: cka.map((c, i) => (control[i] ? (1 - c) / control[i] : null)) } : {}),
  regions: null,
  cross: { rows: cka.map((_, i) => i), cols: cka.map((_, i) => i), cka: cka.map((c, i) => cka.map((_, j) => (i === j ? c : c / 2))) },
  cached: { sameLayer: false },
});

describe('compare specs', () => {
  it('labels hidden states and shades the paper groups for the depth', () => {
    expect([0, 1, 23].map(hiddenLabel)).toEqual(['emb', '0', '22']);
    expect(layerRegions(22)).toEqual([{ name: 'low', from: 0, to: 7 }, { name: 'mid', from: 8, to: 14 }, { name: 'deep', from: 15, to: 21 }]);
    expect(layerRegions(12)).toEqual([{ name: 'low', from: 0, to: 3 }, { name: 'mid', from: 4, to: 7 }, { name: 'deep', from: 8, to: 11 }]);
  });

  it('builds valid heatmaps, with Δ only for matching layer lists', () => {
    const r = result([1, 0.9, 0.8, 0.5]);
    const h = parseFigureSpec(crossHeatmapSpec(r)!);
    expect(h.kind === 'heatmap' && h.data.rowTicks).toEqual(['emb', '0', '1', '2']);
    const d = parseFigureSpec(deltaHeatmapSpec(result([1, 0.8, 0.8, 0.4]), r)!);
    expect(d.kind === 'heatmap' && d.data.values[1][1]).toBeCloseTo(-0.1, 12);
    expect(deltaHeatmapSpec(result([1, 0.8]), r)).toBeNull();
  });

  it('plots divergence of transformer layers with the control band, freeze masks and ratios', () => {
    const r = result([1, 0.9, 0.8, 0.5], [0, 0.05, 0.1, 0.25]);
    const s = parseFigureSpec(divergenceSpec(r, { frozen: [{ name: 'A: clm', layers: [0, 1] }, { name: 'none', layers: [] }] }));
    if (s.kind !== 'lines') throw new Error('lines expected');
    expect(s.data.series[0].x).toEqual([0, 1, 2]);
    expect(s.data.series[0].y.map((v) => Number(v!.toFixed(6)))).toEqual([0.1, 0.2, 0.5]);
    expect(s.data.series[1].name).toMatch(/seed noise/);
    expect(s.data.frozen).toEqual([{ name: 'A: clm', layers: [0, 1] }]);
    const q = parseFigureSpec(ratioSpec(r)!);
    expect(q.kind === 'lines' && q.data.series[0].y.map((v) => Number(v!.toFixed(6)))).toEqual([2, 2, 2]);
  });

  it('builds a checkpoint × layer probing heatmap, and none when the layer lists differ', () => {
    const metrics = (accuracy: number) => ({ accuracy, macroF1: accuracy, iterations: 10, bestIteration: 10 });
    const probe = (layers: number[], acc: number[]): ProbeResult => ({
      model: info(1), probeSet: { id: 1, name: 'p', sha256: 's' }, pooling: 'mean', layers,
      tasks: [{ labelSet: 'supersense', examples: 40, cached: false,
        report: { classes: ['a', 'b'], split: { train: 20, dev: 10, test: 10 }, layers: layers.map((layer, i) => ({ layer, task: metrics(acc[i]), control: metrics(0.5), selectivity: acc[i] - 0.5 })) } }],
    });
    const two = [{ name: 'base', result: probe([0, 1, 2], [0.6, 0.7, 0.65]) }, { name: 'clm', result: probe([0, 1, 2], [0.62, 0.75, 0.7]) }];
    const h = parseFigureSpec(probeHeatmapSpec(two, 'supersense', 'accuracy')!);
    expect(h.kind).toBe('heatmap');
    if (h.kind !== 'heatmap') return;
    expect(h.data.values).toEqual([[0.6, 0.7, 0.65], [0.62, 0.75, 0.7]]);
    expect(h.data.rowTicks).toEqual(['base', 'clm']);
    expect(h.data.colTicks).toEqual(['emb', '0', '1']);
    expect(h.data.square).toBe(false);
    const sel = parseFigureSpec(probeHeatmapSpec(two, 'supersense', 'selectivity')!);
    expect(sel.kind === 'heatmap' && sel.data.values[1][1]).toBeCloseTo(0.25, 12);
    expect(probeHeatmapSpec(two, 'pos', 'accuracy')).toBeNull();
    expect(probeHeatmapSpec([two[0], { name: 'x', result: probe([0, 2], [0.5, 0.5]) }], 'supersense', 'accuracy')).toBeNull();
  });

  it('draws each probe accuracy with its bootstrap band and a legend entry for the band', () => {
    const ci = { lo: 0.5, hi: 0.8, level: 0.95, reps: 1000, unit: 'word types' as const };
    const m = (accuracy: number) => ({ accuracy, macroF1: accuracy, iterations: 1, bestIteration: 1, ci });
    const r: ProbeResult = {
      model: info(1), probeSet: { id: 1, name: 'p', sha256: 's' }, pooling: 'mean', layers: [0, 1, 2],
      tasks: [{ labelSet: 'pos', examples: 40, cached: false, report: { classes: ['a', 'b'], split: { train: 20, dev: 10, test: 10 }, layers: [0, 1, 2].map((layer) => ({ layer, task: m(0.7), control: m(0.5), selectivity: 0.2 })) } }],
    };
    const s = parseFigureSpec(probeSpec([{ name: 'clm@28', result: r }], 'pos', 'accuracy')!);
    if (s.kind !== 'lines') throw new Error('lines expected');
    expect(s.data.series[0]).toMatchObject({ x: [0, 1], lower: [0.5, 0.5], upper: [0.8, 0.8], bandLabel: 'clm@28: 95% CI' });
    // selectivity has no interval of its own
    const sel = parseFigureSpec(probeSpec([{ name: 'clm@28', result: r }], 'pos', 'selectivity')!);
    expect(sel.kind === 'lines' && sel.data.series[0].lower).toBeUndefined();
  });

  it('builds a row-normalised confusion matrix, pooling rare classes as "other"', () => {
    const m = (accuracy: number, confusion?: number[][]) => ({ accuracy, macroF1: accuracy, iterations: 1, bestIteration: 1, confusion });
    // gold counts: a 6, b 3, c 1, d 0 (never predicted either)
    const confusion = [[5, 1, 0, 0], [1, 2, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]];
    const r: ProbeResult = {
      model: info(1), probeSet: { id: 1, name: 'p', sha256: 's' }, pooling: 'mean', layers: [0, 1],
      tasks: [{ labelSet: 'pos', examples: 40, cached: false, report: { classes: ['a', 'b', 'c', 'd'], split: { train: 20, dev: 10, test: 10 }, layers: [
        { layer: 0, task: m(0.5), control: m(0.5), selectivity: 0 }, { layer: 1, task: m(0.7, confusion), control: m(0.5), selectivity: 0.2 }] } }],
    };
    const all = parseFigureSpec(confusionSpec(r, 'pos', 1)!);
    if (all.kind !== 'heatmap') throw new Error('heatmap expected');
    expect(all.data.rowTicks).toEqual(['a', 'b', 'c']);
    expect(all.data.values[0].map((v) => Number(v!.toFixed(6)))).toEqual([0.833333, 0.166667, 0]);
    expect(all.data.values[2]).toEqual([0, 1, 0]);
    expect(all.data.colLabel).toBe('predicted class (pos, layer 0)');
    const two = parseFigureSpec(confusionSpec(r, 'pos', 1, 1)!);
    expect(two.kind === 'heatmap' && two.data.colTicks).toEqual(['a', 'other (2)']);
    expect(two.kind === 'heatmap' && two.data.values[1].map((v) => Number(v!.toFixed(6)))).toEqual([0.25, 0.75]);
    expect(confusionSpec(r, 'pos', 0)).toBeNull(); // no matrix kept for that layer
    expect(confusionSpec(r, 'supersense', 1)).toBeNull();
  });
});
