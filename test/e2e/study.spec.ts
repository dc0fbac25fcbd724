// The CLM-detour study from the Runs page, one click, at the tiny scale: progress, then the results
// (headline, region / score / transplant tables, figures) and the report, downloadable here.
import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import { useServe } from './serve-fixture';
import { readmeShot } from './readme-shots';

const served = useServe();

test('one click runs the study and shows its results and report', async ({ page }) => {
  test.setTimeout(1_000_000);
  await page.goto(served.current.url);
  const panel = page.getByTestId('study-panel');
  await panel.getByTestId('study-scale').selectOption('tiny');
  await panel.getByTestId('study-start').click();
  // Starting prepares the demo assets first: under load (other work on the 2 cores) that alone took
  // longer than the default 15 s.
  await expect(panel.getByTestId('study-stage')).toBeVisible({ timeout: 90_000 });
  // The six runs are queued in this workspace like any other run.
  await expect(page.getByTestId('runs-table').locator('tbody tr')).toHaveCount(6, { timeout: 120_000 });
  const results = panel.getByTestId('study-results');
  await expect(results).toBeVisible({ timeout: 900_000 });
  await expect(results.locator('table').first().locator('tbody tr')).toHaveText([/^low/, /^mid/, /^deep/, /^all/]);
  await expect(page.getByTestId('run-row-status')).toHaveText(Array(6).fill('finished'));
  // the paper's downstream measure: five conditions fine-tuned with two seeds each, paired test vs MLM
  const ft = results.getByTestId('study-finetune');
  await expect(ft.locator('tbody tr')).toHaveCount(5);
  await expect(ft.locator('tbody tr').first()).toContainText('MLM baseline');
  await expect(ft.locator('tbody tr').nth(1).locator('td').nth(2)).toHaveText(/^\d+\.\d \/ \d+\.\d$/);
  await expect(results.locator('.effect')).toContainText("the paper's freeze pattern");
  await results.getByRole('button', { name: /Show the \d+ figures/ }).click();
  await expect(results.locator('figure svg').first()).toBeVisible();
  await expect(results.locator('figure', { hasText: 'fine-tuning score' }).locator('svg')).toBeVisible();
  await readmeShot(page, 'study-panel.png', { fullPage: true });
  const [dl] = await Promise.all([page.waitForEvent('download'), results.getByRole('link', { name: 'PDF' }).click()]);
  const pdf = fs.readFileSync((await dl.path())!);
  expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
});
