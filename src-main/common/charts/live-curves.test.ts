// A live training curve drawn at every size it passes through (1, 2, 3, … 400 logged steps): whole-step
// x ticks only, and the same markers at every length — the newest step of each series, never all
// points while the run is short and none once it is long.
import { DOMParser } from 'linkedom';
import { describe, expect, it } from 'vitest';
import { parseFigureSpec, renderFigure } from './index';
import { curveSpec } from './run-specs';
import { overlaySpec } from './overlay-specs';

const doc = () => new DOMParser().parseFromString('<!doctype html><html><body></body></html>', 'text/html') as unknown as Document;
const phases = [{ idx: 0, name: 'clm', objective: 'clm' as const, firstStep: 1, lastStep: 400 }];

describe('live curves', () => {
  for (const n of [1, 2, 3, 7, 39, 40, 41, 120, 400]) {
    it(`at ${n} logged steps: integer step ticks, one marker per series at the newest step`, () => {
      const steps = Array.from({ length: n }, (_, i) => i + 1);
      const spec = curveSpec({ steps, values: steps.map((s) => 2e-4 * Math.min(1, s / 10)) }, { name: 'lr', yLabel: 'LR', phases, smoothing: 0.5 })!;
      const svg = renderFigure(doc(), parseFigureSpec(spec));
      const ticks = Array.from(svg.querySelectorAll('.axis.x .tick text')).map((t) => t.textContent!);
      expect(ticks.length).toBeGreaterThan(0);
      for (const t of ticks) expect(t).toMatch(/^\d+$/);
      expect(ticks.map(Number).every((v) => v >= 1 && v <= n)).toBe(true);
      const circles = Array.from(svg.querySelectorAll('g.points circle'));
      expect(circles).toHaveLength(2); // raw and smoothed
      // every point (up to 400 a series) stays hoverable, invisibly
      expect(svg.querySelectorAll('g.hover-points circle')).toHaveLength(2 * Math.min(n, n <= 400 ? n : 400));
      const over = overlaySpec([{ name: 'a', x: steps, y: steps.map((s) => 9 / s) }, { name: 'b', x: steps, y: steps.map((s) => 8 / s) }], { metric: 'loss', xAxis: 'step' })!;
      const svg2 = renderFigure(doc(), parseFigureSpec(over));
      expect(svg2.querySelectorAll('g.points circle')).toHaveLength(2);
      for (const t of Array.from(svg2.querySelectorAll('.axis.x .tick text'))) expect(t.textContent).toMatch(/^\d+$/);
    });
  }

  it('a spec that does not choose (saved before the choice existed, per-layer charts) keeps every point up to 40', () => {
    const spec = (n: number) => parseFigureSpec({ version: 1, kind: 'lines', data: { series: [{ name: 's', x: Array.from({ length: n }, (_, i) => i), y: Array.from({ length: n }, (_, i) => i) }], xLabel: 'x', yLabel: 'y' }, options: {} });
    expect(renderFigure(doc(), spec(13)).querySelectorAll('g.points circle')).toHaveLength(13);
    const long = renderFigure(doc(), spec(300));
    expect(long.querySelectorAll('g.points circle')).toHaveLength(0);
    expect(long.querySelectorAll('g.hover-points circle')).toHaveLength(300);
  });
});
