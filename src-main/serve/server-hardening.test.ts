// Serve mode under hostile input, over real sockets: malformed cookies, bad WebSocket frames,
// foreign Origin / Host headers, and a failing request must each be refused or answered with an
// error while the server keeps answering the next normal call.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspaceDb, type Db } from '../store/db';
import { createServices } from '../services';
import { RunEventBus } from '../events';
import { startServer, type RunningServer } from './server';

const TOKEN = 'test-token-hardening-0123';
let tmp: string;
let db: Db;
let server: RunningServer;
const logged: string[] = [];
const events = new RunEventBus();

function request(rawPath: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path: rawPath, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    // A server that died or hangs must fail the test quickly, not at the 120 s test timeout.
    req.setTimeout(5000, () => req.destroy(new Error('no answer within 5 s')));
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

const auth = { Authorization: `Bearer ${TOKEN}` };
const json = { ...auth, 'Content-Type': 'application/json' };
const ours = () => `http://127.0.0.1:${server.port}`;

async function stillAnswers(): Promise<void> {
  const r = await request('/api/workspaceInfo', { method: 'POST', headers: json, body: '{}' });
  expect(r.status).toBe(200);
}

/** Open a WebSocket with a raw TCP handshake, so we can then write any bytes as frames. */
function rawSocket(headers: Record<string, string> = {}): Promise<{ socket: net.Socket; status: string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, '127.0.0.1');
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('error', () => undefined);
    let buf = '';
    socket.once('connect', () => {
      const lines = [
        'GET /events HTTP/1.1',
        `Host: 127.0.0.1:${server.port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}`,
        'Sec-WebSocket-Version: 13',
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      ];
      socket.write(lines.join('\r\n') + '\r\n\r\n');
    });
    const onData = (b: Buffer) => {
      buf += b.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end >= 0) {
        socket.off('data', onData);
        resolve({ socket, status: buf.split('\r\n')[0], closed });
      }
    };
    socket.on('data', onData);
    setTimeout(() => reject(new Error('no handshake answer')), 5000);
  });
}

/** A masked client frame (clients must mask) with the given first byte (FIN + opcode). */
function frame(firstByte: number, payload: Buffer): Buffer {
  const mask = crypto.randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
  const len = payload.length;
  const header = len < 126 ? Buffer.from([firstByte, 0x80 | len]) : Buffer.from([firstByte, 0x80 | 126, len >> 8, len & 255]);
  return Buffer.concat([header, mask, masked]);
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-serve-hard-'));
  const rendererDir = path.join(tmp, 'renderer');
  fs.mkdirSync(rendererDir);
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>wb</title>');
  db = openWorkspaceDb(path.join(tmp, 'ws'));
  const services = createServices({ db, workspaceDir: path.join(tmp, 'ws'), mode: 'serve', events });
  // The figures folder sits under a regular file, so creating it fails on every download.
  fs.writeFileSync(path.join(tmp, 'not-a-dir'), '');
  server = await startServer({ services, events, rendererDir, figuresDir: path.join(tmp, 'not-a-dir', 'figures'), token: TOKEN, port: 0, log: (m) => logged.push(m) });
});
afterAll(async () => {
  await server.close();
  db.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('serve: malformed cookies (item 1)', () => {
  it.each(['wb_token=%E0%A4%A', 'wb_token=%', 'a=1; wb_token=%zz%', `wb_token=${'%'.repeat(40)}`])('answers 401 for Cookie %s and keeps serving', async (cookie) => {
    const r = await request('/', { headers: { Cookie: cookie } });
    expect(r.status).toBe(401);
    await stillAnswers();
  });
  it('refuses a WebSocket upgrade with a malformed cookie and keeps serving', async () => {
    const { status, socket } = await rawSocket({ Cookie: 'wb_token=%E0%A4%A' });
    expect(status).toMatch(/401/);
    socket.destroy();
    await stillAnswers();
  });
});

describe('serve: bad WebSocket frames (item 2)', () => {
  it('survives a message over 64 KiB', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events`, { headers: auth });
    await new Promise((r) => ws.on('open', r));
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.on('error', () => undefined);
    ws.send('x'.repeat(70_000));
    expect(await closed).toBe(1009);
    await stillAnswers();
  });
  it.each([
    ['invalid UTF-8 in a text frame', frame(0x81, Buffer.from([0xc3, 0x28, 0xa0, 0xa1]))],
    ['a reserved opcode', frame(0x83, Buffer.from('hi'))],
    ['a reserved bit set', frame(0xc1, Buffer.from('hi'))],
    ['an unmasked client frame', Buffer.from([0x81, 0x02, 0x68, 0x69])],
    ['a fragmented control frame', frame(0x09, Buffer.from('ping'))],
  ])('survives %s', async (_name, bytes) => {
    const { socket, status, closed } = await rawSocket(auth);
    expect(status).toMatch(/101/);
    socket.write(bytes);
    await closed;
    await stillAnswers();
  });
  it('answers a binary or non-object message with an error, on a socket that stays open', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events`, { headers: auth });
    await new Promise((r) => ws.on('open', r));
    const got: unknown[] = [];
    ws.on('message', (m) => got.push(JSON.parse(String(m))));
    ws.send(Buffer.from([1, 2, 3]));
    ws.send('null');
    ws.send('"text"');
    await new Promise((r) => setTimeout(r, 150));
    expect(got).toHaveLength(3);
    for (const g of got) expect(g).toMatchObject({ error: { name: 'ValidationError' } });
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
  });
});

describe('serve: Origin and Host checks (item 3)', () => {
  it('refuses a WebSocket upgrade from another origin, even with the token', async () => {
    for (const origin of ['http://127.0.0.1:1', 'http://localhost:9', 'null', 'http://evil.example']) {
      const { status, socket } = await rawSocket({ ...auth, Origin: origin });
      expect(status, origin).toMatch(/403/);
      socket.destroy();
    }
  });
  it('accepts a WebSocket upgrade from the served origin (127.0.0.1 and localhost)', async () => {
    for (const origin of [ours(), `http://localhost:${server.port}`]) {
      const { status, socket } = await rawSocket({ ...auth, Origin: origin });
      expect(status, origin).toMatch(/101/);
      socket.destroy();
    }
  });
  it('refuses state-changing calls from another origin or another site, even with the token', async () => {
    const foreign = await request('/api/workspaceInfo', { method: 'POST', headers: { ...json, Origin: 'http://127.0.0.1:1' }, body: '{}' });
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body).error.message).toMatch(/cross-origin/);
    const sameSite = await request('/api/workspaceInfo', { method: 'POST', headers: { ...json, 'Sec-Fetch-Site': 'same-site' }, body: '{}' });
    expect(sameSite.status).toBe(403);
    const own = await request('/api/workspaceInfo', { method: 'POST', headers: { ...json, Origin: ours(), 'Sec-Fetch-Site': 'same-origin' }, body: '{}' });
    expect(own.status).toBe(200);
  });
  it('refuses any request whose Host is not this server (DNS rebinding)', async () => {
    for (const host of [`evil.example:${server.port}`, '127.0.0.1:1', 'localhost']) {
      const r = await request('/api/workspaceInfo', { method: 'POST', headers: { ...json, Host: host }, body: '{}' });
      expect(r.status, host).toBe(421);
      expect(r.body).not.toContain('"ok":true');
    }
    const ws = await rawSocket({ ...auth }).then(async (ok) => (ok.socket.destroy(), ok.status));
    expect(ws).toMatch(/101/);
  });
});

describe('serve: one failing request does not end the server (item 4)', () => {
  it('answers 500, logs the cause, and answers the next call', async () => {
    const before = logged.length;
    const r = await request('/files/figures/cka.svg', { headers: auth });
    expect(r.status).toBe(500);
    expect(JSON.parse(r.body).error.name).toBe('InternalError');
    expect(r.body).not.toMatch(/ENOTDIR|at .*\.ts/); // the cause goes to the log, not to the client
    expect(logged.slice(before).join('\n')).toMatch(/ENOTDIR/);
    await stillAnswers();
  });
  it('survives malformed HTTP', async () => {
    const socket = net.connect(server.port, '127.0.0.1');
    const answer = await new Promise<string>((resolve) => {
      let got = '';
      socket.on('data', (b) => (got += b));
      socket.on('close', () => resolve(got));
      socket.on('error', () => resolve(got));
      socket.write('GARBAGE \x00\x01 HTTP/9\r\n\r\n');
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    await stillAnswers();
  });
});
