// Figure spec -> SVG (the shared d3 chart code on a linkedom DOM) -> PNG (resvg) / PDF (pdfkit).
import { parseHTML } from 'linkedom';
import { renderAsync } from '@resvg/resvg-js';
import { renderFigure, figureSizePt, parseFigureSpec, type FigureSpec } from '../common/charts';
import { FONT_FILES } from './fonts';
import { drawSvg, newPdf } from './pdf';

/** Render a spec to a standalone SVG document (string), exactly as the renderer draws it. */
export function renderSvg(spec: FigureSpec): string {
  const { document } = parseHTML('<!doctype html><html><body></body></html>');
  const svg = renderFigure(document as unknown as Document, spec);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${svg.outerHTML}\n`;
}

/**
 * PNG size cap. A full-width figure at dpi 2400 is ~90 MP and took the server 20 s and 2.2 GB; the
 * spec schema allows ~42 times that. Beyond this the export is refused up front with what would fit.
 */
export const MAX_PNG_PIXELS = 40_000_000;

/** Pixel size of the figure's PNG at `dpi`. */
export function pngSize(spec: FigureSpec, dpi: number): { width: number; height: number } {
  const { width, height } = figureSizePt(spec.options);
  return { width: Math.round((width / 72) * dpi), height: Math.round((height / 72) * dpi) };
}

export class FigureTooLargeError extends Error {
  override name = 'ValidationError';
}

/** Throw (naming the size and the largest dpi that fits) when the PNG would exceed MAX_PNG_PIXELS. */
export function checkPngSize(spec: FigureSpec, dpi: number): void {
  const { width, height } = pngSize(spec, dpi);
  if (width * height <= MAX_PNG_PIXELS) return;
  const scale = Math.sqrt(MAX_PNG_PIXELS / (width * height));
  const fits = Math.max(36, Math.floor(dpi * scale));
  throw new FigureTooLargeError(`dpi ${dpi}: the PNG would be ${width}×${height} px (${((width * height) / 1e6).toFixed(1)} MP), over the ${MAX_PNG_PIXELS / 1e6} MP limit; use dpi ${fits} or less, or a smaller figure`);
}

/**
 * Rasterise at `dpi` dots per inch of the figure's physical size, on libuv's thread pool (resvg's
 * renderAsync) so the server's event loop keeps answering meanwhile.
 */
export async function svgToPng(svg: string, spec: FigureSpec, dpi: number): Promise<Buffer> {
  checkPngSize(spec, dpi);
  const image = await renderAsync(svg, {
    fitTo: { mode: 'width', value: pngSize(spec, dpi).width },
    font: { fontFiles: Object.values(FONT_FILES), loadSystemFonts: false, defaultFontFamily: 'DejaVu Sans' },
    background: 'white',
  });
  return image.asPng();
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
