// Line chart over layers or steps: series with optional shaded bands (bootstrap CI, seed noise),
// shaded layer regions (low / mid / deep), vertical markers (phase changes), freeze masks drawn as
// squares under the layer axis, linear or log y. Used for divergence-per-layer, trajectories,
// loss / LR / grad-norm curves and probing accuracy.
import { area, axisBottom, axisLeft, extent, line, scaleLinear, scaleLog } from 'd3';
import { createFrame, round, titleSpace } from './frame';
import { PALETTES, colourer } from './palette';
import type { LinesSpec } from './spec';

type Pt = [number, number];

export function renderLines(doc: Document, spec: LinesSpec): SVGSVGElement {
  const { data, options } = spec;
  const { svg, width, height, font } = createFrame(doc, options);
  const col = colourer(options.grayscale);
  const palette = PALETTES[options.palette];
  const colourOf = (i: number) => col(palette[i % palette.length]);

  // Legend: as many entries per row as fit their (estimated) text width.
  const longest = Math.max(...data.series.map((s) => s.name.length));
  const entryW = font * 2.4 + longest * font * 0.85 * 0.6;
  const perRow = Math.max(1, Math.min(data.series.length, Math.floor((width - font * 5) / entryW)));
  const legendRows = Math.ceil(data.series.length / perRow);
  const frozenRows = data.frozen?.length ?? 0;
  const top = titleSpace(options, font) + (data.regions?.length ? font * 1.3 : 0);
  const left = font * 5;
  const right = font * 1.2;
  const bottom = font * 3.2 + frozenRows * font * 1.1 + legendRows * font * 1.4;
  const plotW = Math.max(10, width - left - right);
  const plotH = Math.max(10, height - top - bottom);

  const xs = data.series.flatMap((s) => s.x);
  const ys = data.series.flatMap((s) => [...s.y, ...(s.lower ?? []), ...(s.upper ?? [])]).filter((v): v is number => v !== null && Number.isFinite(v) && (!data.logY || v > 0));
  const [x0, x1] = extent(xs) as [number, number];
  let [y0, y1] = data.yDomain ?? ((extent(ys) as [number, number]) ?? [0, 1]);
  if (y0 === undefined || y1 === undefined) [y0, y1] = data.logY ? [1e-3, 1] : [0, 1];
  if (y0 === y1) [y0, y1] = data.logY ? [y0 / 2, y1 * 2] : [y0 - 0.5, y1 + 0.5];
  const xPad = data.integerX ? 0.5 : 0;
  const x = scaleLinear().domain([x0 - xPad, x1 + xPad]).range([0, plotW]);
  const y = (data.logY ? scaleLog().domain([y0, y1]).nice() : scaleLinear().domain([y0, y1]).nice()).range([plotH, 0]);

  const g = svg.append('g').attr('class', 'plot').attr('transform', `translate(${round(left)},${round(top)})`);
  // Regions first (under everything): alternate light grays, labelled above the plot.
  (data.regions ?? []).forEach((r, i) => {
    const a = x(r.from - 0.5);
    const b = x(r.to + 0.5);
    g.append('rect').attr('class', 'region').attr('x', round(Math.max(0, a))).attr('width', round(Math.min(plotW, b) - Math.max(0, a))).attr('y', 0).attr('height', round(plotH)).attr('fill', i % 2 ? '#ffffff' : '#ececec');
    g.append('text').attr('class', 'region-label').attr('x', round((Math.max(0, a) + Math.min(plotW, b)) / 2)).attr('y', round(-font * 0.4)).attr('text-anchor', 'middle').attr('font-size', font * 0.85).text(r.name);
  });
  const nice = (v: number) => (data.logY ? v > 0 : true) && Number.isFinite(v);
  data.series.forEach((s, i) => {
    const c = colourOf(i);
    if (s.lower && s.upper) {
      const band: [number, number, number][] = [];
      s.x.forEach((xv, k) => {
        const lo = s.lower![k];
        const hi = s.upper![k];
        if (lo !== null && hi !== null && nice(lo) && nice(hi)) band.push([xv, lo, hi]);
      });
      g.append('path')
        .attr('class', 'band')
        .attr('fill', c)
        .attr('fill-opacity', 0.2)
        .attr('stroke', 'none')
        .attr('d', area<[number, number, number]>().x((d) => round(x(d[0]))).y0((d) => round(y(d[1]))).y1((d) => round(y(d[2])))(band) ?? '');
    }
    const pts: Pt[] = [];
    s.x.forEach((xv, k) => {
      const yv = s.y[k];
      if (yv !== null && nice(yv)) pts.push([xv, yv]);
    });
    g.append('path')
      .attr('class', 'series')
      .attr('data-name', s.name)
      .attr('fill', 'none')
      .attr('stroke', c)
      .attr('stroke-width', 1.2)
      .attr('stroke-dasharray', s.dashed ? '3,2' : null)
      .attr('d', line<Pt>().defined((d) => nice(d[1])).x((d) => round(x(d[0]))).y((d) => round(y(d[1])))(pts) ?? '');
    if (pts.length <= 40) {
      g.append('g')
        .attr('class', 'points')
        .selectAll('circle')
        .data(pts)
        .join('circle')
        .attr('cx', (d) => round(x(d[0])))
        .attr('cy', (d) => round(y(d[1])))
        .attr('r', 1.4)
        .attr('fill', c)
        .append('title')
        .text((d) => `${s.name}: ${data.xLabel} ${d[0]}, ${data.yLabel} ${d[1].toPrecision(4)}`);
    }
  });
  (data.markers ?? []).forEach((m) => {
    g.append('line').attr('class', 'marker').attr('x1', round(x(m.x))).attr('x2', round(x(m.x))).attr('y1', 0).attr('y2', round(plotH)).attr('stroke', '#555555').attr('stroke-width', 0.6).attr('stroke-dasharray', '2,2');
    g.append('text').attr('x', round(x(m.x) + 2)).attr('y', round(font)).attr('font-size', font * 0.8).attr('fill', '#555555').text(m.label);
  });

  const xAxis = axisBottom(x).ticks(Math.max(2, Math.floor(plotW / (font * 3.5)))).tickSizeOuter(0);
  if (data.integerX) xAxis.tickFormat((v) => (Number.isInteger(+v) ? String(v) : ''));
  g.append('g').attr('class', 'axis x').attr('transform', `translate(0,${round(plotH)})`).call(xAxis);
  g.append('g').attr('class', 'axis y').call(axisLeft(y).ticks(Math.max(2, Math.floor(plotH / (font * 2.5))), data.logY ? '~g' : undefined).tickSizeOuter(0));
  g.selectAll('.axis').attr('font-family', null).attr('font-size', null);
  g.selectAll('.axis text').attr('font-size', font * 0.85);
  g.selectAll('.axis path, .axis line').attr('stroke-width', 0.6);

  // Freeze masks: one row of squares per condition, under the x axis, at the frozen layers.
  let yRow = plotH + font * 2.2;
  (data.frozen ?? []).forEach((f) => {
    const row = g.append('g').attr('class', 'frozen').attr('data-name', f.name);
    row.append('text').attr('x', round(-font * 0.4)).attr('y', round(yRow + font * 0.35)).attr('text-anchor', 'end').attr('font-size', font * 0.75).text(f.name);
    const w = Math.max(1.5, Math.min(font * 0.8, Math.abs(x(1) - x(0)) * 0.8));
    f.layers.forEach((l) => row.append('rect').attr('x', round(x(l) - w / 2)).attr('y', round(yRow - w / 2)).attr('width', round(w)).attr('height', round(w)).attr('fill', '#333333'));
    yRow += font * 1.1;
  });
  g.append('text').attr('class', 'label x').attr('x', round(plotW / 2)).attr('y', round(yRow + font * 0.6)).attr('text-anchor', 'middle').text(data.xLabel);
  g.append('text').attr('class', 'label y').attr('transform', `translate(${round(-font * 3.8)},${round(plotH / 2)}) rotate(-90)`).attr('text-anchor', 'middle').text(data.yLabel);

  // Legend under the plot.
  const legend = svg.append('g').attr('class', 'legend').attr('transform', `translate(${round(Math.min(left, font * 2))},${round(height - legendRows * font * 1.4 - font * 0.2)})`);
  data.series.forEach((s, i) => {
    const gx = (i % perRow) * entryW;
    const gy = Math.floor(i / perRow) * font * 1.4;
    const item = legend.append('g').attr('transform', `translate(${round(gx)},${round(gy)})`);
    item.append('line').attr('x1', 0).attr('x2', round(font * 1.6)).attr('y1', round(font * 0.5)).attr('y2', round(font * 0.5)).attr('stroke', colourOf(i)).attr('stroke-width', 1.4).attr('stroke-dasharray', s.dashed ? '3,2' : null);
    item.append('text').attr('x', round(font * 2)).attr('y', round(font * 0.85)).attr('font-size', font * 0.85).text(s.name);
  });
  return svg.node()!;
}
