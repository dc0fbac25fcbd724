// README screenshots (docs/images/*.png) are rewritten only when asked: UPDATE_SCREENSHOTS=1.
// A plain `npm test` must leave the checkout clean, so without the flag the picture still gets taken
// (the page is rendered and captured the same way, so a capture failure still fails the test) but it
// lands in test-results/screenshots/, which git ignores.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** True when this run should rewrite the README's screenshots. */
export const updateScreenshots = process.env.UPDATE_SCREENSHOTS === '1';

/** Where a screenshot named `name` (e.g. "compare.png") goes in this run. */
export function shotPath(name: string): string {
  return updateScreenshots ? path.join(root, 'docs/images', name) : path.join(root, 'test-results/screenshots', name);
}

/** Capture the page for the README (docs/images only under UPDATE_SCREENSHOTS=1). */
export async function readmeShot(page: Page, name: string, opts: { fullPage?: boolean; top?: boolean } = {}): Promise<void> {
  if (opts.top) await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: shotPath(name), fullPage: opts.fullPage ?? false });
}
