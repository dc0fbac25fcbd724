// Issue 12 items 1-3 from a real browser: a page on another 127.0.0.1 port (cookies ignore ports, so
// it carries the workbench's cookie) tries to read the event stream, call the API, plant a malformed
// cookie and send oversized frames. Nothing opens, nothing is read, and the server keeps answering.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { expect, test } from '@playwright/test';
import { useServe } from './serve-fixture';

// This spec needs no built UI: a stand-in page is enough to receive the token cookie.
const rendererDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-e2e-renderer-'));
fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>workbench</title>');
const served = useServe(['--renderer', rendererDir]);

const ATTACKER_PAGE = `<!doctype html><title>elsewhere</title><script>
window.attack = async (target) => {
  const out = {};
  out.ws = await new Promise((resolve) => {
    const ws = new WebSocket('ws://' + target + '/events');
    const got = [];
    let opened = false;
    ws.onopen = () => { opened = true; ws.send(JSON.stringify({ op: 'subscribe', subId: 'x', filter: {} })); ws.send('x'.repeat(70000)); };
    ws.onmessage = (m) => got.push(String(m.data));
    ws.onclose = (e) => resolve({ opened, code: e.code, got });
    setTimeout(() => resolve({ opened, got }), 3000);
  });
  try {
    const r = await fetch('http://' + target + '/api/listRuns', { method: 'POST', credentials: 'include', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    out.fetch = { status: r.status, body: await r.text() };
  } catch (e) { out.fetch = { error: String(e) }; }
  try {
    await fetch('http://' + target + '/api/createRun', { method: 'POST', mode: 'no-cors', credentials: 'include', body: '{"config":{}}' });
    out.noCors = 'sent';
  } catch (e) { out.noCors = String(e); }
  document.cookie = 'wb_token=%E0%A4%A; path=/';
  try { await fetch('http://' + target + '/', { mode: 'no-cors', credentials: 'include' }); } catch {}
  await new Promise((resolve) => { const ws = new WebSocket('ws://' + target + '/events'); ws.onclose = ws.onerror = resolve; setTimeout(resolve, 2000); });
  return out;
};
</script>`;

test('a page on another localhost port can neither read events or runs nor crash the server', async ({ page }) => {
  const attacker = http.createServer((_req, res) => { res.writeHead(200, { 'Content-Type': 'text/html' }); res.end(ATTACKER_PAGE); });
  await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', () => r()));
  const attackerPort = (attacker.address() as AddressInfo).port;
  try {
    const url = new URL(served.current.url);
    await page.goto(served.current.url); // the user opens the workbench: the token cookie is set
    const cookies = await page.context().cookies(url.origin);
    expect(cookies.map((c) => c.name)).toContain('wb_token');
    await page.goto(`http://127.0.0.1:${attackerPort}/`);
    const result = await page.evaluate((target) => (window as unknown as { attack(t: string): Promise<any> }).attack(target), url.host);
    expect(result.ws.opened).toBe(false);
    expect(result.ws.got).toEqual([]);
    expect(result.fetch.body ?? '').not.toContain('"ok":true');
    // The server is alive, and the user's own page still works with its own socket.
    const token = url.searchParams.get('token')!;
    const info = await fetch(`${url.origin}/api/workspaceInfo`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: '{}' });
    expect(info.status).toBe(200);
    await page.goto(served.current.url);
    const own = await page.evaluate((target) => new Promise((resolve) => {
      const ws = new WebSocket(`ws://${target}/events`);
      ws.onopen = () => { ws.send('x'.repeat(70000)); };
      ws.onclose = (e) => resolve(e.code);
      setTimeout(() => resolve('timeout'), 3000);
    }), url.host);
    expect(own).toBe(1009); // too big: that socket closes, the server stays
    const again = await fetch(`${url.origin}/api/workspaceInfo`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: '{}' });
    expect(again.status).toBe(200);
  } finally {
    attacker.close();
  }
});

test.afterAll(() => fs.rmSync(rendererDir, { recursive: true, force: true }));
