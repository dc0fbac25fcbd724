// The agreement panel (issue 16): two trained runs and a control pair (a third run with another seed
// against B) on one probe set; every similarity measure is computed in the analysis host from the
// real stored activations, the layers × measures heatmap renders with one cell per hidden state and
// measure, the verdict lines name the agreeing measures, and the heatmap exports as SVG + PDF + PNG.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { readmeShot } from './readme-shots';
import { useServe } from './serve-fixture';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const served = useServe();

test('agreement panel: layers × measures over seed noise, with verdicts, exported as a figure', async ({ page }) => {
  const probe = path.join(served.current.workspace, 'probe.jsonl');
  const texts = ['inflammation of the liver', 'a bone of the forearm', 'a drug that relieves pain', 'the heart muscle', 'a disease of the lungs', 'a fever with chills',
    'a small boat', 'a wooden chair', 'a song for children', 'a tall building', 'a quick game of cards', 'a long road trip', 'a cold winter night', 'a bowl of soup'];
  fs.writeFileSync(probe, texts.map((t, i) => JSON.stringify({ id: String(i), text: t, word: `w${i % 7}` })).join('\n') + '\n');
  const config = (seed: number, objective: 'clm' | 'mlm') => ({
    model: 'tiny', seed, seq_len: 32, batch_size: 4, checkpoint_every: 6,
    data: { corpus: path.join(root, 'fixtures/corpus/wordnet-noun-glosses.txt'), tokenizer: path.join(root, 'fixtures/demo-tokenizer'), cache_dir: path.join(served.current.workspace, 'cache') },
    phases: [{ name: objective, objective, ...(objective === 'mlm' ? { mask_rate: 0.3 } : {}), steps: 6, lr: { peak: 3e-3, warmup: 2, shape: 'constant' }, freeze: 'none' }],
    probe_set: { path: probe, poolings: ['mean'], batch_size: 7 },
  });
  await page.goto(served.current.url);
  for (const [name, seed, objective] of [['clm', 1, 'clm'], ['mlm', 1, 'mlm'], ['mlm seed 2', 2, 'mlm']] as const) {
    const r = await page.evaluate(async (body) => (await fetch('/api/createRun', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })).json(), { config: config(seed, objective), name });
    expect(r.ok, JSON.stringify(r)).toBe(true);
  }
  await expect(page.getByTestId('run-row-status')).toHaveText(['finished', 'finished', 'finished'], { timeout: 110_000 });

  await page.getByRole('navigation').getByRole('link', { name: 'Compare' }).click();
  const optionFor = async (label: string) => (await page.getByTestId('pick-a').locator('option', { hasText: label }).first().getAttribute('value'))!;
  const [a, b, c] = [await optionFor('clm · step 6'), await optionFor('mlm · step 6'), await optionFor('mlm seed 2 · step 6')];
  await page.getByTestId('pick-a').selectOption(a);
  await page.getByTestId('pick-b').selectOption(b);
  await page.getByTestId('pick-ca').selectOption(c);
  await page.getByTestId('pick-cb').selectOption(b);
  await page.getByTestId('pick-probe').selectOption({ label: 'probe (14 texts)' });

  const panel = page.getByTestId('agreement-panel');
  const NAME = 'agreement-clm-6-vs-mlm-6'; // exports are named after the runs (clm@6 vs mlm@6), not checkpoint ids
  await panel.getByLabel('Permutations').selectOption('20');
  await panel.getByTestId('agreement-run').click();
  const fig = panel.locator(`[data-testid="figure-${NAME}"]`);
  await expect(fig.locator('rect.cell')).toHaveCount(5 * 8, { timeout: 60_000 }); // tiny: 5 hidden states × 8 measures
  // Columns are the measures, on one diverging scale of log10(divergence ÷ seed noise).
  await expect(fig.locator('svg')).toContainText('PWCCA');
  await expect(fig.locator('svg')).toContainText('kNN');
  const verdicts = panel.getByTestId('agreement-verdicts');
  await expect(verdicts).toContainText(/low-layer concentration: \d of 8 measures agree/);
  await expect(verdicts).toContainText(/low layers: \d of 8 measures put the divergence/);
  await expect(verdicts).toContainText('permutations');
  await expect(panel.getByTestId('agreement-rogue')).toContainText('Rogue dimensions');
  await readmeShot(page, 'agreement.png', { fullPage: true });       // docs/images only under UPDATE_SCREENSHOTS=1

  // Export the heatmap like every figure: SVG + PDF + PNG beside its spec.
  await fig.getByRole('button', { name: 'Export…' }).click();
  await fig.getByTestId('export-run').click();
  await expect(fig.getByTestId('export-result')).toContainText(`${NAME}.pdf`);
  const dir = path.join(served.current.workspace, 'figures');
  const svg = fs.readFileSync(path.join(dir, `${NAME}.svg`), 'utf8');
  expect(svg.match(/class="cell"/g)?.length).toBe(40);
  expect(fs.readFileSync(path.join(dir, `${NAME}.pdf`)).subarray(0, 5).toString()).toBe('%PDF-');
  expect(fs.readFileSync(path.join(dir, `${NAME}.png`)).subarray(1, 4).toString()).toBe('PNG');
  expect(JSON.parse(fs.readFileSync(path.join(dir, `${NAME}.spec.json`), 'utf8')).data.colTicks).toEqual(['CKA', 'dCKA', 'Proc', 'SVCCA', 'PWCCA', 'RSA', 'kNN', 'RBF']);
});
