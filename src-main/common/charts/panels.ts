// A multi-panel figure: each panel drawn by its own chart code at its share of the figure's width,
// nested as an <svg> at its place, with a bold (a), (b), (c)… in its top-left corner. The panels keep
// their own aspect; a row is as tall as its tallest panel. One SVG, so one PDF at full ACL width.
import { createFrame, round } from './frame';
import { lineHeight } from './text-measure';
import { renderHeatmap } from './heatmap';
import { renderLines } from './lines';
import { figureSizePt, fontPt, widthCm, type PanelsSpec } from './spec';

export function renderPanels(doc: Document, spec: PanelsSpec): SVGSVGElement {
  const { options, data } = spec;
  const cols = Math.min(data.columns, data.panels.length);
  const totalCm = widthCm(options);
  const panelCm = totalCm / cols;
  const panels = data.panels.map((p) => ({ ...p, options: { ...p.options, size: { widthCm: panelCm }, font: options.font, palette: options.palette, grayscale: options.grayscale } }));
  const sizes = panels.map((p) => figureSizePt(p.options));
  // A line above each panel for its letter, so the letter never sits on the panel's own labels.
  const letterH = lineHeight(fontPt(options)) * 1.1;
  const rows: number[] = [];
  sizes.forEach((s, i) => {
    const r = Math.floor(i / cols);
    rows[r] = Math.max(rows[r] ?? 0, letterH + s.height);
  });
  const width = figureSizePt(options).width;
  const height = rows.reduce((a, b) => a + b, 0);
  // The frame takes its height from the aspect: the one that fits the rows exactly.
  const { svg, font } = createFrame(doc, { ...options, aspect: Math.max(0.2, Math.min(3, height / width)), title: undefined });
  panels.forEach((p, i) => {
    const el = p.kind === 'heatmap' ? renderHeatmap(doc, p) : renderLines(doc, p);
    const r = Math.floor(i / cols);
    const x = (i % cols) * (width / cols);
    const y = rows.slice(0, r).reduce((a, b) => a + b, 0);
    el.setAttribute('x', String(round(x)));
    el.setAttribute('y', String(round(y + letterH)));
    el.setAttribute('width', String(round(sizes[i].width)));
    el.setAttribute('height', String(round(sizes[i].height)));
    el.setAttribute('class', 'panel');
    svg.node()!.appendChild(el);
    svg.append('text').attr('class', 'panel-letter').attr('x', round(x + 1)).attr('y', round(y + font)).attr('font-weight', 'bold').text(`(${String.fromCharCode(97 + i)})`);
  });
  return svg.node()!;
}
