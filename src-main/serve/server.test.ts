// The serve transport over real sockets: token checks, static-file confinement, API errors, events.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspaceDb, type Db } from '../store/db';
import { createServices } from '../services';
import { RunEventBus } from '../events';
import { startServer, type RunningServer } from './server';

const TOKEN = 'test-token-0123456789';
let tmp: string;
let rendererDir: string;
let db: Db;
let server: RunningServer;
const events = new RunEventBus();

/** Raw request: the path goes on the wire exactly as given (no client-side URL normalisation). */
function request(rawPath: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path: rawPath, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

const auth = { Authorization: `Bearer ${TOKEN}` };
const json = { ...auth, 'Content-Type': 'application/json' };

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-serve-'));
  rendererDir = path.join(tmp, 'renderer');
  fs.mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>wb</title>');
  fs.writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  fs.writeFileSync(path.join(tmp, 'secret.txt'), 'TOP SECRET');
  fs.symlinkSync(path.join(tmp, 'secret.txt'), path.join(rendererDir, 'assets', 'link.txt'));
  db = openWorkspaceDb(path.join(tmp, 'ws'));
  const services = createServices({ db, workspaceDir: path.join(tmp, 'ws'), mode: 'serve', events });
  fs.mkdirSync(path.join(tmp, 'figures'));
  fs.writeFileSync(path.join(tmp, 'figures', 'cka.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  server = await startServer({ services, events, rendererDir, figuresDir: path.join(tmp, 'figures'), token: TOKEN, port: 0 });
});
afterAll(async () => {
  await server.close();
  db.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('serve: access token', () => {
  it('prints a loopback URL that carries the token', () => {
    expect(server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/\\?token=${TOKEN}$`));
  });
  it.each(['/', '/index.html', '/assets/app.js', '/api/listRuns', '/api/nope'])('refuses %s without the token', async (p) => {
    const r = await request(p, { method: p.startsWith('/api') ? 'POST' : 'GET', headers: { 'Content-Type': 'application/json' }, body: p.startsWith('/api') ? '{}' : undefined });
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { name: 'Unauthorized' } });
  });
  it('refuses a wrong token of the same length and a wrong cookie', async () => {
    expect((await request(`/?token=${'x'.repeat(TOKEN.length)}`)).status).toBe(401);
    expect((await request('/', { headers: { Cookie: 'wb_token=nope' } })).status).toBe(401);
  });
  it('accepts the token in the query, then by cookie, with a strict CSP', async () => {
    const first = await request(`/?token=${TOKEN}`);
    expect(first.status).toBe(200);
    expect(first.body).toContain('<title>wb</title>');
    expect(first.headers['content-security-policy']).toContain("default-src 'self'");
    const cookie = String(first.headers['set-cookie']).split(';')[0];
    expect(String(first.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
    const asset = await request('/assets/app.js', { headers: { Cookie: cookie } });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
  });
});

describe('serve: static files stay inside the renderer folder', () => {
  it.each([
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/..%5csecret.txt',
    '/assets/link.txt',
    '/index.html%00.js',
    '/%E0%A4%A',
  ])('refuses %s', async (p) => {
    const r = await request(p, { headers: auth });
    expect([404, 400]).toContain(r.status);
    expect(r.body).not.toContain('TOP SECRET');
  });
  it('refuses absolute paths built at run time', async () => {
    const r = await request('/' + encodeURIComponent(path.join(tmp, 'secret.txt')), { headers: auth });
    expect(r.status).toBe(404);
    expect(r.body).not.toContain('TOP SECRET');
  });
});

describe('serve: exported figures', () => {
  it('downloads a figure with the token, as an attachment', async () => {
    expect((await request('/files/figures/cka.svg')).status).toBe(401);
    const r = await request('/files/figures/cka.svg', { headers: auth });
    expect(r.status).toBe(200);
    expect(r.headers['content-disposition']).toBe('attachment; filename="cka.svg"');
    expect(r.body).toContain('<svg');
  });
  it.each(['/files/figures/../secret.txt', '/files/figures/%2e%2e/secret.txt', '/files/figures/', '/files/figures/nope.pdf'])('refuses %s', async (p) => {
    const r = await request(p, { headers: auth });
    expect(r.status).toBe(404);
    expect(r.body).not.toContain('TOP SECRET');
  });
});

describe('serve: API over HTTP', () => {
  it('answers a valid call', async () => {
    const r = await request('/api/listRuns', { method: 'POST', headers: json, body: '{"limit": 5}' });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ ok: true, value: [] });
  });
  it('rejects malformed JSON, wrong content type, GET, unknown methods and bad fields with structured errors', async () => {
    const bad = await request('/api/listRuns', { method: 'POST', headers: json, body: '{"limit": ' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toMatchObject({ name: 'ValidationError', message: expect.stringMatching(/not valid JSON/) });
    expect((await request('/api/listRuns', { method: 'POST', headers: { ...auth, 'Content-Type': 'text/plain' }, body: '{}' })).status).toBe(415);
    expect((await request('/api/listRuns', { headers: auth })).status).toBe(400);
    const unknown = await request('/api/dropTables', { method: 'POST', headers: json, body: '{}' });
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error.name).toBe('UnknownMethodError');
    const field = await request('/api/getRun', { method: 'POST', headers: json, body: '{"id": "seven"}' });
    expect(field.status).toBe(400);
    expect(JSON.parse(field.body).error.message).toMatch(/getRun: invalid input: id:/);
    const big = await request('/api/listRuns', { method: 'POST', headers: json, body: JSON.stringify({ pad: 'x'.repeat(2 << 20) }) });
    expect(big.status).toBe(413);
    // The server is still alive after all of that.
    expect((await request('/api/workspaceInfo', { method: 'POST', headers: json, body: '{}' })).status).toBe(200);
  });
});

describe('serve: run events over WebSocket', () => {
  const wsUrl = () => `ws://127.0.0.1:${server.port}/events`;
  it('refuses a socket without the token', async () => {
    const ws = new WebSocket(wsUrl());
    const outcome = await new Promise<string>((resolve) => {
      ws.on('open', () => resolve('open'));
      ws.on('error', (e) => resolve(String(e.message)));
    });
    expect(outcome).toMatch(/401/);
  });
  it('delivers events matching a validated filter, and rejects a bad filter', async () => {
    const ws = new WebSocket(wsUrl(), { headers: auth });
    await new Promise((r) => ws.on('open', r));
    const received: unknown[] = [];
    ws.on('message', (m) => received.push(JSON.parse(String(m))));
    ws.send(JSON.stringify({ op: 'subscribe', subId: 'a', filter: { runId: 7 } }));
    ws.send(JSON.stringify({ op: 'subscribe', subId: 'b', filter: { runId: 'seven' } }));
    await new Promise((r) => setTimeout(r, 100));
    events.emit({ type: 'run-status', runId: 8, status: 'running', error: null });
    events.emit({ type: 'run-status', runId: 7, status: 'finished', error: null });
    await new Promise((r) => setTimeout(r, 100));
    expect(received).toContainEqual({ subId: 'a', event: { type: 'run-status', runId: 7, status: 'finished', error: null } });
    expect(received).toContainEqual({ subId: 'b', error: { name: 'ValidationError', message: expect.stringMatching(/runId/) } });
    expect(received.filter((m) => (m as { event?: { runId: number } }).event?.runId === 8)).toHaveLength(0);
    ws.close();
  });
});
