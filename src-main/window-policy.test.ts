import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_INDEX_URL, appProtocolFile, isAllowedExternal, isAllowedNavigation, isAllowedRequest, isTrustedSender, secureWebPreferences } from './window-policy';
import { CONTENT_SECURITY_POLICY, resolveStatic } from './serve/security';

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
    expect(isAllowedRequest('app://workbench/index.html')).toBe(true);
    expect(isAllowedRequest('app://workbench/assets/index-abc.js')).toBe(true);
    // Item 19: file:// is no longer allowed wholesale, nor another app:// host.
    expect(isAllowedRequest('file:///app/out/renderer/index.html')).toBe(false);
    expect(isAllowedRequest('file:///etc/passwd')).toBe(false);
    expect(isAllowedRequest('app://other/index.html')).toBe(false);
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
      expect(csp).toMatch(/connect-src 'self'(;|$)/); // item 19: no ws:/wss: to any host
    }
  });
});

describe('desktop hardening, issue 12 item 19', () => {
  it('serves the renderer from app://workbench, confined to the renderer folder', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-app-proto-'));
    try {
      fs.mkdirSync(path.join(root, 'renderer', 'assets'), { recursive: true });
      fs.writeFileSync(path.join(root, 'renderer', 'index.html'), '<!doctype html>');
      fs.writeFileSync(path.join(root, 'renderer', 'assets', 'a.js'), '');
      fs.writeFileSync(path.join(root, 'secret.txt'), 'x');
      const dir = path.join(root, 'renderer');
      expect(appProtocolFile(APP_INDEX_URL, dir, resolveStatic)).toBe(fs.realpathSync(path.join(dir, 'index.html')));
      expect(appProtocolFile('app://workbench/assets/a.js', dir, resolveStatic)).toBe(fs.realpathSync(path.join(dir, 'assets', 'a.js')));
      for (const bad of ['app://workbench/../secret.txt', 'app://workbench/%2e%2e/secret.txt', 'app://other/index.html', 'file:///etc/passwd', 'app://workbench/nope.js', 'not a url']) {
        expect(appProtocolFile(bad, dir, resolveStatic), bad).toBeNull();
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('answers IPC only for frames showing our page', () => {
    expect(isTrustedSender('app://workbench/index.html#/runs')).toBe(true);
    expect(isTrustedSender('http://127.0.0.1:5173/', 'http://127.0.0.1:5173')).toBe(true);
    for (const bad of [undefined, '', 'file:///app/out/renderer/index.html', 'https://example.com/', 'app://workbench.evil/x', 'http://127.0.0.1:5173/']) {
      expect(isTrustedSender(bad), String(bad)).toBe(false);
    }
  });

  it('opens only allow-listed https links outside the app', () => {
    expect(isAllowedExternal('https://huggingface.co/answerdotai/ModernBERT-base')).toBe(true);
    expect(isAllowedExternal('https://arxiv.org/abs/2412.13663')).toBe(true);
    for (const bad of ['http://huggingface.co/', 'https://evil.example/', 'https://huggingface.co.evil.example/', 'file:///etc/passwd', 'smb://host/share', 'https://user:pw@github.com/', 'javascript:alert(1)']) {
      expect(isAllowedExternal(bad), bad).toBe(false);
    }
  });

  it('the main process wires all of it', () => {
    const main = fs.readFileSync(path.join(__dirname, 'index.ts'), 'utf8');
    expect(main).toMatch(/registerSchemesAsPrivileged\(\[\{ scheme: APP_SCHEME/);
    expect(main).toMatch(/protocol\.handle\(APP_SCHEME/);
    expect(main).toMatch(/loadURL\(APP_INDEX_URL\)/);
    expect(main).not.toMatch(/loadFile\(/);
    expect(main).toMatch(/setPermissionCheckHandler\(\(\) => false\)/);
    expect(main).toMatch(/if \(isAllowedExternal\(url\)\) void shell\.openExternal\(url\)/);
    expect(main).toMatch(/registerIpcHandlers\([^;]*isTrustedSender\(e\.senderFrame\?\.url, devUrl\)/);
  });
});
