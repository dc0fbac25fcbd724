// A researcher fills the New run form for a 2×2 sweep (MLM baseline vs CLM detour × freeze none vs
// low) on the tiny preset, sees the four runs, saves and reloads the config, launches, and the run
// queue trains all four for real. Also: an invalid field shows its message beside it and blocks Launch.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { useServe } from './serve-fixture';
import { shotPath } from './readme-shots';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const corpus = path.join(root, 'fixtures/corpus/wordnet-noun-glosses.txt');
const tokenizer = path.join(root, 'fixtures/demo-tokenizer');

const served = useServe();

async function openForm(page: Page, errors: string[]): Promise<void> {
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(served.current.url);
  await page.getByRole('navigation').getByRole('link', { name: 'New run' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'New run' })).toBeVisible();
  await expect(page.getByTestId('new-run-form')).toBeVisible();
}

/** Tiny preset from scratch, the small WordNet corpus, the demo tokenizer, 128 tokens per step. */
async function fillSmallSetup(page: Page): Promise<void> {
  await page.getByTestId('model-preset').check();
  await page.getByTestId('model-preset-name').selectOption('tiny');
  await page.getByTestId('corpus').fill(corpus);
  await page.getByTestId('tokenizer').fill(tokenizer);
  await page.getByTestId('probe-choice').selectOption('');
  await page.getByTestId('seq-len').fill('32');
  await page.getByTestId('batch-size').fill('4');
}

test('an invalid field shows the runner\'s message beside it, and Launch stays disabled', async ({ page }) => {
  const errors: string[] = [];
  await openForm(page, errors);
  await fillSmallSetup(page);
  await page.getByTestId('budget').fill('2560');
  await page.getByRole('button', { name: 'Fill with MLM baseline' }).click();
  await expect(page.getByTestId('launch')).toBeEnabled();

  const maskRate = page.getByTestId('phase-0').locator('[data-field="recipes[0].phases[0].mask_rate"]');
  await maskRate.getByRole('spinbutton').fill('1.5');
  await expect(maskRate.getByTestId('field-error')).toHaveText('must be in (0, 1)');
  await expect(maskRate.getByRole('spinbutton')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByTestId('issue-summary')).toContainText('mlm-baseline › phase 1 (mlm) › mask_rate: must be in (0, 1)');
  await expect(page.getByTestId('launch')).toBeDisabled();
  await expect(page.getByTestId('sweep-run').getByText('invalid')).toBeVisible();
  await page.getByTestId('issue-summary').getByRole('button').first().click();
  await expect(maskRate.getByRole('spinbutton')).toBeFocused();
  await screenshot(page, 'new-run-invalid.png');

  // An empty required field: the schema's own message, beside the field.
  const seqLen = page.locator('[data-field="seq_len"]');
  await page.getByTestId('seq-len').fill('');
  await expect(seqLen.getByTestId('field-error')).toContainText('required: enter a number');
  await page.getByTestId('seq-len').fill('32');
  await expect(seqLen.getByTestId('field-error')).toHaveCount(0);

  // Fixing the value clears the message and, once the main side agrees, enables Launch.
  await maskRate.getByRole('spinbutton').fill('0.3');
  await expect(maskRate.getByTestId('field-error')).toHaveCount(0);
  await expect(page.getByTestId('issue-summary')).toHaveCount(0);
  await expect(page.getByTestId('launch')).toBeEnabled();

  // The freeze strip from the keyboard: arrows move between cells, Space toggles; a mask that is
  // exactly a layer group reads as that preset, anything else as custom.
  const strip = page.getByTestId('phase-1').getByTestId('freeze-strip');
  await strip.locator('[data-layer="embeddings"]').focus();
  await page.keyboard.press('ArrowRight');
  await expect(strip.locator('[data-layer="0"]')).toBeFocused();
  await page.keyboard.press('Space');
  await expect(strip.locator('[data-layer="0"]')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('phase-1').getByTestId('freeze-choice')).toHaveValue('low');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Space');
  await page.keyboard.press('End');
  await page.keyboard.press('Space');
  await expect(page.getByTestId('phase-1').getByTestId('freeze-choice')).toHaveValue('custom');
  await expect(page.getByTestId('sweep-run')).toContainText('freeze custom: layers 0, 1 + head');
  await expect(page.getByTestId('launch')).toBeEnabled();

  // Only the main side can read an HF directory: its message lands beside the directory field.
  await page.getByTestId('model-hf').check();
  await page.getByTestId('hf-dir').fill('/nonexistent/modernbert');
  const hfField = page.locator('[data-field="model"]');
  await expect(hfField.getByTestId('field-error')).toContainText('/nonexistent/modernbert');
  await expect(page.getByTestId('launch')).toBeDisabled();
  expect(errors).toEqual([]);
});

test('a 2×2 sweep is listed, saved and reloaded exactly, launched, and all four runs finish', async ({ page }) => {
  test.setTimeout(600_000);
  const errors: string[] = [];
  await openForm(page, errors);
  await fillSmallSetup(page);

  // Recipes: MLM baseline and CLM detour at n = 2560 tokens (20 steps + a 2-step decay).
  await page.getByTestId('budget').fill('2560');
  await page.getByRole('button', { name: 'Fill with MLM baseline' }).click();
  await page.getByTestId('add-recipe').click();
  await page.getByRole('button', { name: 'Fill with CLM detour' }).click();
  await expect(page.getByRole('tab')).toHaveText(['mlm-baseline', 'clm-detour']);
  await expect(page.getByTestId('phase-0').getByTestId('objective')).toHaveValue('clm');
  await expect(page.getByTestId('phase-0').locator('[data-field$="mask_rate"]')).toHaveCount(0);

  // Freeze conditions: none, and the low layer group frozen during the first phase.
  await page.getByTestId('add-freeze-none').click();
  await page.getByTestId('add-freeze-low').click();
  const low = page.getByTestId('freeze-condition-1');
  // tiny has 4 layers: low = layer 0 only; the strip shows it filled, the decay left as in the recipe.
  await expect(low.getByTestId('freeze-strip').first().locator('[aria-pressed="true"]')).toHaveCount(1);
  await expect(low.getByTestId('freeze-strip').first().locator('[data-layer="0"]')).toHaveAttribute('aria-pressed', 'true');
  await expect(low.getByTestId('freeze-choice').nth(1)).toHaveValue('inherit');
  await page.getByTestId('seeds').fill('1');

  const rows = page.getByTestId('sweep-run');
  await expect(rows).toHaveCount(4);
  await expect(rows.locator('td.name')).toHaveText([
    'mlm-baseline · freeze none · seed 1', 'mlm-baseline · freeze low · seed 1',
    'clm-detour · freeze none · seed 1', 'clm-detour · freeze low · seed 1',
  ]);
  await expect(page.getByTestId('sweep-run-steps')).toHaveText(['22', '22', '22', '22']);
  await expect(page.getByTestId('lr-preview').locator('svg path.series')).toHaveCount(2);
  await expect(page.getByTestId('launch')).toHaveText('Launch 4 runs');
  await expect(page.getByTestId('launch')).toBeEnabled();
  await screenshot(page, 'new-run-sweep.png');

  // Save, change the form, load the file back: the same form, and saving again gives the same bytes.
  const saved = await download(page);
  const doc = JSON.parse(saved);
  expect(doc.recipes.map((r: { name: string }) => r.name)).toEqual(['mlm-baseline', 'clm-detour']);
  expect(doc.freezes).toEqual([{ name: 'none', phases: ['none', 'none'] }, { name: 'low', phases: ['low'] }]);
  expect(doc.seeds).toEqual([1]);
  expect(doc.base).toMatchObject({ model: 'tiny', data: { corpus, tokenizer }, seq_len: 32, batch_size: 4 });
  await page.getByTestId('seeds').fill('5, 6');
  await expect(rows).toHaveCount(8);
  const file = path.join(served.current.workspace, 'sweep.json');
  fs.writeFileSync(file, saved);
  await page.getByTestId('load-file').setInputFiles(file);
  await expect(page.getByTestId('seeds')).toHaveValue('1');
  await expect(rows).toHaveCount(4);
  expect(await download(page)).toBe(saved);

  await expect(page.getByTestId('launch')).toBeEnabled();
  await page.getByTestId('launch').click();
  await expect(page).toHaveURL(/#\/runs$/);
  const table = page.getByTestId('runs-table');
  await expect(table.locator('tbody tr')).toHaveCount(4);
  await expect(table).toContainText('clm-detour · freeze low · seed 1');

  // The queue trains them one after another (concurrency 1 on CPU); fail fast if one fails.
  await expect.poll(async () => {
    const cells = table.locator('td.status');
    const statuses = await cells.allTextContents();
    const bad = statuses.findIndex((s) => ['failed', 'diverged', 'cancelled'].includes(s.trim()));
    if (bad >= 0) throw new Error(`a run ended ${statuses[bad]}: ${await cells.nth(bad).getAttribute('title')}`);
    return statuses.map((s) => s.trim());
  }, { timeout: 480_000, intervals: [2000] }).toEqual(['finished', 'finished', 'finished', 'finished']);
  await screenshot(page, 'runs-sweep-finished.png');
  expect(errors).toEqual([]);
});

async function download(page: Page): Promise<string> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-config').click()]);
  return fs.readFileSync((await dl.path())!, 'utf8');
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0)); // the form's sticky header then sits at the top
  await page.screenshot({ path: shotPath(name), fullPage: true });
}
