// Done-when of issue 15, end to end: a cluster profile (SSH to a real sshd on 127.0.0.1, host key in
// known_hosts) is added and tested on the Cluster page (connect, sinfo, folders, a probe job on the
// local single-node Slurm), a 2 × 2 tiny sweep (CLM detour / MLM baseline × freeze none / low) is
// loaded into the New run form and launched with "Run on: <profile>" as one job array, the run list
// shows each run's job id and node and follows them to the end, and Compare draws the CKA heatmap of
// two of its runs from the activations that came home.
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { useServe } from './serve-fixture';
import { readmeShot } from './readme-shots';
import { recipePhases, SWEEP_FILE_FORMAT } from '../../src-main/common/sweep';
import { ROOT, SLURM_CONF, slurmAvailable } from '../cluster/slurm';
import { sshdAvailable, startSshd, type TestSshd } from '../cluster/sshd';

const why = sshdAvailable() ?? slurmAvailable();
if (why) console.warn(`skipping the cluster end-to-end test: ${why}`);
test.skip(why !== null, why ?? '');

const served = useServe();
let sshd: TestSshd | undefined;
test.beforeAll(async () => { sshd = await startSshd(); });
test.afterAll(async () => { await sshd?.stop(); });

test('a sweep on Slurm through an SSH profile, followed to the end, compared', async ({ page }) => {
  test.setTimeout(20 * 60_000);
  await page.setViewportSize({ width: 1440, height: 900 });
  const ws = served.current.workspace;
  const profile = {
    name: 'local-ssh', work_dir: path.join(ws, 'cluster-work'), workbench_dir: ROOT, mem: '1G', cpus_per_task: 1, max_parallel: 2, time_limit: '00:20:00',
    login_setup: [`export SLURM_CONF=${SLURM_CONF}`],
    submit: { kind: 'ssh', host: '127.0.0.1', port: sshd!.port, user: sshd!.user, identity_file: sshd!.clientKey, agent: false, known_hosts: sshd!.knownHosts },
  };
  await page.goto(served.current.url);
  await page.getByRole('navigation').getByRole('link', { name: 'Cluster' }).click();
  await expect(page.getByTestId('no-profiles')).toBeVisible();
  // a bad profile is refused with the field named, nothing is written
  await page.getByTestId('profiles-json').fill(JSON.stringify([{ ...profile, mem: 'lots' }]));
  await page.getByTestId('save-profiles').click();
  await expect(page.getByRole('alert').first()).toContainText('profiles[0].mem: not a valid memory');
  await page.getByTestId('profiles-json').fill(JSON.stringify([profile], null, 2));
  await page.getByTestId('save-profiles').click();
  await expect(page.getByTestId('cluster-profile')).toHaveCount(1);
  await expect(page.getByTestId('cluster-profile')).toContainText(`${sshd!.user}@127.0.0.1:${sshd!.port}`);
  await page.getByTestId('test-profile').click();
  await expect(page.getByTestId('test-step')).toHaveCount(4, { timeout: 180_000 });
  await expect(page.getByTestId('test-step').locator('strong')).toHaveText(['✓ connect', '✓ sinfo', '✓ folders', '✓ probe job']);
  await readmeShot(page, 'cluster-profiles.png');

  // the sweep, as a saved form file
  const probe = path.join(ws, 'probe.jsonl');
  const texts = ['inflammation of the liver', 'a bone of the forearm', 'a drug that relieves pain', 'the heart muscle', 'a disease of the lungs', 'a fever with chills',
    'a small boat', 'a wooden chair', 'a song for children', 'a tall building', 'a quick game of cards', 'a long road trip'];
  fs.writeFileSync(probe, texts.map((t, i) => JSON.stringify({ id: String(i), text: t })).join('\n') + '\n');
  const perStep = 32 * 4;
  const sweepFile = path.join(ws, 'tiny-2x2.sweep.json');
  fs.writeFileSync(sweepFile, JSON.stringify({
    format: SWEEP_FILE_FORMAT, version: 1, budget: 4 * perStep,
    base: { model: 'tiny', seq_len: 32, batch_size: 4, threads: 1, data: { corpus: path.join(ROOT, 'fixtures/corpus/wordnet-noun-glosses.txt'), tokenizer: path.join(ROOT, 'fixtures/demo-tokenizer') }, probe_set: { path: probe, poolings: ['mean'], batch_size: 6 } },
    recipes: [
      { name: 'clm-detour', from: 'clm-detour', phases: recipePhases('clm-detour', 4 * perStep, perStep, 1e-3) },
      { name: 'mlm-baseline', from: 'mlm-baseline', phases: recipePhases('mlm-baseline', 4 * perStep, perStep, 1e-3) },
    ],
    freezes: [{ name: 'none', phases: ['none', null] }, { name: 'low', phases: ['low', null] }],
    seeds: [1],
  }, null, 2));
  await page.getByRole('navigation').getByRole('link', { name: 'New run' }).click();
  await page.getByTestId('load-file').setInputFiles(sweepFile);
  await expect(page.getByTestId('launch')).toHaveText('Launch 4 runs', { timeout: 30_000 });
  await expect(page.getByTestId('launch')).toBeEnabled({ timeout: 30_000 });
  await page.getByTestId('run-on').selectOption('local-ssh');
  await page.getByTestId('launch').click();
  await expect(page).toHaveURL(/#\/runs$/, { timeout: 120_000 });
  // one job array: four tasks of one job id
  await expect(page.getByTestId('cluster-job')).toHaveCount(4);
  const jobs = await page.getByTestId('cluster-job').allTextContents();
  const arrayId = /job (\d+)_\d/.exec(jobs[0])![1];
  expect(jobs.map((j) => /job (\d+_\d)/.exec(j)![1]).sort()).toEqual([0, 1, 2, 3].map((i) => `${arrayId}_${i}`));
  await expect(page.getByTestId('run-row-status')).toHaveText(Array(4).fill(/^finished/), { timeout: 15 * 60_000 });
  await expect(page.getByTestId('cluster-job').first()).toContainText('wbnode');
  await readmeShot(page, 'runs-cluster.png');

  await page.getByRole('navigation').getByRole('link', { name: 'Compare' }).click();
  const optionFor = (label: string) => page.getByTestId('pick-a').locator('option', { hasText: label }).first().getAttribute('value');
  const a = await optionFor('clm-detour · freeze none · seed 1 · step 5');
  const b = await optionFor('mlm-baseline · freeze none · seed 1 · step 5');
  expect(a && b).toBeTruthy();
  await page.getByTestId('pick-a').selectOption(a!);
  await page.getByTestId('pick-b').selectOption(b!);
  await expect(page.getByTestId('compare-blocker')).toHaveCount(0);
  await page.getByTestId('compare-run').click();
  await expect(page.getByTestId('compare-summary')).toContainText('12 probe texts · 5 hidden states');
  await expect(page.locator('[data-testid$="-heatmap"]').locator('rect.cell')).toHaveCount(25);
});
