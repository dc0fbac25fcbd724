// Two runs that log a probe set are compared, at 1440×900 and at 1024×700: the L×L heatmap (viridis
// 0–1, click for details), per-layer divergence with the control band and freeze masks, the region
// table, choices kept in the address, the pinned pair for Δ, the a/b/c figure as one full-width PDF,
// per-layer probes with bootstrap bands, the majority floor, the checkpoint × layer map and a
// confusion matrix; then the trajectory.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import Database from 'better-sqlite3';
import { useServe } from './serve-fixture';
import { readmeShot } from './readme-shots';
import { expectFiguresReadable } from './figure-text-on-screen';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const served = useServe();

test('compare two runs layer by layer, see the trajectory and probes', async ({ page }) => {
  test.setTimeout(240_000);
  await page.setViewportSize({ width: 1440, height: 900 });
  const probe = path.join(served.current.workspace, 'probe.jsonl');
  const texts = ['inflammation of the liver', 'a bone of the forearm', 'a drug that relieves pain', 'the heart muscle', 'a disease of the lungs', 'a fever with chills',
    'a small boat', 'a wooden chair', 'a song for children', 'a tall building', 'a quick game of cards', 'a long road trip'];
  fs.writeFileSync(probe, texts.map((t, i) => JSON.stringify({ id: String(i), text: t, word: `w${i % 6}`, domain: i < 6 ? 'bio' : 'general' })).join('\n') + '\n');
  const base = (seed: number, freeze: unknown) => ({
    model: 'tiny', seed, seq_len: 32, batch_size: 4, checkpoint_every: 5,
    data: { corpus: path.join(root, 'fixtures/corpus/wordnet-noun-glosses.txt'), tokenizer: path.join(root, 'fixtures/demo-tokenizer'), cache_dir: path.join(served.current.workspace, 'cache') },
    phases: [{ name: 'clm', objective: 'clm', steps: 10, lr: { peak: 3e-3, warmup: 2, shape: 'constant' }, freeze }],
    probe_set: { path: probe, poolings: ['mean'], batch_size: 6 },
  });
  await page.goto(served.current.url);
  for (const [name, seed, freeze] of [['detour', 1, 'none'], ['detour frozen low', 1, { layers: [0, 1] }], ['detour seed 2', 2, 'none']] as const) {
    const r = await page.evaluate(async (body) => (await fetch('/api/createRun', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })).json(), { config: base(seed, freeze), name });
    expect(r.ok, JSON.stringify(r)).toBe(true);
  }
  await expect(page.getByTestId('run-row-status')).toHaveText(['finished', 'finished', 'finished'], { timeout: 90_000 });

  const VIEWPORTS = [{ width: 1440, height: 900 }, { width: 1024, height: 700 }];
  const figures = path.join(served.current.workspace, 'figures');
  let a = '', b = '';
  // The same user path at a laptop's window and at a small one: nothing may depend on the width.
  for (const viewport of VIEWPORTS) {
    await page.setViewportSize(viewport);
    await page.goto(served.current.url);
    await page.getByRole('navigation').getByRole('link', { name: 'Compare' }).click();
    // Compare says why it cannot run yet.
    await expect(page.getByTestId('compare-blocker')).toHaveText('Pick checkpoints A and B.');
    await expect(page.getByTestId('compare-run')).toBeDisabled();
    const optionFor = (label: string) => page.getByTestId('pick-a').locator('option', { hasText: label }).first().getAttribute('value');
    a = (await optionFor('detour frozen low · step 10'))!;
    b = (await optionFor('detour · step 10'))!;
    const c = (await optionFor('detour seed 2 · step 10'))!;
    await page.getByTestId('pick-a').selectOption(a);
    await expect(page.getByTestId('compare-blocker')).toHaveText('Pick checkpoints A and B.');
    await page.getByTestId('pick-b').selectOption(b);
    await page.getByTestId('pick-ca').selectOption(c);
    await page.getByTestId('pick-cb').selectOption(b);
    // The only probe set the four share is chosen by itself.
    await expect(page.getByTestId('pick-probe').locator('option:checked')).toHaveText('probe (12 texts)');
    await expect(page.getByTestId('compare-blocker')).toHaveCount(0);
    await page.getByTestId('compare-run').click();
    await expect(page.getByTestId('compare-summary')).toContainText('12 probe texts · 5 hidden states');
    const heat = page.locator('[data-testid$="-heatmap"]').first();
    await expect(heat.locator('rect.cell')).toHaveCount(25);
    // Viridis fixed to [0, 1]: the colour bar runs from 0 to 1.
    await expect(heat.locator('.colorbar .tick text').first()).toHaveText('0.0');
    await expect(heat.locator('.colorbar .tick text').last()).toHaveText('1.0');
    await heat.locator('rect.cell[data-row="2"][data-col="2"]').click();
    await expect(page.getByTestId('cell-details')).toContainText('A layer 1 × B layer 1: CKA 0.');
    const div = page.locator('[data-testid$="-divergence"]');
    await expect(div.locator('path.series')).toHaveCount(2); // A vs B, and the seed-noise control
    await expect(div.locator('g.frozen rect')).toHaveCount(2); // A froze layers 0 and 1
    await expect(div.locator('rect.region')).toHaveCount(3); // low / mid / deep
    await expect(page.getByTestId('region-table').locator('tbody tr')).toHaveCount(4);
    await expect(page.getByTestId('compare-warnings')).toHaveCount(0); // both sides were logged with known settings
    // The freeze squares are explained; exports are named after the runs, not checkpoint ids.
    await expect(page.getByTestId('freeze-legend')).toContainText('layers frozen in that phase');
    await expect(div).toHaveAttribute('data-testid', 'figure-cka-detour-frozen-low-10-vs-detour-10-divergence');
    for (const fig of [heat, div]) {
      const box = await fig.locator('svg').boundingBox();
      expect(box!.x + box!.width).toBeLessThanOrEqual(viewport.width);
    }
    // The choices live in the address: away to Runs and back, A / B / controls / probe set are kept.
    await expect(page).toHaveURL(new RegExp(`a=${a}&b=${b}&ca=${c}&cb=${b}&probe=\\d+`));
    await page.getByRole('navigation').getByRole('link', { name: 'Runs' }).click();
    await page.goBack();
    await expect(page.getByTestId('pick-a')).toHaveValue(a);
    await expect(page.getByTestId('pick-cb')).toHaveValue(b);
    await expect(page.getByTestId('pick-probe').locator('option:checked')).toHaveText('probe (12 texts)');
    await page.getByTestId('compare-run').click();
    // Pinning names the pair the Δ is taken against.
    await page.getByTestId('pin').click();
    await expect(page.getByTestId('pinned')).toHaveText(' · pinned for Δ: detour frozen low@10 vs detour@10');
    if (viewport.width === 1440) await readmeShot(page, 'compare.png', { fullPage: true });

    // 12. Divergence + ratio + L×L as one figure (a / b / c), exported as one PDF at full ACL width.
    const abc = page.getByTestId('figure-cka-detour-frozen-low-10-vs-detour-10-abc');
    await expect(abc.locator('svg.panel')).toHaveCount(3);
    await expect(abc.locator('text.panel-letter')).toHaveText(['(a)', '(b)', '(c)']);
    await abc.getByRole('button', { name: 'Export…' }).click();
    await expect(abc.getByTestId('export-size')).toHaveValue('acl-full');
    await abc.getByTestId('export-run').click();
    await expect(abc.getByTestId('export-result')).toContainText('cka-detour-frozen-low-10-vs-detour-10-abc.pdf');
    const pdf = fs.readFileSync(path.join(figures, 'cka-detour-frozen-low-10-vs-detour-10-abc.pdf')).toString('latin1');
    expect(pdf.match(/\/MediaBox \[0 0 ([\d.]+)/g)).toHaveLength(1); // one page
    expect(Number(pdf.match(/\/MediaBox \[0 0 ([\d.]+)/)![1])).toBeCloseTo((16 / 2.54) * 72, 0); // 16 cm

    // 14. Probing two checkpoints: accuracy per layer with its bootstrap band, and the floor.
    await page.getByRole('checkbox', { name: 'detour · start', exact: true }).check();
    await page.getByRole('checkbox', { name: 'detour · step 10', exact: true }).check();
    await page.getByTestId('probe-run').click();
    const acc = page.locator('[data-testid="figure-probe-domain-detour-start-and-detour-10-accuracy"]');
    // two checkpoints, and the majority-class baseline (always the most frequent label) as the floor
    await expect(acc.locator('path.series')).toHaveCount(3);
    await expect(acc.locator('path.band')).toHaveCount(2);
    await expect(acc.locator('.legend')).toContainText('majority class (“');
    await expect(acc.locator('.legend')).toContainText('detour@10: 95% CI');
    await expect(page.getByTestId('probe-ci-note')).toContainText(/95% bootstrap intervals of the test accuracy, 1000 resamples of the test (word types|examples)/);
    // …and as a checkpoint × layer heatmap: 2 checkpoints × 5 hidden states
    const probeHeat = page.locator('[data-testid="figure-probe-domain-detour-start-and-detour-10-heatmap"]');
    await expect(probeHeat.locator('rect.cell')).toHaveCount(10);
    // A usable map: rows tall enough to read, the figure inside the window, no two x tick labels on
    // top of each other.
    const cellBox = await probeHeat.locator('rect.cell').first().boundingBox();
    expect(cellBox!.height).toBeGreaterThan(24);
    expect(cellBox!.width).toBeGreaterThan(24);
    const svgBox = await probeHeat.locator('svg').boundingBox();
    expect(svgBox!.x + svgBox!.width).toBeLessThanOrEqual(viewport.width);
    const ticks = await probeHeat.locator('.axis.x .tick text').evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => [r.left, r.right]));
    for (let i = 1; i < ticks.length; i++) expect(ticks[i][0]).toBeGreaterThan(ticks[i - 1][1]);
    // 12. Paper edits before export: a legend label renamed; a heatmap's colour range and cell values.
    await acc.getByRole('button', { name: 'Export…' }).click();
    await acc.getByTestId('export-panel').getByLabel('Legend 1').fill('base model');
    await expect(acc.locator('.preview .legend')).toContainText('base model');
    await acc.getByTestId('export-run').click();
    await expect(acc.getByTestId('export-result')).toContainText('probe-domain-detour-start-and-detour-10-accuracy.pdf');
    expect(JSON.parse(fs.readFileSync(path.join(figures, 'probe-domain-detour-start-and-detour-10-accuracy.spec.json'), 'utf8')).data.series[0].name).toBe('base model');
    await probeHeat.getByRole('button', { name: 'Export…' }).click();
    await probeHeat.getByTestId('vmin').fill('0.25');
    await probeHeat.getByTestId('vmax').fill('0.75');
    await probeHeat.getByTestId('cell-values').check();
    await expect(probeHeat.locator('.preview text.cell-value')).toHaveCount(10);
    await expect(probeHeat.locator('.preview .colorbar .tick text').first()).toHaveText('0.3');
    await probeHeat.getByTestId('export-run').click();
    await expect(probeHeat.getByTestId('export-result')).toContainText('probe-domain-detour-start-and-detour-10-heatmap.pdf');
    const heatSpec = JSON.parse(fs.readFileSync(path.join(figures, 'probe-domain-detour-start-and-detour-10-heatmap.spec.json'), 'utf8'));
    expect(heatSpec.data).toMatchObject({ domain: [0.25, 0.75], cellValues: true });
    // The confusion matrix of a chosen checkpoint's probe at a chosen layer: bio / general, each row
    // the share of that gold class, values printed; exported like every figure.
    await page.getByTestId('confusion-checkpoint').selectOption({ label: 'detour@start' });
    await page.getByTestId('confusion-layer').selectOption({ label: '1' });
    const conf = page.locator('[data-testid="figure-probe-domain-detour-start-layer-1-confusion"]');
    await expect(conf.locator('rect.cell')).toHaveCount(4);
    await expect(conf.locator('.axis.y .tick text')).toHaveText(['bio', 'general']);
    await expect(conf.locator('text.cell-value')).toHaveCount(4);
    const confBox = await conf.locator('svg').boundingBox();
    expect(confBox!.x + confBox!.width).toBeLessThanOrEqual(viewport.width);
    await conf.getByRole('button', { name: 'Export…' }).click();
    await conf.getByTestId('export-run').click();
    await expect(conf.getByTestId('export-result')).toContainText('probe-domain-detour-start-layer-1-confusion.pdf');
    expect(fs.readFileSync(path.join(figures, 'probe-domain-detour-start-layer-1-confusion.pdf')).subarray(0, 5).toString()).toBe('%PDF-');
    // 11. Every chart on the page, as drawn at this window size: inside the window, its text inside it.
    expect(await expectFiguresReadable(page, viewport.width)).toBeGreaterThanOrEqual(8);
  }
  await page.setViewportSize({ width: 1440, height: 900 });

  // Trajectory: every checkpoint of the frozen run against the unfrozen run's final checkpoint,
  // exported under the runs' names.
  await page.getByTestId('trajectory-run').selectOption({ label: `detour frozen low (#2)` });
  await page.getByTestId('trajectory-ref').selectOption(b);
  await page.getByRole('button', { name: 'Show trajectory' }).click();
  await expect(page.locator('[data-testid="figure-trajectory-detour-frozen-low-vs-detour-10"] path.series').first()).toBeVisible();
  expect(await expectFiguresReadable(page, 1440)).toBeGreaterThanOrEqual(9);

  // Activations stored before extraction settings were recorded (NULL) still compare, with a caveat shown.
  const db = new Database(path.join(served.current.workspace, 'workbench.db'));
  const changed = db.prepare("UPDATE activations SET extraction = NULL WHERE checkpoint_id = ?").run(Number(a)).changes;
  expect(changed).toBe(5); // the 5 hidden states of A
  db.close();
  await page.getByTestId('compare-run').click();
  await expect(page.getByTestId('compare-warnings')).toContainText('its activations were logged with are unknown');
  await expect(page.getByTestId('compare-summary')).toContainText('12 probe texts · 5 hidden states');
});
