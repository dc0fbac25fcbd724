// Heatmap (e.g. the L×L cross-layer CKA matrix): viridis fixed to [0, 1] or a diverging map centred
// on 0 (Δ between two comparisons), a colour bar, and per-cell data attributes for hover and click.
import { axisBottom, axisLeft, axisRight, format, range, scaleBand, scaleLinear } from 'd3';
import { createFrame, round, thinTicks, titleSpace } from './frame';
import { colourer, diverging, viridis01 } from './palette';
import type { HeatmapSpec } from './spec';

export function renderHeatmap(doc: Document, spec: HeatmapSpec): SVGSVGElement {
  const { data, options } = spec;
  const { svg, width, height, font } = createFrame(doc, options);
  const col = colourer(options.grayscale);
  const nRows = data.values.length;
  const nCols = Math.max(...data.values.map((r) => r.length));
  const finite = data.values.flat().filter((v): v is number => v !== null && Number.isFinite(v));
  const maxAbs = Math.max(1e-12, ...finite.map(Math.abs));
  const lo = data.domain?.[0] ?? Math.min(...finite);
  const hi = data.domain?.[1] ?? Math.max(...finite);
  const span = hi > lo ? hi - lo : 1;
  const colourOf = (v: number) => (data.scale === 'viridis01' ? viridis01(v) : data.scale === 'viridis' ? viridis01((v - lo) / span) : diverging(v, maxAbs));
  const fill = (v: number | null) => (v === null || !Number.isFinite(v) ? '#ffffff' : col(colourOf(v)));

  const top = titleSpace(options, font);
  const colTick = (i: number) => data.colTicks?.[i] ?? String(i);
  const rowTick = (i: number) => data.rowTicks?.[i] ?? String(i);
  // Row ticks may be checkpoint names, not layer numbers: make room for the longest (≈ 0.55 em a glyph
  // at the ticks' 0.85 size); layer ticks keep the standard margin.
  const rowTickW = Math.max(...range(nRows).map((i) => rowTick(i).length)) * font * 0.85 * 0.55 + font * 0.4;
  const rowLabelX = Math.max(font * 2.9, rowTickW + font * 0.9);
  const left = Math.max(font * 4.2, rowLabelX + font * 1.3);
  const bottom = font * 4;
  const barW = font * 0.9;
  const barGap = font * 0.8;
  const barAxis = font * 4.6; // tick labels + the rotated value label
  const plotW = Math.max(10, width - left - barGap - barW - barAxis);
  const plotH = Math.max(10, height - top - bottom);
  const side = Math.min(plotW, plotH);
  const w = data.square ? side : plotW;           // square cells for layer x layer maps
  const h = data.square ? side : plotH;
  const x = scaleBand<number>().domain(range(nCols)).range([0, w]).paddingInner(0);
  const y = scaleBand<number>().domain(range(nRows)).range([0, h]).paddingInner(0);

  const g = svg.append('g').attr('class', 'plot').attr('transform', `translate(${round(left)},${round(top)})`);
  const cells = g.append('g').attr('class', 'cells');
  data.values.forEach((row, i) =>
    row.forEach((v, j) => {
      cells
        .append('rect')
        .attr('class', 'cell')
        .attr('x', round(x(j)!))
        .attr('y', round(y(i)!))
        .attr('width', round(x.bandwidth()) + 0.05) // hairline overlap: no seams between cells in PDF viewers
        .attr('height', round(y.bandwidth()) + 0.05)
        .attr('fill', fill(v))
        .attr('data-row', i)
        .attr('data-col', j)
        .attr('data-value', v === null ? '' : String(v))
        .append('title')
        .text(`${data.rowLabel} ${rowTick(i)}, ${data.colLabel} ${colTick(j)}: ${v === null ? 'n/a' : format('.4f')(v)}`);
    }),
  );
  g.append('g')
    .attr('class', 'axis x')
    .attr('transform', `translate(0,${round(h)})`)
    .call(axisBottom(x).tickValues(thinTicks(range(nCols), Math.max(2, Math.floor(w / (font * 2.4))))).tickFormat((i) => colTick(i)).tickSizeOuter(0));
  g.append('g')
    .attr('class', 'axis y')
    .call(axisLeft(y).tickValues(thinTicks(range(nRows), Math.max(2, Math.floor(h / (font * 1.6))))).tickFormat((i) => rowTick(i)).tickSizeOuter(0));
  g.selectAll('.axis text').attr('font-size', font * 0.85).attr('font-family', null);
  g.append('text').attr('class', 'label x').attr('x', round(w / 2)).attr('y', round(h + font * 3.0)).attr('text-anchor', 'middle').text(data.colLabel);
  g.append('text')
    .attr('class', 'label y')
    .attr('transform', `translate(${round(-rowLabelX)},${round(h / 2)}) rotate(-90)`)
    .attr('text-anchor', 'middle')
    .text(data.rowLabel);

  // Colour bar: 64 stacked rects (no gradients: they render identically in SVG, PNG and PDF).
  const domain: [number, number] = data.scale === 'viridis01' ? [0, 1] : data.scale === 'viridis' ? [lo, hi > lo ? hi : lo + 1] : [-maxAbs, maxAbs];
  const bar = g.append('g').attr('class', 'colorbar').attr('transform', `translate(${round(w + barGap)},0)`);
  const yb = scaleLinear().domain(domain).range([h, 0]);
  const steps = 64;
  for (let s = 0; s < steps; s++) {
    const v0 = domain[0] + ((domain[1] - domain[0]) * s) / steps;
    const v1 = domain[0] + ((domain[1] - domain[0]) * (s + 1)) / steps;
    bar.append('rect').attr('x', 0).attr('width', round(barW)).attr('y', round(yb(v1))).attr('height', round(yb(v0) - yb(v1)) + 0.05).attr('fill', fill((v0 + v1) / 2));
  }
  bar.append('rect').attr('width', round(barW)).attr('height', round(h)).attr('fill', 'none').attr('stroke', 'black').attr('stroke-width', 0.4);
  bar.append('g').attr('class', 'axis bar').attr('transform', `translate(${round(barW)},0)`).call(axisRight(yb).ticks(5).tickSizeOuter(0));
  bar.selectAll('.axis text').attr('font-size', font * 0.85).attr('font-family', null);
  bar.append('text')
    .attr('transform', `translate(${round(barW + font * 3.4)},${round(h / 2)}) rotate(90)`)
    .attr('text-anchor', 'middle')
    .text(data.valueLabel);
  svg.selectAll('.axis').attr('font-family', null).attr('font-size', null);
  svg.selectAll('.axis path, .axis line').attr('stroke-width', 0.6);
  void height;
  return svg.node()!;
}
