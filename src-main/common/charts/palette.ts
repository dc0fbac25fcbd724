// Colour-blind-safe palettes and the grayscale preview. Pure.
import { interpolateRdBu, interpolateViridis, rgb } from 'd3';

export const PALETTES: Record<string, string[]> = {
  // Okabe & Ito (2008), "Color Universal Design".
  'okabe-ito': ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442', '#000000'],
  // Paul Tol's qualitative schemes (https://personal.sron.nl/~pault/).
  'tol-bright': ['#4477AA', '#EE6677', '#228833', '#CCBB44', '#66CCEE', '#AA3377', '#BBBBBB'],
  'tol-muted': ['#332288', '#88CCEE', '#44AA99', '#117733', '#999933', '#DDCC77', '#CC6677', '#882255', '#AA4499'],
};

/** Perceived luminance (Rec. 709) as a gray of the same lightness. */
export function toGray(colour: string): string {
  const c = rgb(colour);
  const y = Math.round(0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b);
  return rgb(y, y, y).formatHex();
}

export function colourer(grayscale: boolean): (c: string) => string {
  return grayscale ? toGray : (c) => c;
}

/** Viridis, fixed to [0, 1] so heatmaps are comparable across figures. */
export function viridis01(v: number): string {
  return rgb(interpolateViridis(Math.min(1, Math.max(0, v)))).formatHex();
}

/** Diverging red–blue, centred on 0 and symmetric in ±maxAbs (blue = positive). */
export function diverging(v: number, maxAbs: number): string {
  const t = maxAbs > 0 ? 0.5 + (0.5 * Math.max(-maxAbs, Math.min(maxAbs, v))) / maxAbs : 0.5;
  return rgb(interpolateRdBu(t)).formatHex();
}
