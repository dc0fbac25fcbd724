// Line chart over layers or steps: series with optional shaded bands (bootstrap CI, seed noise) that
// get their own legend entry, shaded layer regions (low / mid / deep), vertical markers (phase
// changes), freeze masks drawn as squares under the layer axis, linear or log y. Used for
// divergence-per-layer, trajectories, loss / LR / grad-norm curves and probing accuracy.
// Margins come from the measured width of every label (text-measure.ts); ranges from axis-domain.ts.
import { area, axisBottom, axisLeft, extent, line, scaleLinear, scaleLog } from 'd3';
import { integerTicks, valueDomain } from './axis-domain';
import { createFrame, round, smallerFont, titleSpace } from './frame';
import { PALETTES, colourer } from './palette';
import type { LinesSpec } from './spec';
import { fitText, lineHeight, nonOverlapping, textWidth } from './text-measure';

type Pt = [number, number];
/** d3 axes: 6 pt tick line + 3 pt padding before the label. */
const TICK_OFFSET = 9;
const EDGE = 2;

/** Tick labels of the y axis: d3's, or scientific when every tick is tiny (a learning rate: 2e-4,
 *  not 0.000200); '~' drops trailing zeros. */
function yFormat(ticks: number[], d3fmt: (spec?: string) => (v: number) => string): (v: number) => string {
  const big = Math.max(0, ...ticks.map(Math.abs));
  if (big > 0 && big < 1e-2) return d3fmt('~e');
  return d3fmt('~g');
}

interface LegendEntry { label: string; colour: string; dashed: boolean; band: boolean }

/** Legend entries laid out left to right, wrapping; an entry wider than the figure is shortened. */
function legendLayout(entries: LegendEntry[], maxW: number, font: number) {
  const size = smallerFont(font, 0.85);
  const swatch = font * 1.6;
  const gap = font * 1.0;
  let x = 0;
  let row = 0;
  const placed = entries.map((e) => {
    const label = fitText(e.label, size, maxW - swatch - font * 0.4);
    const w = swatch + font * 0.4 + textWidth(label, size);
    if (x > 0 && x + w > maxW) {
      x = 0;
      row++;
    }
    const at = { ...e, label, x, row };
    x += w + gap;
    return at;
  });
  return { placed, rows: entries.length ? row + 1 : 0, rowH: font * 1.4, size, swatch };
}

export function renderLines(doc: Document, spec: LinesSpec): SVGSVGElement {
  const { data, options } = spec;
  const { svg, width, height, font } = createFrame(doc, options);
  const tickFont = smallerFont(font, 0.85);
  const lh = lineHeight(font);
  const tickLh = lineHeight(tickFont);
  const col = colourer(options.grayscale);
  const palette = PALETTES[options.palette];
  const colourOf = (i: number) => col(palette[i % palette.length]);

  // Legend: one entry per series, and one per shaded band, so a reader knows what the band is.
  const entries: LegendEntry[] = data.series.flatMap((s, i) => [
    { label: s.name, colour: colourOf(i), dashed: !!s.dashed, band: false },
    ...(s.lower && s.upper ? [{ label: s.bandLabel ?? `${s.name}: band`, colour: colourOf(i), dashed: false, band: true }] : []),
  ]);
  const legend = legendLayout(entries, width - EDGE * 2, font);

  // Ranges: y relative-padded when constant and kept inside the quantity's bounds; x in whole steps
  // (or layers) when every x is a whole number.
  const xs = data.series.flatMap((s) => s.x);
  const ys = data.series.flatMap((s) => [...s.y, ...(s.lower ?? []), ...(s.upper ?? [])]).filter((v): v is number => v !== null && Number.isFinite(v) && (!data.logY || v > 0));
  const [x0, x1] = (extent(xs) as [number, number | undefined])[1] === undefined ? [0, 1] : (extent(xs) as [number, number]);
  const [y0, y1] = data.yDomain ?? valueDomain(ys.length ? Math.min(...ys) : NaN, ys.length ? Math.max(...ys) : NaN, { log: data.logY, bounds: data.yBounds });
  const wholeX = xs.length > 0 && xs.every((v) => Number.isInteger(v));
  const xPad = data.integerX ? 0.5 : x0 === x1 ? 1 : 0;
  const y = data.logY ? scaleLog().domain([y0, y1]) : scaleLinear().domain([y0, y1]);
  if (data.logY && !data.yDomain) y.nice(); // whole decades on a log axis

  // y tick labels decide the left margin; the y title runs along the axis when it fits the plot's
  // height, else it sits above the axis.
  const frozen = data.frozen ?? [];
  const frozenFont = smallerFont(font, 0.75);
  const frozenLabels = frozen.map((f) => fitText(f.name, frozenFont, width * 0.25));
  const frozenW = Math.max(0, ...frozenLabels.map((t) => textWidth(t, frozenFont) + font * 0.4));
  // one row per freeze mask, never closer than a line of its label (at 7 pt the labels touched)
  const frozenRowH = Math.max(font * 1.1, lineHeight(frozenFont) + 0.5);
  const regionsTop = data.regions?.length ? tickLh + font * 0.3 : 0;
  const bottomFixed = TICK_OFFSET + tickLh + frozen.length * frozenRowH + font * 0.4 + lh + (legend.rows ? font * 0.4 + legend.rows * legend.rowH : 0) + EDGE;
  const yLabelW = textWidth(data.yLabel, font);
  const layout = (yTitleAlong: boolean) => {
    // the top y tick label is centred on the plot's top edge: half a line above it is the label's
    const top = titleSpace(options, font) + (yTitleAlong ? 0 : lh + font * 0.2) + Math.max(regionsTop, tickLh / 2);
    const plotH = Math.max(10, height - top - bottomFixed);
    y.range([plotH, 0]);
    // As many ticks as fit one above the other with a little air; a short plot keeps at least its ends.
    let yCount = Math.max(1, Math.floor(plotH / (font * 2.5)));
    let yTicks = y.ticks(yCount);
    while (yTicks.length > 2 && (yTicks.length - 1) * (tickLh + 1) > plotH && yCount > 1) yTicks = y.ticks(--yCount);
    if (yTicks.length > 2 && (yTicks.length - 1) * (tickLh + 1) > plotH) yTicks = [yTicks[0], yTicks[yTicks.length - 1]];
    if (yTicks.length === 2 && tickLh + 1 > Math.abs(y(yTicks[0]) - y(yTicks[1]))) yTicks = [yTicks[yTicks.length - 1]];
    const yFmt = yFormat(yTicks, (spec) => y.tickFormat(yCount, spec));
    const yTickW = Math.max(0, ...yTicks.map((t) => textWidth(yFmt(t), tickFont)));
    const left = Math.max(EDGE + (yTitleAlong ? lh + font * 0.3 : 0) + yTickW + TICK_OFFSET, frozenW + EDGE);
    return { top, plotH, left, yTicks, yFmt };
  };
  let along = true;
  let L = layout(true);
  if (yLabelW > L.plotH) {
    along = false;
    L = layout(false);
  }
  const { top, plotH, left, yTicks, yFmt } = L;

  // x ticks: as many as the widest label allows; the last label's half width sets the right margin.
  const x = scaleLinear().domain([x0 - xPad, x1 + xPad]);
  const guessFmt = x.tickFormat(10);
  const guessW = Math.max(textWidth(guessFmt(x1), tickFont), textWidth(guessFmt(x0), tickFont));
  const right = Math.max(font * 1.2, guessW / 2 + EDGE);
  const plotW = Math.max(10, width - left - right);
  x.range([0, plotW]);
  const xCount = Math.max(2, Math.floor(plotW / (guessW + font * 1.2)));
  const xTicks = wholeX || data.integerX ? integerTicks(x0 - xPad, x1 + xPad, xCount) : x.ticks(xCount);
  // whole steps / layers print as such ("2", not "2.0")
  const fmtX = wholeX || data.integerX ? (v: number) => String(v) : x.tickFormat(xCount);

  const g = svg.append('g').attr('class', 'plot').attr('transform', `translate(${round(left)},${round(top)})`);
  // Regions first (under everything): alternate light grays, labelled above the plot when the label
  // fits its region.
  (data.regions ?? []).forEach((r, i) => {
    const a = Math.max(0, x(r.from - 0.5));
    const b = Math.min(plotW, x(r.to + 0.5));
    g.append('rect').attr('class', 'region').attr('x', round(a)).attr('width', round(Math.max(0, b - a))).attr('y', 0).attr('height', round(plotH)).attr('fill', i % 2 ? '#ffffff' : '#ececec');
    if (textWidth(r.name, tickFont) <= b - a) {
      g.append('text').attr('class', 'region-label').attr('x', round((a + b) / 2)).attr('y', round(-font * 0.4)).attr('text-anchor', 'middle').attr('font-size', tickFont).text(r.name);
    }
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
    const chosen = s.points ?? data.points;
    const marks = chosen === 'auto' ? (pts.length <= 40 ? 'all' : 'none') : chosen;
    // Without a marker on every point, transparent hover targets keep each point's value readable on
    // screen (at most ~400 per series, evenly spaced); they print as nothing.
    if (marks !== 'all' && pts.length > 0) {
      const stride = Math.max(1, Math.ceil(pts.length / 400));
      g.append('g')
        .attr('class', 'hover-points')
        .selectAll('circle')
        .data(pts.filter((_, k) => k % stride === 0))
        .join('circle')
        .attr('cx', (d) => round(x(d[0])))
        .attr('cy', (d) => round(y(d[1])))
        .attr('r', 2.5)
        .attr('fill', c)
        .attr('fill-opacity', 0)
        .append('title')
        .text((d) => `${s.name}: ${data.xLabel} ${d[0]}, ${data.yLabel} ${d[1].toPrecision(4)}`);
    }
    if (marks !== 'none' && pts.length > 0) {
      g.append('g')
        .attr('class', 'points')
        .selectAll('circle')
        .data(marks === 'last' ? pts.slice(-1) : pts)
        .join('circle')
        .attr('cx', (d) => round(x(d[0])))
        .attr('cy', (d) => round(y(d[1])))
        .attr('r', 1.4)
        .attr('fill', c)
        .append('title')
        .text((d) => `${s.name}: ${data.xLabel} ${d[0]}, ${data.yLabel} ${d[1].toPrecision(4)}`);
    }
  });
  // Markers: every line drawn; a label only where it clears its neighbour and the plot's edge.
  const markers = (data.markers ?? []).filter((m) => m.x >= x0 - xPad && m.x <= x1 + xPad);
  const markerFont = smallerFont(font, 0.8);
  const markerItems = markers.map((m) => {
    const w = textWidth(m.label, markerFont);
    const px = x(m.x);
    return px + 2 + w <= plotW ? { x: px + 2, width: w, anchor: 'start' as const } : { x: px - 2, width: w, anchor: 'end' as const };
  });
  const showMarker = nonOverlapping(markerItems, font * 0.3);
  markers.forEach((m, k) => {
    g.append('line').attr('class', 'marker').attr('x1', round(x(m.x))).attr('x2', round(x(m.x))).attr('y1', 0).attr('y2', round(plotH)).attr('stroke', '#555555').attr('stroke-width', 0.6).attr('stroke-dasharray', '2,2');
    if (showMarker[k] && markerItems[k].x - (markerItems[k].anchor === 'end' ? markerItems[k].width : 0) >= 0) {
      g.append('text').attr('class', 'marker-label').attr('x', round(markerItems[k].x)).attr('y', round(font)).attr('text-anchor', markerItems[k].anchor).attr('font-size', markerFont).attr('fill', '#555555').text(m.label);
    }
  });

  const xAxis = axisBottom(x).tickValues(xTicks).tickFormat((v) => fmtX(+v)).tickSizeOuter(0);
  g.append('g').attr('class', 'axis x').attr('transform', `translate(0,${round(plotH)})`).call(xAxis);
  g.append('g').attr('class', 'axis y').call(axisLeft(y).tickValues(yTicks).tickFormat((v) => yFmt(+v)).tickSizeOuter(0));
  g.selectAll('.axis').attr('font-family', null).attr('font-size', null);
  g.selectAll('.axis text').attr('font-size', tickFont);
  g.selectAll('.axis path, .axis line').attr('stroke-width', 0.6);

  // Freeze masks: one row of squares per condition, under the x axis, at the frozen layers.
  let yRow = plotH + TICK_OFFSET + tickLh + font * 0.55;
  frozen.forEach((f, k) => {
    const row = g.append('g').attr('class', 'frozen').attr('data-name', f.name);
    row.append('text').attr('x', round(-font * 0.4)).attr('y', round(yRow + font * 0.3)).attr('text-anchor', 'end').attr('font-size', frozenFont).text(frozenLabels[k]);
    const w = Math.max(1.5, Math.min(font * 0.8, Math.abs(x(1) - x(0)) * 0.8));
    f.layers.forEach((l) => row.append('rect').attr('x', round(x(l) - w / 2)).attr('y', round(yRow - w / 2)).attr('width', round(w)).attr('height', round(w)).attr('fill', '#333333'));
    yRow += frozenRowH;
  });
  const xLabelY = plotH + TICK_OFFSET + tickLh + frozen.length * frozenRowH + font * 0.4 + font * 0.9;
  g.append('text').attr('class', 'label x').attr('x', round(plotW / 2)).attr('y', round(xLabelY)).attr('text-anchor', 'middle')
    .text(fitText(data.xLabel, font, Math.min(width - EDGE * 2, plotW + 2 * Math.min(left, right))));
  if (along) {
    g.append('text').attr('class', 'label y').attr('transform', `translate(${round(-(left - EDGE - font * 0.85))},${round(plotH / 2)}) rotate(-90)`).attr('text-anchor', 'middle').text(data.yLabel);
  } else {
    // Too long to run along a short axis: above it, starting at the figure's left edge.
    svg.append('text').attr('class', 'label y').attr('x', EDGE).attr('y', round(titleSpace(options, font) + lh * 0.8)).attr('text-anchor', 'start')
      .text(fitText(data.yLabel, font, width - EDGE * 2));
  }

  // Legend under the plot.
  const lg = svg.append('g').attr('class', 'legend').attr('transform', `translate(${EDGE},${round(height - EDGE - legend.rows * legend.rowH)})`);
  legend.placed.forEach((e) => {
    const item = lg.append('g').attr('class', 'legend-entry').attr('transform', `translate(${round(e.x)},${round(e.row * legend.rowH)})`);
    if (e.band) item.append('rect').attr('x', 0).attr('width', round(legend.swatch)).attr('y', round(font * 0.1)).attr('height', round(font * 0.8)).attr('fill', e.colour).attr('fill-opacity', 0.2);
    else item.append('line').attr('x1', 0).attr('x2', round(legend.swatch)).attr('y1', round(font * 0.5)).attr('y2', round(font * 0.5)).attr('stroke', e.colour).attr('stroke-width', 1.4).attr('stroke-dasharray', e.dashed ? '3,2' : null);
    item.append('text').attr('x', round(legend.swatch + font * 0.4)).attr('y', round(font * 0.85)).attr('font-size', legend.size).text(e.label);
  });
  return svg.node()!;
}
