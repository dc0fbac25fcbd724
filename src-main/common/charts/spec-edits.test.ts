import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import { renderFigure } from './index';
import { applySpecEdits } from './spec-edits';
import type { FigureSpecInput } from './spec';

const doc = () => parseHTML('<!doctype html><html><body></body></html>').document as unknown as Document;
const heat: FigureSpecInput = { version: 1, kind: 'heatmap', data: { values: [[0.2, 0.4], [0.6, 0.8]], rowLabel: 'r', colLabel: 'c' }, options: { size: 'acl-full' } };
const lines: FigureSpecInput = { version: 1, kind: 'lines', data: { series: [{ name: 'run-21', x: [0, 1], y: [1, 2] }, { name: 'run-5', x: [0, 1], y: [2, 1] }], xLabel: 'x', yLabel: 'y' }, options: {} };

describe('export edits', () => {
  it('renames legend entries; a blank label keeps the run name', () => {
    const svg = renderFigure(doc(), applySpecEdits(lines, { labels: { 0: 'CLM detour', 1: ' ' } }));
    expect(Array.from(svg.querySelectorAll('.legend text')).map((t) => t.textContent)).toEqual(['CLM detour', 'run-5']);
  });

  it('sets the colour range (the bar spans vmin..vmax) and prints cell values', () => {
    const svg = renderFigure(doc(), applySpecEdits(heat, { vmin: 0.5, vmax: 0.9, cellValues: true }));
    const ticks = Array.from(svg.querySelectorAll('.colorbar .tick text')).map((t) => Number(t.textContent));
    expect(Math.min(...ticks)).toBeGreaterThanOrEqual(0.5);
    expect(Math.max(...ticks)).toBeLessThanOrEqual(0.9);
    expect(Array.from(svg.querySelectorAll('text.cell-value')).map((t) => t.textContent)).toEqual(['0.20', '0.40', '0.60', '0.80']);
    // an empty or reversed range is ignored
    expect(applySpecEdits(heat, { vmin: 0.9, vmax: 0.1 })).toEqual(heat);
  });
});
