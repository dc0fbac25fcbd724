// The root <svg> of every figure: size in points, one font, and root color="black" (d3 axes draw
// with currentColor, which svg-to-pdfkit resolves only from an explicit root colour).
import { select, type Selection } from 'd3';
import { figureSizePt, fontPt, type FigureOptions } from './spec';
import { fitText } from './text-measure';

export const FONT_FAMILY = "'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif";

export type Svg = Selection<SVGSVGElement, unknown, null, undefined>;
export type G = Selection<SVGGElement, unknown, null, undefined>;

export interface Frame {
  svg: Svg;
  width: number;       // pt
  height: number;      // pt
  font: number;        // pt
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function createFrame(doc: Document, o: FigureOptions): Frame {
  const { width, height } = figureSizePt(o);
  const font = fontPt(o);
  const el = doc.createElementNS(SVG_NS, 'svg') as SVGSVGElement;
  const svg = select(el)
    .attr('xmlns', SVG_NS)
    .attr('width', `${round(width)}pt`)
    .attr('height', `${round(height)}pt`)
    .attr('viewBox', `0 0 ${round(width)} ${round(height)}`)
    .attr('font-family', FONT_FAMILY)
    .attr('font-size', font)
    .attr('color', 'black')
    .attr('fill', 'black');
  svg.append('rect').attr('class', 'background').attr('width', round(width)).attr('height', round(height)).attr('fill', 'white');
  if (o.title) {
    svg.append('text').attr('class', 'title').attr('x', round(width / 2)).attr('y', round(font * 1.2)).attr('text-anchor', 'middle').attr('font-weight', 'bold').text(fitText(o.title, font * 1.1, width - 4));
  }
  return { svg, width, height, font };
}

/** The smallest text a figure may hold: ACL asks for no text under 7 pt at print size. */
export const MIN_TEXT_PT = 7;

/** A secondary text size (ticks, legends, notes): `ratio` of the base font, never under 7 pt. */
export function smallerFont(font: number, ratio: number): number {
  return Math.max(MIN_TEXT_PT, font * ratio);
}

/** Space taken by the title at the top. */
export function titleSpace(o: FigureOptions, font: number): number {
  return o.title ? font * 1.8 : font * 0.6;
}

/** Two decimals keep SVG small and output stable across platforms. */
export function round(v: number): number {
  return Math.round(v * 100) / 100;
}

/** Show at most `max` tick labels, evenly spaced, always including the first and last. */
export function thinTicks<T>(values: T[], max: number): T[] {
  if (values.length <= max) return values;
  const step = Math.ceil((values.length - 1) / (max - 1));
  const out = values.filter((_, i) => i % step === 0);
  // The last value takes the place of the last kept one: pushed after it, the two could sit closer
  // than a step apart (labels "290" and "300" on top of each other).
  if (out[out.length - 1] !== values[values.length - 1]) out[out.length - 1] = values[values.length - 1];
  return out;
}
