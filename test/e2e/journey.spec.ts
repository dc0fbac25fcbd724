// The researcher's path as a new user walks it: the New run form for a 2×2 sweep (MLM baseline vs
// CLM detour × freeze none vs low) on the tiny model and a small corpus, with a probe set; launch; the
// runs train to the end; Compare shows the L×L CKA heatmap; the heatmap exports as SVG, PDF and PNG,
// and the files are checked. A screenshot of every page goes to docs/images/ under UPDATE_SCREENSHOTS=1 (the README uses them).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DOMParser } from 'linkedom';
import { expect, test, type Page } from '@playwright/test';
import { useServe } from './serve-fixture';
import { shotPath } from './readme-shots';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const served = useServe();

async function shot(page: Page, name: string) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: shotPath(`journey-${name}.png`), fullPage: true });
}

test('from an empty workspace to an exported CKA heatmap', async ({ page }) => {
  test.setTimeout(600_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const probe = path.join(served.current.workspace, 'bio-probe.jsonl');
  const texts = ['inflammation of the liver', 'a bone of the forearm', 'a drug that relieves pain', 'the muscle of the heart', 'a disease of the lungs',
    'a fever with chills', 'a small boat with oars', 'a wooden chair', 'a song for children', 'a tall office building', 'a game of cards', 'a long road'];
  fs.writeFileSync(probe, texts.map((t, i) => JSON.stringify({ id: String(i), text: t, word: `w${i}`, domain: i < 6 ? 'bio' : 'general' })).join('\n') + '\n');

  // 1. A new workspace: the Runs page says how to start.
  await page.goto(served.current.url);
  await expect(page.getByTestId('runs-empty')).toBeVisible();
  await shot(page, '1-runs-empty');

  // 2. The form: tiny from scratch, small corpus, demo tokenizer, our probe set; 2×2 sweep.
  await page.getByRole('navigation').getByRole('link', { name: 'New run' }).click();
  await page.getByTestId('model-preset').check();
  await page.getByTestId('model-preset-name').selectOption('tiny');
  await page.getByTestId('corpus').fill(path.join(root, 'fixtures/corpus/wordnet-noun-glosses.txt'));
  await page.getByTestId('tokenizer').fill(path.join(root, 'fixtures/demo-tokenizer'));
  await page.getByTestId('probe-choice').selectOption('custom');
  await page.getByTestId('probe-path').fill(probe);
  await page.getByTestId('seq-len').fill('32');
  await page.getByTestId('batch-size').fill('4');
  await page.getByTestId('budget').fill('2560');
  await page.getByRole('button', { name: 'Fill with MLM baseline' }).click();
  await page.getByTestId('add-recipe').click();
  await page.getByRole('button', { name: 'Fill with CLM detour' }).click();
  await page.getByTestId('add-freeze-none').click();
  await page.getByTestId('add-freeze-low').click();
  await page.getByTestId('seeds').fill('1');
  await expect(page.getByTestId('sweep-run')).toHaveCount(4);
  await expect(page.getByTestId('launch')).toBeEnabled({ timeout: 15_000 });
  await shot(page, '2-new-run');
  await page.getByTestId('launch').click();

  // 3. The runs train, one after another, to the end.
  await expect(page).toHaveURL(/#\/runs$/);
  const table = page.getByTestId('runs-table');
  await expect(table.locator('tbody tr')).toHaveCount(4);
  await expect.poll(async () => (await table.locator('td.status').allTextContents()).map((s) => s.trim()), { timeout: 480_000, intervals: [2000] })
    .toEqual(['finished', 'finished', 'finished', 'finished']);
  await expect(table.getByRole('progressbar')).toHaveCount(4);
  for (const bar of await table.getByRole('progressbar').all()) await expect(bar).toHaveAttribute('aria-valuenow', '100');
  await shot(page, '3-runs-finished');

  // 4. One run's page.
  await table.getByRole('link', { name: 'clm-detour · freeze low · seed 1' }).click();
  await expect(page.getByTestId('run-status')).toHaveText('finished');
  await expect(page.locator('[data-testid$="-layer-grad-norms"] rect.cell')).not.toHaveCount(0);
  await shot(page, '4-run');

  // 5. Compare the CLM detour with the MLM baseline (final checkpoints): the L×L heatmap.
  await page.getByRole('navigation').getByRole('link', { name: 'Compare' }).click();
  const value = (label: string) => page.getByTestId('pick-a').locator('option', { hasText: label }).first().getAttribute('value');
  await page.getByTestId('pick-a').selectOption((await value('clm-detour · freeze none · seed 1 · step 22'))!);
  await page.getByTestId('pick-b').selectOption((await value('mlm-baseline · freeze none · seed 1 · step 22'))!);
  await page.getByTestId('pick-probe').selectOption({ label: 'bio-probe (12 texts)' });
  await page.getByTestId('compare-run').click();
  const heat = page.locator('[data-testid$="-heatmap"]');
  await expect(heat.locator('rect.cell')).toHaveCount(5 * 5); // tiny: embedding output + 4 layers
  await shot(page, '5-compare');

  // 6. Export the heatmap for a paper: ACL column, 300 dpi, SVG + PDF + PNG.
  await heat.getByRole('button', { name: 'Export…' }).click();
  const panel = heat.getByTestId('export-panel');
  await panel.getByLabel('Size').selectOption('acl-column');
  await panel.getByLabel('PNG DPI').fill('300');
  await panel.getByTestId('export-run').click();
  await expect(panel.getByTestId('export-result')).toContainText('.pdf');
  const name = (await panel.getByLabel('File name').inputValue()).trim();
  const dir = path.join(served.current.workspace, 'figures');
  const svg = fs.readFileSync(path.join(dir, `${name}.svg`), 'utf8');
  const doc = new DOMParser().parseFromString(svg.replace(/^<\?xml[^>]*>\s*/, ''), 'image/svg+xml');
  expect(doc.documentElement.tagName.toLowerCase()).toBe('svg');
  expect(doc.documentElement.querySelectorAll('rect.cell').length).toBe(25);
  const pdf = fs.readFileSync(path.join(dir, `${name}.pdf`));
  expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  expect(pdf.toString('latin1')).toMatch(/\/FontFile2/);  // the TrueType font program is embedded
  const png = fs.readFileSync(path.join(dir, `${name}.png`));
  expect(png.subarray(1, 4).toString()).toBe('PNG');
  expect(png.readUInt32BE(16)).toBe(Math.round((7.7 / 2.54) * 300)); // 909 px = 7.7 cm at 300 dpi
  expect(JSON.parse(fs.readFileSync(path.join(dir, `${name}.spec.json`), 'utf8')).kind).toBe('heatmap');

  // 7. The Figures page lists the export.
  await page.getByRole('navigation').getByRole('link', { name: 'Figures' }).click();
  await expect(page.getByTestId('figures-list')).toContainText(name);
  await shot(page, '6-figures');
  expect(errors).toEqual([]);
});
