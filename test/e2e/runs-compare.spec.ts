// A researcher's runs after launch, at 1440×900 and again at 1024×700: a sweep's runs grouped together
// with their final-metrics table (sorted, exported as CSV), curves of several runs overlaid (a whole
// sweep, or runs ticked in the list; by step or tokens; smoothed), and runs tagged, annotated and
// cloned into the form (at both sizes), archived and deleted (asks first; its folder and rows go).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { useServe } from './serve-fixture';
import { readmeShot } from './readme-shots';
import { expectFiguresReadable } from './figure-text-on-screen';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const served = useServe();
const SWEEP = 'clm vs mlm · e2e';

function config(seed: number, first: 'clm' | 'mlm') {
  return {
    model: 'tiny', seed, seq_len: 32, batch_size: 4, checkpoint_every: 0,
    data: { corpus: path.join(root, 'fixtures/corpus/wordnet-noun-glosses.txt'), tokenizer: path.join(root, 'fixtures/demo-tokenizer'), cache_dir: path.join(served.current.workspace, 'cache') },
    phases: [
      first === 'clm' ? { name: 'clm', objective: 'clm', steps: 12, lr: { peak: 3e-3, warmup: 2, shape: 'constant' } } : { name: 'mlm', objective: 'mlm', mask_rate: 0.3, steps: 12, lr: { peak: 3e-3, warmup: 2, shape: 'constant' } },
      { name: 'decay', objective: 'mlm', mask_rate: 0.15, steps: 4, lr: { peak: 3e-3, shape: 'one_minus_sqrt', final_ratio: 0.1 } },
    ],
  };
}

async function create(page: Page, body: Record<string, unknown>): Promise<number> {
  const r = await page.evaluate(async (b) => (await fetch('/api/createRun', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(b) })).json(), body);
  expect(r.ok, JSON.stringify(r)).toBe(true);
  return r.value.id as number;
}

test.describe.serial('runs after launch', () => {
  let ids: number[] = [];

  test('at 1440×900: a sweep grouped with its final metrics, overlays, and a run looked after', async ({ page }) => {
    test.setTimeout(240_000);
    await page.setViewportSize({ width: 1440, height: 900 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(served.current.url);
    ids = [
      await create(page, { config: config(1, 'mlm'), name: 'mlm-baseline · seed 1', sweep: SWEEP }),
      await create(page, { config: config(1, 'clm'), name: 'clm-detour · seed 1', sweep: SWEEP }),
      await create(page, { config: config(2, 'clm'), name: 'clm-detour alone · seed 2' }),
    ];
    await expect(page.getByTestId('run-row-status')).toHaveText(['finished', 'finished', 'finished'], { timeout: 150_000 });

    await checkSweepFinals(page);
    const group = page.getByTestId('sweep-group');
    await readmeShot(page, 'runs-sweep-table.png');

    // 5. Overlay the whole sweep: one curve per run, named by the run; LR by tokens; smoothing.
    await group.getByTestId('overlay-sweep').click();
    await expect(page).toHaveURL(new RegExp(`#/overlay\\?runs=${ids[0]}(%2C|,)${ids[1]}`));
    const fig = page.locator('[data-testid^="figure-overlay-loss-"]');
    await expect(fig.locator('path.series')).toHaveCount(2);
    await expect(fig.locator('.legend text')).toHaveText(['mlm-baseline · seed 1', 'clm-detour · seed 1']);
    await expect(fig.locator('.label.y')).toHaveText('loss (smoothed 0.6)');
    expect(await expectFiguresReadable(page, 1440)).toBe(1);
    await page.getByTestId('overlay-metric').selectOption('lr');
    await page.getByTestId('overlay-x').selectOption('tokens');
    const lrFig = page.locator('[data-testid^="figure-overlay-lr-"]');
    await expect(lrFig.locator('.label.x')).toHaveText('tokens seen (thousands)');
    await page.getByTestId('overlay-smoothing').fill('0');
    await expect(lrFig.locator('.label.y')).toHaveText('learning rate');
    await expect(lrFig.locator('.axis.x .tick text').last()).toHaveText(/^2(\.0+)?$/); // 16 steps × 128 tokens ≈ 2k
    // The choices live in the address: back on the Runs page and forward again, they are kept.
    await page.goBack();
    await page.goForward();
    await expect(page.getByTestId('overlay-metric')).toHaveValue('lr');

    // 5. Runs ticked in the list, across groups.
    await page.getByRole('navigation').getByRole('link', { name: 'Runs' }).click();
    await expect(page.getByTestId('select-run')).toHaveCount(3);
    for (const box of await page.getByTestId('select-run').all()) await box.check();
    await expect(page.getByTestId('overlay-selected')).toHaveText('Overlay 3 selected runs');
    await page.getByTestId('overlay-selected').click();
    await expect(page.locator('[data-testid^="figure-overlay-loss-"] path.series')).toHaveCount(3);
    await expect(page.locator('[data-testid^="figure-overlay-loss-"] .legend text')).toHaveText(['mlm-baseline · seed 1', 'clm-detour · seed 1', 'clm-detour alone · seed 2']);
    await readmeShot(page, 'overlay.png');

    // 4. A sweep's run tagged, annotated and cloned into the form (archive and delete: at 1024×700).
    await page.getByRole('navigation').getByRole('link', { name: 'Runs' }).click();
    await tagAndAnnotate(page, 'mlm-baseline · seed 1');
    await page.getByTestId('clone-run').click();
    await expect(page.getByTestId('cloned-from')).toContainText('mlm-baseline · seed 1');
    await expect(page.getByTestId('sweep-run').locator('td.name')).toHaveText(['mlm-baseline · seed 1']);
    await expect(page.getByTestId('sweep-run-steps')).toHaveText('16');
    await expect(page.getByTestId('launch')).toBeEnabled();
    expect(errors).toEqual([]);
  });

  test('at 1024×700: the final metrics, overlays, and a run tagged, annotated, archived, cloned and deleted', async ({ page }) => {
    test.setTimeout(120_000);
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.goto(served.current.url);
    // 6. The sweep's final-metrics table at this size: sorted both ways, exported as CSV.
    await checkSweepFinals(page);
    const finalsBox = await page.getByTestId('sweep-finals').boundingBox();
    expect(finalsBox!.x + finalsBox!.width).toBeLessThanOrEqual(1024);
    // 5. The sweep's overlay fits the smaller window too, legends named after the runs.
    await page.getByTestId('overlay-sweep').click();
    const fig = page.locator('[data-testid^="figure-overlay-loss-"]');
    await expect(fig.locator('path.series')).toHaveCount(2);
    await expect(fig.locator('.legend text')).toHaveText(['mlm-baseline · seed 1', 'clm-detour · seed 1']);
    const figBox = await fig.locator('svg').boundingBox();
    expect(figBox!.x + figBox!.width).toBeLessThanOrEqual(1024);
    expect(await expectFiguresReadable(page, 1024)).toBe(1);
    await page.getByTestId('overlay-x').selectOption('tokens');
    await expect(page.locator('[data-testid^="figure-overlay-loss-"] .label.x')).toHaveText('tokens seen (thousands)');
    // …and runs ticked in the list, across groups.
    await page.getByRole('navigation').getByRole('link', { name: 'Runs' }).click();
    await page.getByTestId('select-run').nth(1).check();
    await page.getByTestId('select-run').nth(2).check();
    await expect(page.getByTestId('overlay-selected')).toHaveText('Overlay 2 selected runs');
    await page.getByTestId('overlay-selected').click();
    await expect(page.locator('[data-testid^="figure-overlay-loss-"] path.series')).toHaveCount(2);
    await page.getByRole('navigation').getByRole('link', { name: 'Runs' }).click();
    await tagAndAnnotate(page, 'clm-detour alone · seed 2');
    const meta = page.getByTestId('run-meta');
    // Archived runs leave the list until asked for.
    await meta.getByTestId('archive').click();
    await expect(meta.getByTestId('archive')).toHaveText('Unarchive');
    await page.getByRole('navigation').getByRole('link', { name: 'Runs' }).click();
    await expect(page.getByText('clm-detour alone · seed 2')).toHaveCount(0);
    await page.getByTestId('show-archived').check();
    const row = page.getByTestId('single-runs').locator('tbody tr');
    await expect(row).toContainText('archived');
    await expect(row).toContainText('paper');
    // Clone into the form: the same config, ready to edit and launch again.
    await page.getByRole('link', { name: 'clm-detour alone · seed 2' }).click();
    await page.getByTestId('clone-run').click();
    await expect(page.getByTestId('cloned-from')).toContainText('clm-detour alone · seed 2');
    await expect(page.getByTestId('seeds')).toHaveValue('2');
    await expect(page.getByTestId('sweep-run').locator('td.name')).toHaveText(['clm-detour alone · seed 2']);
    await expect(page.getByTestId('sweep-run-steps')).toHaveText('16');
    await expect(page.getByTestId('launch')).toBeEnabled();
    // Delete asks first; then the folder and the rows are gone.
    await page.goBack();
    const dir = path.join(served.current.workspace, 'runs', String(ids[2]).padStart(5, '0'));
    expect(fs.existsSync(dir)).toBe(true);
    await page.getByTestId('delete-run').click();
    await expect(page.getByRole('alertdialog')).toContainText('This cannot be undone');
    await page.getByRole('button', { name: 'Keep' }).click();
    expect(fs.existsSync(dir)).toBe(true);
    await page.getByTestId('delete-run').click();
    await page.getByTestId('confirm-delete').click();
    await expect(page).toHaveURL(/#\/runs$/);
    await expect(page.getByTestId('sweep-group')).toBeVisible();
    await expect(page.getByTestId('show-archived')).toHaveCount(0); // it was the only archived run
    await expect(page.getByText('clm-detour alone · seed 2')).toHaveCount(0);
    expect(fs.existsSync(dir)).toBe(false);
  });
});

/** 6. The sweep is one group, the lone run another; its final-metrics table sorts and exports as CSV. */
async function checkSweepFinals(page: Page): Promise<void> {
  const group = page.getByTestId('sweep-group');
  await expect(group.getByRole('heading', { level: 2 })).toContainText(SWEEP);
  await expect(group.getByTestId('runs-table').locator('tbody tr')).toHaveCount(2);
  await expect(page.getByTestId('single-runs').getByTestId('runs-table')).toContainText('clm-detour alone · seed 2');
  const finals = group.getByTestId('sweep-finals');
  await expect(finals.locator('thead th')).toHaveText(['Run ▲', 'Status', 'mlm loss', 'decay loss', 'clm loss', 'held-out loss', 'tokens', 'wall time (s)']);
  await expect(finals.getByTestId('finals-row')).toHaveCount(2);
  await expect(finals.getByTestId('finals-row').first()).toContainText('2048'); // 16 steps × 4 × 32 tokens
  // Sorting by the decay loss, both ways, orders the rows by the numbers shown.
  const decayCol = finals.locator('thead th', { hasText: 'decay loss' });
  const decayValues = async () => (await finals.getByTestId('finals-row').locator('td:nth-child(4)').allTextContents()).map(Number);
  await decayCol.getByRole('button').click();
  await expect(decayCol).toHaveAttribute('aria-sort', 'ascending');
  const up = await decayValues();
  expect(up[0]).toBeLessThanOrEqual(up[1]);
  await decayCol.getByRole('button').click();
  await expect(decayCol).toHaveAttribute('aria-sort', 'descending');
  expect(await decayValues()).toEqual([...up].reverse());
  // CSV: a header and one line per run, with the same numbers at full precision.
  const [dl] = await Promise.all([page.waitForEvent('download'), finals.getByTestId('finals-csv').click()]);
  expect(dl.suggestedFilename()).toBe('clm-vs-mlm-e2e-final-metrics.csv');
  const csv = fs.readFileSync((await dl.path())!, 'utf8').trim().split('\r\n');
  expect(csv[0]).toBe('Run,Status,mlm loss,decay loss,clm loss,held-out loss,tokens,wall time (s)');
  expect(csv).toHaveLength(3);
  expect(Number(csv[1].split(',')[3]).toFixed(4)).toBe(up[1].toFixed(4));
}

/** 4. A run tagged and annotated from its page; the tags and notes survive a reload. */
async function tagAndAnnotate(page: Page, name: string): Promise<void> {
  await page.getByRole('link', { name, exact: true }).first().click();
  const meta = page.getByTestId('run-meta');
  await meta.getByTestId('run-tags').fill('paper, fig 3');
  await meta.getByTestId('run-notes').fill('seed-noise partner');
  await meta.getByTestId('save-meta').click();
  await expect(meta.getByRole('status')).toHaveText('Saved.');
  await page.reload();
  await expect(meta.getByTestId('run-tags')).toHaveValue('paper, fig 3');
  await expect(meta.getByTestId('run-notes')).toHaveValue('seed-noise partner');
}
