import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAllowedNavigation, isAllowedRequest, secureWebPreferences } from './window-policy';
import { CONTENT_SECURITY_POLICY } from './serve/security';

describe('desktop window hardening', () => {
  it('isolates and sandboxes the renderer, without node', () => {
    const p = secureWebPreferences('/app/out/preload/index.cjs');
    expect(p).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false, webSecurity: true });
    // The main process must actually use these settings.
    const main = fs.readFileSync(path.join(__dirname, 'index.ts'), 'utf8');
    expect(main).toMatch(/webPreferences: secureWebPreferences\(/);
    expect(main).toMatch(/setWindowOpenHandler\([^)]*\)\s*=>|setWindowOpenHandler\(/);
    expect(main).toMatch(/action: 'deny'/);
  });

  it('blocks remote content and allows only local files (and the dev server in dev)', () => {
    expect(isAllowedRequest('file:///app/out/renderer/index.html')).toBe(true);
    expect(isAllowedRequest('https://example.com/x.js')).toBe(false);
    expect(isAllowedRequest('http://127.0.0.1:5173/src/main.ts')).toBe(false);
    expect(isAllowedRequest('http://127.0.0.1:5173/src/main.ts', 'http://127.0.0.1:5173')).toBe(true);
    expect(isAllowedRequest('http://evil.test:5173/', 'http://127.0.0.1:5173')).toBe(false);
    expect(isAllowedRequest('http://10.0.0.1:5173/', 'http://10.0.0.1:5173')).toBe(false);
  });

  it('allows in-page (hash) navigation only', () => {
    const here = 'file:///app/out/renderer/index.html#/runs';
    expect(isAllowedNavigation(here, 'file:///app/out/renderer/index.html#/compare')).toBe(true);
    expect(isAllowedNavigation(here, 'file:///etc/passwd')).toBe(false);
    expect(isAllowedNavigation(here, 'https://example.com/')).toBe(false);
  });

  it('the renderer page and serve mode carry a strict Content-Security-Policy', () => {
    const html = fs.readFileSync(path.join(__dirname, '..', 'src-renderer', 'index.html'), 'utf8');
    const meta = html.match(/http-equiv="Content-Security-Policy"\s+content="([^"]+)"/)?.[1] ?? '';
    for (const csp of [meta, CONTENT_SECURITY_POLICY]) {
      expect(csp).toMatch(/default-src 'self'/);
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      expect(csp).toMatch(/object-src 'none'/);
      expect(csp).not.toMatch(/unsafe-eval/);
      expect(csp).not.toMatch(/https?:/);
    }
  });
});
