// A new user opens the workbench in browser mode: empty Runs page, every route, a README screenshot.
import { expect, test } from '@playwright/test';
import { useServe } from './serve-fixture';
import { readmeShot } from './readme-shots';

const served = useServe();

test('opens on the Runs page with an empty state that says how to start', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(served.current.url);
  await expect(page).toHaveURL(/#\/runs$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Runs' })).toBeVisible();
  const empty = page.getByTestId('runs-empty');
  await expect(empty).toContainText('No runs yet');
  await expect(empty).toContainText('npm run runner -- train');
  // The footer shows the workspace from the real service, i.e. the API call went through.
  await expect(page.getByTestId('workspace-info')).toContainText(served.current.workspace);
  await expect(page.getByTestId('workspace-info')).toContainText('browser mode');
  // The token was moved from the address bar into an HttpOnly cookie.
  expect(page.url()).not.toContain('token=');
  await readmeShot(page, 'runs-empty.png');
  expect(errors).toEqual([]);
});

test('visits every route from the navigation', async ({ page }) => {
  await page.goto(served.current.url);
  const routes: [string, RegExp, string | null][] = [
    ['New run', /#\/new$/, null],
    ['Compare', /#\/compare$/, 'compare-empty'],
    ['Figures', /#\/figures$/, 'figures-empty'],
    ['Cluster', /#\/cluster$/, 'no-profiles'],
    ['Runs', /#\/runs$/, 'runs-empty'],
  ];
  for (const [label, url, testId] of routes) {
    await page.getByRole('navigation').getByRole('link', { name: label }).click();
    await expect(page).toHaveURL(url);
    await expect(page.getByRole('heading', { level: 1, name: label })).toBeVisible();
    if (testId) await expect(page.getByTestId(testId)).toBeVisible();
  }
});

test('the navigation is usable from the keyboard', async ({ page }) => {
  await page.goto(served.current.url);
  await expect(page.getByTestId('runs-empty')).toBeVisible();
  await page.getByRole('navigation').getByRole('link', { name: 'Runs' }).focus();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/#\/new$/);
});

test('the queue concurrency setting persists in the workspace', async ({ page }) => {
  await page.goto(served.current.url);
  const select = page.getByTestId('concurrency');
  await expect(select).toHaveValue('1');
  await select.selectOption('2');
  await page.reload();
  await expect(page.getByTestId('concurrency')).toHaveValue('2');
  await page.getByTestId('concurrency').selectOption('1');
});

test('a request without the token is refused', async ({ request }) => {
  const origin = new URL(served.current.url).origin;
  const r = await request.get(`${origin}/`);
  expect(r.status()).toBe(401);
  const api = await request.post(`${origin}/api/listRuns`, { data: {} });
  expect(api.status()).toBe(401);
});
