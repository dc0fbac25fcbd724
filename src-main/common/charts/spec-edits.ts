// What the export panel lets a researcher change in a figure before it goes into a paper, applied
// to its spec: legend labels of a line chart; colour range (vmin / vmax) and printed cell values of
// a heatmap. Pure; the spec stays valid for the schema (spec.ts).
import type { FigureSpecInput } from './spec';

export interface SpecEdits {
  labels?: Record<number, string>;               // series index → legend label (blank: keep)
  vmin?: number | null;                          // heatmap colour range; null / absent: the data's
  vmax?: number | null;
  cellValues?: boolean;
}

export function applySpecEdits(spec: FigureSpecInput, e: SpecEdits): FigureSpecInput {
  if (spec.kind === 'lines') {
    const series = spec.data.series.map((s, i) => {
      const label = e.labels?.[i]?.trim();
      return label ? { ...s, name: label } : s;
    });
    return { ...spec, data: { ...spec.data, series } };
  }
  if (spec.kind === 'panels') return spec; // each panel keeps the edits made when it was exported alone
  const data = { ...spec.data };
  if (e.cellValues !== undefined) data.cellValues = e.cellValues;
  const lo = e.vmin ?? null;
  const hi = e.vmax ?? null;
  if (lo !== null && hi !== null && Number.isFinite(lo) && Number.isFinite(hi) && hi > lo) {
    data.domain = [lo, hi];
    // a fixed 0–1 scale given an explicit range becomes a range-mapped one
    if (data.scale === 'viridis01' || data.scale === undefined) data.scale = 'viridis';
  }
  return { ...spec, data };
}
