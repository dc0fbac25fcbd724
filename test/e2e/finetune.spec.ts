// The Fine-tune panel on the Runs page: launch a sweep (the demo base model × two demo tasks × two
// seeds, a small training subset) and see the queue run to the end, the live loss curve, the scores
// table with one score per seed, and the dot plot of every job's seeds.
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { useServe } from './serve-fixture';

const served = useServe();

test('a fine-tuning sweep from the panel: queue, live curve, scores table and dot plot', async ({ page }) => {
  test.setTimeout(600_000);
  await page.goto(served.current.url);
  const panel = page.getByTestId('finetune-panel');
  await expect(panel.getByTestId('finetune-checkpoint').first()).toBeChecked();    // the demo base model
  await panel.getByTestId('finetune-task-demo:biotag').check();
  await panel.getByTestId('finetune-seeds').fill('2');
  await panel.getByTestId('finetune-epochs').fill('1');
  await panel.getByTestId('finetune-max-train').fill('48');
  await panel.getByTestId('finetune-start').click();
  const rows = panel.getByTestId('finetune-scores').locator('tbody tr');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(1)).toHaveAttribute('data-status', 'queued');
  // live: the running job's loss curve appears while it trains
  await expect(panel.getByTestId('finetune-loss').locator('svg')).toBeVisible({ timeout: 300_000 });
  await expect(panel.getByTestId('finetune-stage')).toContainText('done', { timeout: 540_000 });
  await expect(rows.nth(0)).toHaveAttribute('data-status', 'done');
  await expect(rows.nth(1)).toHaveAttribute('data-status', 'done');
  await expect(rows.nth(0).locator('td').nth(4)).toHaveText('accuracy');
  await expect(rows.nth(1).locator('td').nth(4)).toHaveText('entityF1');
  for (const i of [0, 1]) await expect(rows.nth(i).locator('td').nth(6)).toHaveText(/^\d+\.\d \/ \d+\.\d$/);
  await expect(panel.getByTestId('finetune-dots').locator('svg')).toBeVisible();
  await expect(panel.getByTestId('finetune-dots').locator('svg circle').first()).toBeVisible();
});

test('a running fine-tuning sweep is cancelled from the panel, and Start is offered again', async ({ page }) => {
  test.setTimeout(600_000);
  await page.goto(served.current.url);
  const panel = page.getByTestId('finetune-panel');
  await expect(panel.getByTestId('finetune-checkpoint').first()).toBeChecked();
  await panel.getByTestId('finetune-seeds').fill('3');
  await panel.getByTestId('finetune-epochs').fill('3');
  await panel.getByTestId('finetune-max-train').fill('400');
  await panel.getByTestId('finetune-start').click();
  await expect(panel.getByTestId('finetune-loss').locator('svg')).toBeVisible({ timeout: 300_000 });   // it trains
  await panel.getByTestId('finetune-cancel').click();
  await expect(panel.getByTestId('finetune-stage')).toContainText('cancelled', { timeout: 60_000 });
  await expect(panel.getByTestId('finetune-scores').locator('tbody tr').first()).toHaveAttribute('data-status', 'cancelled');
  await expect(panel.getByTestId('finetune-cancel')).toHaveCount(0);
  await expect(panel.getByTestId('finetune-start')).toBeEnabled();
});

test('your own JSONL task from the panel: a bad line is refused by file and line, a good file fine-tunes', async ({ page }) => {
  test.setTimeout(600_000);
  const dir = path.join(served.current.workspace, 'tasks');
  fs.mkdirSync(dir, { recursive: true });
  const words = ['cell', 'gene', 'river', 'stone', 'liver', 'cloud', 'tissue', 'mountain'];
  const lines = Array.from({ length: 80 }, (_, i) => JSON.stringify({ text: `the ${words[i % 8]} number ${i}`, label: i % 8 < 2 || i % 8 === 4 || i % 8 === 6 ? 'bio' : 'other' }));
  fs.writeFileSync(path.join(dir, 'mine.jsonl'), lines.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'bad.jsonl'), `${lines[0]}\n{"text": "no label"}\n`);
  await page.goto(served.current.url);
  const panel = page.getByTestId('finetune-panel');
  await expect(panel.getByTestId('finetune-checkpoint').first()).toBeChecked();
  await panel.getByTestId('finetune-task-demo:supersense').uncheck();
  await panel.getByTestId('finetune-seeds').fill('1');
  await panel.getByTestId('finetune-epochs').fill('1');
  await panel.getByTestId('finetune-own-task').fill('tasks/bad.jsonl');
  await panel.getByTestId('finetune-start').click();
  await expect(panel.getByText(/bad\.jsonl:2/)).toBeVisible();
  await panel.getByTestId('finetune-own-task').fill('tasks/mine.jsonl');
  await panel.getByTestId('finetune-start').click();
  await expect(panel.getByTestId('finetune-stage')).toContainText('done', { timeout: 540_000 });
  const row = panel.getByTestId('finetune-scores').locator('tbody tr').first();
  await expect(row).toHaveAttribute('data-status', 'done');
  await expect(row.locator('td').nth(2)).toContainText('mine.jsonl');
});
