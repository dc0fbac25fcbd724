// Heatmap (e.g. the L×L cross-layer CKA matrix, checkpoint × layer probe accuracy): viridis fixed to
// [0, 1], over a domain (vmin/vmax) or the data's range, or a diverging map centred on 0 (Δ between
// two comparisons); a colour bar, optional cell values, and per-cell data attributes for hover and
// click. Margins come from the measured width of every label (text-measure.ts), so tick labels,
// axis titles and the colour bar's title stay inside the figure and off each other.
import { axisBottom, axisLeft, axisRight, format, range, scaleBand, scaleLinear } from 'd3';
import { valueDomain } from './axis-domain';
import { createFrame, round, smallerFont, thinTicks, titleSpace } from './frame';
import { colourer, diverging, viridis01 } from './palette';
import type { HeatmapSpec } from './spec';
import { fitText, lineHeight, textWidth } from './text-measure';

/** d3 axes: 6 pt tick line + 3 pt padding before the label. */
const TICK_OFFSET = 9;
const EDGE = 2;

export function renderHeatmap(doc: Document, spec: HeatmapSpec): SVGSVGElement {
  const { data, options } = spec;
  const { svg, width, height, font } = createFrame(doc, options);
  const tickFont = smallerFont(font, 0.85);
  const col = colourer(options.grayscale);
  const nRows = data.values.length;
  const nCols = Math.max(...data.values.map((r) => r.length));
  const finite = data.values.flat().filter((v): v is number => v !== null && Number.isFinite(v));
  const maxAbs = Math.max(1e-12, ...finite.map(Math.abs));
  // The colour range: vmin/vmax when given; else the data's, padded relative to it when constant and
  // kept inside the quantity's bounds (an accuracy of 1.0 everywhere is 0.95…1, not 1.0…1.8).
  const domain: [number, number] =
    data.scale === 'viridis01' ? [0, 1]
    : data.scale === 'diverging' ? (data.domain ? [-Math.max(...data.domain.map(Math.abs)), Math.max(...data.domain.map(Math.abs))] : [-maxAbs, maxAbs])
    : data.domain ?? valueDomain(Math.min(...finite), Math.max(...finite), { bounds: data.bounds });
  const span = domain[1] - domain[0] || 1;
  const colourOf = (v: number) =>
    data.scale === 'diverging' ? diverging(Math.max(domain[0], Math.min(domain[1], v)), domain[1])
    : viridis01(Math.max(0, Math.min(1, (v - domain[0]) / span)));
  const fill = (v: number | null) => (v === null || !Number.isFinite(v) ? '#ffffff' : col(colourOf(v)));

  const colTick = (i: number) => data.colTicks?.[i] ?? String(i);
  // Row ticks may be long checkpoint names: at most 30% of the width, shortened in the middle.
  const rowTickFull = (i: number) => data.rowTicks?.[i] ?? String(i);
  const rowTicks = range(nRows).map((i) => fitText(rowTickFull(i), tickFont, width * 0.3));
  const lh = lineHeight(font);
  const tickLh = lineHeight(tickFont);

  // Colour bar: its tick labels and its title decide the right margin.
  const yb0 = scaleLinear().domain(domain);
  const barTicks = yb0.ticks(5);
  const barFmt = yb0.tickFormat(5);
  const barTickW = Math.max(0, ...barTicks.map((t) => textWidth(barFmt(t), tickFont)));
  const barW = font * 0.9;
  const barGap = font * 0.8;
  const valueLabelW = textWidth(data.valueLabel, font);

  const rowTickW = Math.max(...rowTicks.map((t) => textWidth(t, tickFont)));
  const left = EDGE + lh + font * 0.3 + rowTickW + TICK_OFFSET;
  // Column ticks run across the axis, thinned to what fits (layer numbers); where every column must keep
  // its name (class names of a confusion matrix: `uprightColTicks`) and the widest does not fit its
  // column, they stand upright, shortened to at most 30% of the figure's height.
  const colTickUpright = range(nCols).map((i) => fitText(colTick(i), tickFont, height * 0.3));
  const colTickW = Math.max(...range(nCols).map((i) => textWidth(colTick(i), tickFont)));
  const uprightW = Math.max(...colTickUpright.map((t) => textWidth(t, tickFont)));
  const layout = (barTitleRotated: boolean, colsUpright: boolean) => {
    // + half a tick line: the colour bar's top label is centred on the plot's top edge
    const top = titleSpace(options, font) + (barTitleRotated ? 0 : lh + font * 0.3) + tickLh / 2;
    const bottom = TICK_OFFSET + (colsUpright ? uprightW : tickLh) + font * 0.3 + lh + EDGE;
    const right = barGap + barW + TICK_OFFSET + barTickW + (barTitleRotated ? font * 0.4 + lh : 0) + EDGE;
    const plotW = Math.max(10, width - left - right);
    const plotH = Math.max(10, height - top - bottom);
    const side = Math.min(plotW, plotH);
    return { top, bottom, w: data.square ? side : plotW, h: data.square ? side : plotH, colsUpright };
  };
  const colsFit = (l: { w: number }) => nCols === 1 || colTickW + font * 0.5 <= l.w / nCols;
  // The bar's title runs along the bar when the bar is long enough, else it sits above the bar.
  let rotated = true;
  let L = layout(true, false);
  if (data.uprightColTicks && !colsFit(L)) L = layout(true, true);
  if (valueLabelW > L.h) {
    rotated = false;
    L = layout(false, L.colsUpright);
  }
  const { top, w, h, colsUpright } = L;
  const x = scaleBand<number>().domain(range(nCols)).range([0, w]).paddingInner(0);
  const y = scaleBand<number>().domain(range(nRows)).range([0, h]).paddingInner(0);

  const g = svg.append('g').attr('class', 'plot').attr('transform', `translate(${round(left)},${round(top)})`);
  const cells = g.append('g').attr('class', 'cells');
  const valueFmt = format('.2f');
  const showValues = data.cellValues && x.bandwidth() >= textWidth('−0.00', tickFont) + 2 && y.bandwidth() >= tickLh;
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
        .text(`${data.rowLabel} ${rowTickFull(i)}, ${data.colLabel} ${colTick(j)}: ${v === null ? 'n/a' : format('.4f')(v)}`);
      if (showValues && v !== null && Number.isFinite(v)) {
        const dark = data.scale === 'diverging' ? Math.abs(v) / (domain[1] || 1) > 0.6 : (v - domain[0]) / span < 0.55;
        cells.append('text').attr('class', 'cell-value').attr('x', round(x(j)! + x.bandwidth() / 2)).attr('y', round(y(i)! + y.bandwidth() / 2 + tickFont * 0.35))
          .attr('text-anchor', 'middle').attr('font-size', tickFont).attr('fill', dark ? '#ffffff' : '#000000').text(valueFmt(v).replace('-', '−'));
      }
    }),
  );
  // Thin the ticks to what fits: the widest label plus half an em between neighbours (upright: a line
  // of text plus a little air).
  const xCount = Math.max(1, Math.floor(w / (colsUpright ? tickLh + 1 : colTickW + font * 0.5)));
  const yCount = Math.max(1, Math.floor(h / (tickLh + 1)));
  const xAxisG = g.append('g')
    .attr('class', 'axis x')
    .attr('transform', `translate(0,${round(h)})`)
    .call(axisBottom(x).tickValues(thinTicks(range(nCols), xCount)).tickFormat((i) => (colsUpright ? colTickUpright[i] : colTick(i))).tickSizeOuter(0));
  if (colsUpright) {
    xAxisG.selectAll('.tick text').attr('transform', 'rotate(-90)').attr('text-anchor', 'end').attr('x', -TICK_OFFSET).attr('y', 0).attr('dy', '0.32em');
  }
  g.append('g')
    .attr('class', 'axis y')
    .call(axisLeft(y).tickValues(thinTicks(range(nRows), yCount)).tickFormat((i) => rowTicks[i]).tickSizeOuter(0));
  g.selectAll('.axis text').attr('font-size', tickFont).attr('font-family', null);
  g.append('text').attr('class', 'label x').attr('x', round(w / 2)).attr('y', round(h + TICK_OFFSET + (colsUpright ? uprightW : tickLh) + font * 0.3 + font * 0.9)).attr('text-anchor', 'middle')
    .text(fitText(data.colLabel, font, Math.min(width - EDGE * 2, w + left)));
  g.append('text')
    .attr('class', 'label y')
    .attr('transform', `translate(${round(-(left - EDGE - font * 0.85))},${round(h / 2)}) rotate(-90)`)
    .attr('text-anchor', 'middle')
    .text(fitText(data.rowLabel, font, h));

  // Colour bar: 64 stacked rects (no gradients: they render identically in SVG, PNG and PDF).
  const bar = g.append('g').attr('class', 'colorbar').attr('transform', `translate(${round(w + barGap)},0)`);
  const yb = scaleLinear().domain(domain).range([h, 0]);
  const steps = 64;
  for (let s = 0; s < steps; s++) {
    const v0 = domain[0] + ((domain[1] - domain[0]) * s) / steps;
    const v1 = domain[0] + ((domain[1] - domain[0]) * (s + 1)) / steps;
    bar.append('rect').attr('x', 0).attr('width', round(barW)).attr('y', round(yb(v1))).attr('height', round(yb(v0) - yb(v1)) + 0.05).attr('fill', fill((v0 + v1) / 2));
  }
  bar.append('rect').attr('width', round(barW)).attr('height', round(h)).attr('fill', 'none').attr('stroke', 'black').attr('stroke-width', 0.4);
  bar.append('g').attr('class', 'axis bar').attr('transform', `translate(${round(barW)},0)`)
    .call(axisRight(yb).tickValues(barTicks).tickFormat((t) => barFmt(t)).tickSizeOuter(0));
  bar.selectAll('.axis text').attr('font-size', tickFont).attr('font-family', null);
  if (rotated) {
    bar.append('text').attr('class', 'label bar')
      .attr('transform', `translate(${round(barW + TICK_OFFSET + barTickW + font * 0.4 + font * 0.2)},${round(h / 2)}) rotate(90)`)
      .attr('text-anchor', 'middle')
      .text(data.valueLabel);
  } else {
    // Above the bar, right-aligned to the figure's edge (the plot's top-right corner is free).
    const maxW = width - EDGE * 2;
    svg.append('text').attr('class', 'label bar').attr('x', round(width - EDGE)).attr('y', round(titleSpace(options, font) + lh * 0.8)).attr('text-anchor', 'end')
      .text(fitText(data.valueLabel, font, maxW));
  }
  svg.selectAll('.axis').attr('font-family', null).attr('font-size', null);
  svg.selectAll('.axis path, .axis line').attr('stroke-width', 0.6);
  return svg.node()!;
}
