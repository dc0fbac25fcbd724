// Every chart kind the app and the study draw (test/charts/figure-gallery.ts), rendered by the shared
// d3 builders and laid out by Chromium with the figures' font: every text element's box must lie
// inside its SVG, no two labels may overlap, and no text may be under 7 pt (ACL) at print size.
import { expect, test } from '@playwright/test';
import { parseFigureSpec } from '../../src-main/common/charts';
import { renderSvg } from '../../src-main/figures/render';
import { figureGallery } from '../charts/figure-gallery';

interface TextProblem { figure: string; problem: string }

test('every figure keeps its text inside the SVG, apart, and at 7 pt or more', async ({ page }) => {
  // Each figure as built, and again with the export panel's smallest font (7 pt): nothing may drop
  // below 7 pt at print size, nor spill or collide with the smaller base.
  const built = figureGallery();
  expect(built.length).toBeGreaterThanOrEqual(20);
  const gallery = [...built, ...built.map((f) => ({ name: `${f.name} (font 7 pt)`, spec: { ...f.spec, options: { ...(f.spec.options ?? {}), font: 'small' as const } } }))];
  const html = gallery.map((f) => `<div class="fig" data-name="${f.name}">${renderSvg(parseFigureSpec(f.spec)).replace(/^<\?xml[^>]*>\s*/, '')}</div>`).join('\n');
  await page.setContent(`<!doctype html><html><body style="margin:0">${html}</body></html>`);
  await page.evaluate(() => document.fonts.ready);
  const problems: TextProblem[] = await page.evaluate(() => {
    const out: { figure: string; problem: string }[] = [];
    const PX_PER_PT = 96 / 72;
    for (const fig of Array.from(document.querySelectorAll<HTMLElement>('.fig'))) {
      const name = fig.dataset.name!;
      const svg = fig.querySelector('svg')!;
      const box = svg.getBoundingClientRect();
      const scale = box.width / svg.viewBox.baseVal.width; // CSS px per user unit (pt)
      const texts = Array.from(svg.querySelectorAll('text')).filter((t) => (t.textContent ?? '').trim() !== '');
      const rects = texts.map((t) => t.getBoundingClientRect());
      texts.forEach((t, i) => {
        const r = rects[i];
        const label = JSON.stringify(t.textContent);
        const tol = 0.5;
        if (r.left < box.left - tol || r.top < box.top - tol || r.right > box.right + tol || r.bottom > box.bottom + tol)
          out.push({ figure: name, problem: `${label} leaves the SVG: text [${r.left.toFixed(1)}, ${r.top.toFixed(1)}, ${r.right.toFixed(1)}, ${r.bottom.toFixed(1)}] vs svg [${box.left.toFixed(1)}, ${box.top.toFixed(1)}, ${box.right.toFixed(1)}, ${box.bottom.toFixed(1)}]` });
        const sizePt = parseFloat(getComputedStyle(t).fontSize) * scale / PX_PER_PT;
        if (sizePt < 6.95) out.push({ figure: name, problem: `${label} is set at ${sizePt.toFixed(2)} pt` });
        for (let j = 0; j < i; j++) {
          const q = rects[j];
          const w = Math.min(r.right, q.right) - Math.max(r.left, q.left);
          const h = Math.min(r.bottom, q.bottom) - Math.max(r.top, q.top);
          if (w > 0.5 && h > 0.5) out.push({ figure: name, problem: `${label} overlaps ${JSON.stringify(texts[j].textContent)} (${w.toFixed(1)} × ${h.toFixed(1)} px)` });
        }
      });
    }
    return out;
  });
  expect(problems.map((p) => `${p.figure}: ${p.problem}`)).toEqual([]);
});
