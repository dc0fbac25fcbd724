// The paper's ablation as a researcher sets it up in the New run form, at a laptop's and a small
// window's size: the six freeze conditions exactly (conditions scoped to the CLM detour and to one
// phase), recipes that follow the token budget n, and the checks that catch a bad form before launch.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { useServe } from './serve-fixture';
import { readmeShot } from './readme-shots';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const corpus = path.join(root, 'fixtures/corpus/wordnet-noun-glosses.txt');
const tokenizer = path.join(root, 'fixtures/demo-tokenizer');
const served = useServe();

const SIX = [
  'mlm-baseline · freeze none · seed 1', 'mlm-baseline · freeze none · seed 2',
  'clm-detour · freeze none · seed 1', 'clm-detour · freeze low during CLM · seed 1',
  'clm-detour · freeze mid during CLM · seed 1', 'clm-detour · freeze low during decay · seed 1',
];

async function openForm(page: Page, errors: string[]): Promise<void> {
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(served.current.url);
  await page.getByRole('navigation').getByRole('link', { name: 'New run' }).click();
  await expect(page.getByTestId('new-run-form')).toBeVisible();
}

for (const viewport of [{ width: 1440, height: 900 }, { width: 1024, height: 700 }]) {
  test.describe(`at ${viewport.width}×${viewport.height}`, () => {
    test.use({ viewport });

    test('the paper\'s six freeze conditions, recipes following n, and the form\'s checks', async ({ page }) => {
      const errors: string[] = [];
      await openForm(page, errors);
      // 3. The tiny from-scratch preset is valid as soon as it is picked (its 64 positions < T = 128).
      await page.getByTestId('model-preset').check();
      await page.getByTestId('model-preset-name').selectOption('tiny');
      await expect(page.getByTestId('seq-len')).toHaveValue('64');
      await page.getByTestId('corpus').fill(corpus);
      await page.getByTestId('tokenizer').fill(tokenizer);
      await page.getByTestId('probe-choice').selectOption('');
      await page.getByTestId('batch-size').fill('4');
      await page.getByTestId('seq-len').fill('32');
      await expect(page.getByTestId('issue-summary')).toHaveCount(0);
      await expect(page.getByTestId('launch')).toBeEnabled();

      // 1. The paper's design in one click: exactly its six runs, no "MLM baseline with low frozen".
      await page.getByTestId('budget').fill('2560');
      await page.getByTestId('paper-study').click();
      const rows = page.getByTestId('sweep-run');
      await expect(rows.locator('td.name')).toHaveText(SIX);
      await expect(rows.nth(3)).toContainText('clm (clm, 20 steps, freeze low) → decay (mlm 0.15, 2 steps, freeze none)');
      await expect(rows.nth(5)).toContainText('clm (clm, 20 steps, freeze none) → decay (mlm 0.15, 2 steps, freeze low)');
      // The scope is visible and editable: "low during CLM" applies to the detour only.
      const lowCond = page.getByTestId('freeze-condition-1');
      await expect(lowCond.getByTestId('applies-1').getByRole('checkbox', { name: 'mlm-baseline' })).not.toBeChecked();
      await expect(lowCond.getByTestId('applies-1').getByRole('checkbox', { name: 'clm-detour' })).toBeChecked();
      await expect(lowCond.getByText('Phase 1 (clm) freeze')).toBeVisible();
      // Ticking the baseline too would add exactly the unwanted run; unticking removes it again.
      await lowCond.getByTestId('applies-1').getByRole('checkbox', { name: 'mlm-baseline' }).check();
      await expect(rows).toHaveCount(8);
      await expect(rows.locator('td.name')).toContainText(['mlm-baseline · freeze low during CLM · seed 1']);
      await lowCond.getByTestId('applies-1').getByRole('checkbox', { name: 'mlm-baseline' }).uncheck();
      await expect(rows.locator('td.name')).toHaveText(SIX);
      await expect(page.getByTestId('launch')).toHaveText('Launch 6 runs');
      await expect(page.getByTestId('launch')).toBeEnabled();
      if (viewport.width === 1440) {
        await page.getByTestId('sweep-runs').scrollIntoViewIfNeeded();
        await readmeShot(page, 'new-run-paper-six.png');
      }

      // 2. Changing n moves every recipe built from it: twin runs keep the same token counts.
      await page.getByTestId('budget').fill('5120');
      await expect(page.getByTestId('sweep-run-steps')).toHaveText(['44', '44', '44', '44', '44', '44']);
      await expect(page.getByTestId('recipe-follows')).toContainText('follows the token budget n = 5,120');
      // An edited recipe says it no longer follows n, and does not move with it.
      await page.getByTestId('phase-0').getByTestId('phase-length').fill('1280');
      await expect(page.getByTestId('recipe-edited')).toContainText('no longer follows the token budget n = 5,120');
      await page.getByTestId('budget').fill('2560');
      await expect(page.getByTestId('sweep-run-steps')).toHaveText(['14', '14', '22', '22', '22', '22']); // 1280 tokens + the 512-token decay of n = 5120
      await page.getByTestId('refill').click();
      await expect(page.getByTestId('sweep-run-steps')).toHaveText(['22', '22', '22', '22', '22', '22']);

      // 3. Form checks, each beside its field and in the summary, each blocking Launch.
      // A corpus that is not there is caught before launch (by the main side).
      await page.getByTestId('corpus').fill(path.join(root, 'fixtures/corpus/no-such-corpus.txt'));
      await expect(page.locator('[data-field="data.corpus"]').getByTestId('field-error')).toContainText('no-such-corpus.txt does not exist');
      await expect(page.getByTestId('launch')).toBeDisabled();
      // An empty corpus, in plain words.
      await page.getByTestId('corpus').fill('');
      await expect(page.locator('[data-field="data.corpus"]').getByTestId('field-error')).toHaveText('required: this cannot be empty');
      await expect(page.getByTestId('issue-summary')).not.toContainText('Too small');
      await page.getByTestId('corpus').fill(corpus);
      // An empty Peak LR is an error, not a silent 2e-4.
      const peak = page.getByTestId('phase-0').locator('[data-field="recipes[0].phases[0].lr.peak"]');
      await peak.getByRole('spinbutton').fill('');
      await expect(peak.getByTestId('field-error')).toHaveText('required: enter a number');
      await expect(page.getByTestId('launch')).toBeDisabled();
      await peak.getByRole('spinbutton').fill('0.0002');
      await expect(peak.getByTestId('field-error')).toHaveCount(0);
      // Every out-of-range freeze layer is listed and drawn: a mask clicked on the 12-layer demo
      // shape, then the model switched to tiny (4 layers).
      await page.getByTestId('model-preset-name').selectOption('demo');
      const strip = page.getByTestId('phase-1').getByTestId('freeze-strip');
      for (const l of ['5', '9', '10']) await strip.locator(`[data-layer="${l}"]`).click();
      await page.getByTestId('model-preset-name').selectOption('tiny');
      await expect(strip.getByTestId('out-of-range-layer')).toHaveText(['5✕', '9✕', '10✕']);
      await expect(page.getByTestId('phase-1').getByTestId('field-error')).toContainText('layers 5, 9 and 10 are out of range for a 4-layer model (0..3)');
      await expect(page.getByTestId('launch')).toBeDisabled();
      if (viewport.width === 1440) await readmeShot(page, 'new-run-checks.png');
      for (let i = 0; i < 3; i++) await strip.getByTestId('out-of-range-layer').first().click();
      await expect(strip.getByTestId('out-of-range-layer')).toHaveCount(0);
      await expect(page.getByTestId('issue-summary')).toHaveCount(0);
      await expect(page.getByTestId('launch')).toBeEnabled();
      expect(errors).toEqual([]);
    });
  });
}
