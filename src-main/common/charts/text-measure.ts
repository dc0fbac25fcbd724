// Text sizes for chart layout without a DOM: DejaVu Sans advance widths (the font every figure names
// first and every export embeds), so margins, legends and tick thinning are computed from the real
// width of each label instead of a guessed "0.55 em a glyph" (which clipped wide labels such as
// "−0.02" or "W" and wasted room on narrow ones). Pure.
import { TEXT_WIDTH_CHARS, TEXT_WIDTHS_PER_MILLE } from './text-width-table';

const WIDTHS = new Map<string, number>([...TEXT_WIDTH_CHARS].map((c, i) => [c, TEXT_WIDTHS_PER_MILLE[i]]));
/** Characters outside the table (CJK, rare symbols) count as a wide glyph: better too much room than
 *  clipping. The fallback fonts (Helvetica, Arial) are narrower than DejaVu, so these widths bound them. */
const UNKNOWN = 1000;

/** Width in points of `text` set at `sizePt`. */
export function textWidth(text: string, sizePt: number): number {
  let units = 0;
  for (const c of text) units += WIDTHS.get(c) ?? UNKNOWN;
  return (units / 1000) * sizePt;
}

/** Height in points of one line of text at `sizePt` (DejaVu ascent + descent ≈ 1.17 em). */
export function lineHeight(sizePt: number): number {
  return sizePt * 1.17;
}

/**
 * `text` shortened with an ellipsis in the middle to fit `maxWidth` (the middle, because run names
 * differ at both ends: "clm-detour · freeze low · seed 1" vs "… seed 2"). Unchanged when it fits.
 */
export function fitText(text: string, sizePt: number, maxWidth: number): string {
  if (textWidth(text, sizePt) <= maxWidth) return text;
  const chars = [...text];
  let keep = chars.length - 1;
  while (keep > 1) {
    const head = chars.slice(0, Math.ceil(keep / 2)).join('');
    const tail = chars.slice(chars.length - Math.floor(keep / 2)).join('');
    const t = `${head.trimEnd()}…${tail.trimStart()}`;
    if (textWidth(t, sizePt) <= maxWidth) return t;
    keep--;
  }
  return '…';
}

/**
 * Which of a row of labels to show so that no two overlap: greedy left to right, each label
 * [center − w/2, center + w/2] (or anchored start/end) must clear the last kept one by `gap`.
 */
export function nonOverlapping(items: { x: number; width: number; anchor?: 'start' | 'middle' | 'end' }[], gap: number): boolean[] {
  let lastRight = -Infinity;
  return items.map((it) => {
    const left = it.anchor === 'start' ? it.x : it.anchor === 'end' ? it.x - it.width : it.x - it.width / 2;
    if (left < lastRight + gap) return false;
    lastRight = left + it.width;
    return true;
  });
}
