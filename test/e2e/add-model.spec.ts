// A researcher brings a model trained elsewhere: from the empty Compare page, "Add a model directory"
// runs a probe set through it (here the shipped demo base, a 12-layer ModernBERT) and the model shows
// up in the pickers; a wrong path is named in the error and adds nothing.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { useServe } from './serve-fixture';
import { readmeShot } from './readme-shots';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const served = useServe();

test('a model directory is logged from the Compare page and can be compared at once', async ({ page }) => {
  const probe = path.join(served.current.workspace, 'probe.jsonl');
  const texts = ['inflammation of the liver', 'a bone of the forearm', 'a drug that relieves pain', 'the heart muscle', 'a small boat', 'a wooden chair', 'a song for children', 'a tall building'];
  fs.writeFileSync(probe, texts.map((t, i) => JSON.stringify({ id: String(i), text: t, domain: i < 4 ? 'bio' : 'general' })).join('\n') + '\n');
  await page.goto(served.current.url);
  await page.getByRole('navigation').getByRole('link', { name: 'Compare' }).click();
  await expect(page.getByTestId('compare-empty')).toBeVisible();

  const add = page.getByTestId('add-model');
  await add.locator('summary').click();
  // a directory that does not exist: the error names it, nothing is added
  await page.getByTestId('add-model-dir').fill(path.join(root, 'fixtures', 'no-such-model'));
  await page.getByTestId('add-model-probe').fill(probe);
  await page.getByTestId('add-model-tokenizer').fill(path.join(root, 'fixtures', 'demo-tokenizer'));
  await page.getByTestId('add-model-run').click();
  await expect(page.getByTestId('add-model-error')).toContainText('no-such-model');
  await expect(page.getByTestId('compare-empty')).toBeVisible();

  await page.getByTestId('add-model-dir').fill(path.join(root, 'fixtures', 'demo-base'));
  await page.getByTestId('add-model-run').click();
  await expect(page.getByTestId('add-model-done')).toContainText('Logged 13 hidden states');
  await readmeShot(page, 'compare-add-model.png');
  // the page now offers it in the pickers: compare it with itself (CKA 1 at every layer)
  const option = page.getByTestId('pick-a').locator('option', { hasText: 'demo-base' });
  await expect(option).toHaveCount(1);
  await expect(page.getByTestId('add-model-done')).toBeVisible(); // the panel stays as it was when the pickers appear
  const id = await option.getAttribute('value');
  await page.getByTestId('pick-a').selectOption(id!);
  await page.getByTestId('pick-b').selectOption(id!);
  await page.getByTestId('pick-probe').selectOption({ label: 'probe (8 texts)' });
  await page.getByTestId('compare-run').click();
  await expect(page.getByTestId('compare-summary')).toContainText('8 probe texts · 13 hidden states');
  await expect(page.locator('[data-testid$="-heatmap"] rect.cell')).toHaveCount(169);
});
