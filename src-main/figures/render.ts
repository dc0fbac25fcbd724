// Figure spec -> SVG (the shared d3 chart code on a linkedom DOM) -> PNG (resvg) / PDF (pdfkit).
import { parseHTML } from 'linkedom';
import { Resvg } from '@resvg/resvg-js';
import { renderFigure, figureSizePt, parseFigureSpec, type FigureSpec } from '../common/charts';
import { FONT_FILES } from './fonts';
import { drawSvg, newPdf } from './pdf';

/** Render a spec to a standalone SVG document (string), exactly as the renderer draws it. */
export function renderSvg(spec: FigureSpec): string {
  const { document } = parseHTML('<!doctype html><html><body></body></html>');
  const svg = renderFigure(document as unknown as Document, spec);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${svg.outerHTML}\n`;
}

/** Rasterise at `dpi` dots per inch of the figure's physical size. */
export function svgToPng(svg: string, spec: FigureSpec, dpi: number): Buffer {
  const { width } = figureSizePt(spec.options);
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'width', value: Math.round((width / 72) * dpi) },
    font: { fontFiles: Object.values(FONT_FILES), loadSystemFonts: false, defaultFontFamily: 'DejaVu Sans' },
    background: 'white',
  });
  return resvg.render().asPng();
}

/** Vector PDF of the figure's exact size, fonts embedded (subset) by pdfkit. */
export function svgToPdf(svg: string, spec: FigureSpec): Promise<Buffer> {
  const { width, height } = figureSizePt(spec.options);
  const { doc, done } = newPdf({ size: [width, height], margin: 0, autoFirstPage: true, info: { Title: spec.options.title ?? 'figure' } });
  drawSvg(doc, svg, 0, 0, width, height);
  doc.end();
  return done;
}

export { parseFigureSpec };
