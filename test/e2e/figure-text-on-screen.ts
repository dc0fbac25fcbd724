// On screen, as drawn by the app at the window's size: every chart's SVG inside the window, every text
// element's box inside its SVG, and no label blown up past the size it has on paper at the screen
// scale (FigureView shows figures at 1.5× print size; stretching one to a wide card made fonts 2–4×).
import { expect, type Page } from '@playwright/test';

/** Checks every figure on the page; returns how many figures were checked. */
export async function expectFiguresReadable(page: Page, viewportWidth: number): Promise<number> {
  const report = await page.evaluate(() => {
    const problems: string[] = [];
    const PX_PER_PT = 96 / 72;
    const svgs = Array.from(document.querySelectorAll<SVGSVGElement>('figure.figure .host > svg'));
    for (const svg of svgs) {
      const name = svg.closest('figure')?.getAttribute('data-testid') ?? '?';
      const box = svg.getBoundingClientRect();
      if (box.width === 0) continue; // hidden
      if (box.right > document.documentElement.clientWidth + 0.5) problems.push(`${name}: the chart (right edge ${box.right.toFixed(0)} px) runs past the window`);
      const scale = box.width / svg.viewBox.baseVal.width; // CSS px per pt
      for (const t of Array.from(svg.querySelectorAll('text'))) {
        if (!(t.textContent ?? '').trim()) continue;
        const r = t.getBoundingClientRect();
        if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5) problems.push(`${name}: ${JSON.stringify(t.textContent)} leaves its chart`);
        const px = parseFloat(getComputedStyle(t).fontSize) * scale;
        if (px > 12 * PX_PER_PT * 1.5 + 0.5) problems.push(`${name}: ${JSON.stringify(t.textContent)} drawn at ${px.toFixed(1)} px`);
      }
    }
    return { problems, count: svgs.length };
  });
  expect(report.problems, `at ${viewportWidth} px`).toEqual([]);
  return report.count;
}
