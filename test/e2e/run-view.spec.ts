// A run queued through the API trains for real; its page shows progress, curves, the per-layer
// gradient heatmap, checkpoints and the log, and a chart exports as a paper figure.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { useServe } from './serve-fixture';
import { readmeShot } from './readme-shots';
import { expectFiguresReadable } from './figure-text-on-screen';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const served = useServe();

test('a run trains, shows its curves live, and its loss chart exports as a figure', async ({ page }) => {
  await page.goto(served.current.url);
  await expect(page.getByTestId('runs-empty')).toBeVisible();
  // Queue a tiny CLM-detour-shaped run through the same API the form uses (cookie from the page).
  const config = {
    model: 'tiny', data: path.join(root, 'fixtures/corpus/wordnet-noun-glosses.txt'), seq_len: 32, batch_size: 4, seed: 1, checkpoint_every: 10,
    phases: [
      { name: 'clm', objective: 'clm', steps: 30, lr: { peak: 3e-3, warmup: 3, shape: 'constant' }, freeze: { layers: [0, 1] } },
      { name: 'decay', objective: 'mlm', mask_rate: 0.15, steps: 10, lr: { peak: 3e-3, shape: 'one_minus_sqrt', final_ratio: 0.1 } },
    ],
  };
  const created = await page.evaluate(async (cfg) => {
    const r = await fetch('/api/createRun', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ config: cfg, name: 'e2e detour' }) });
    return r.json();
  }, config);
  expect(created.ok, JSON.stringify(created)).toBe(true);
  // The Runs page lists it without a reload (run events over the WebSocket).
  await expect(page.getByTestId('runs-table')).toContainText('e2e detour');
  await page.getByRole('link', { name: 'e2e detour' }).click();
  await expect(page.getByTestId('run-status')).toHaveText('finished', { timeout: 90_000 });
  await expect(page.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100');
  const loss = page.getByTestId('figure-e2e-detour-loss');
  await expect(loss.locator('path.series')).toHaveCount(2); // raw + smoothed
  await expect(loss.locator('line.marker')).toHaveCount(1); // the decay phase starts
  const heat = page.getByTestId('figure-e2e-detour-layer-grad-norms');
  await expect(heat.locator('rect.cell')).not.toHaveCount(0);
  await expect(page.getByTestId('checkpoints').locator('tbody tr')).toHaveCount(4);
  await expect(page.getByTestId('event-log')).toContainText('finished: completed at step 40');
  // The newest step of each curve is marked (as from the first step on); hovering any point shows its value.
  await expect(loss.locator('g.points circle')).toHaveCount(2);
  await loss.locator('g.hover-points circle').nth(5).hover({ force: true, timeout: 10_000 });
  await expect(loss.getByRole('tooltip')).toContainText(/loss \((raw|smoothed)\): step 6, loss \d/);
  await readmeShot(page, 'run-view.png');
  // Export the loss chart for a paper, named after the run: SVG + PDF + PNG beside the spec, downloadable here.
  await loss.getByRole('button', { name: 'Export…' }).click();
  await loss.getByTestId('export-run').click();
  const result = loss.getByTestId('export-result');
  await expect(result).toContainText('e2e-detour-loss.pdf');
  const figures = path.join(served.current.workspace, 'figures');
  for (const ext of ['svg', 'pdf', 'png', 'spec.json']) expect(fs.existsSync(path.join(figures, `e2e-detour-loss.${ext}`))).toBe(true);
  const [download] = await Promise.all([page.waitForEvent('download'), result.getByRole('link', { name: 'e2e-detour-loss.svg' }).click()]);
  expect(download.suggestedFilename()).toBe('e2e-detour-loss.svg');
  // The Figures page lists it, redrawn from its spec.
  await page.getByRole('navigation').getByRole('link', { name: 'Figures' }).click();
  await expect(page.getByTestId('figures-list').getByTestId('figure-e2e-detour-loss').locator('path.series')).toHaveCount(2);
  // On the run page and on the Figures page, at print size × 1.5 and never wider than the window.
  expect(await expectFiguresReadable(page, 1280)).toBeGreaterThanOrEqual(1);
  await page.setViewportSize({ width: 1024, height: 700 });
  expect(await expectFiguresReadable(page, 1024)).toBeGreaterThanOrEqual(1);
});
