// --tls-cert / --tls-key: serve over HTTPS (and WSS) for a workbench others can reach (item 5).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { openWorkspaceDb } from '../store/db';
import { createServices } from '../services';
import { RunEventBus } from '../events';
import { startServer } from './server';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-tls-'));
const db = openWorkspaceDb(path.join(tmp, 'ws'));
afterAll(() => {
  db.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('serve over TLS (item 5)', () => {
  it('answers HTTPS and WSS with the token, and prints an https URL', async () => {
    const cert = path.join(tmp, 'cert.pem'), key = path.join(tmp, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    fs.mkdirSync(path.join(tmp, 'renderer'));
    fs.writeFileSync(path.join(tmp, 'renderer', 'index.html'), '<!doctype html>');
    const events = new RunEventBus();
    const server = await startServer({ services: createServices({ db, workspaceDir: path.join(tmp, 'ws'), mode: 'serve', events }), events, rendererDir: path.join(tmp, 'renderer'), token: 'tls-token-0123456789', port: 0, tls: { cert: fs.readFileSync(cert), key: fs.readFileSync(key) } });
    try {
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/\?token=tls-token-0123456789$/);
      const status = await new Promise<number>((resolve, reject) => {
        const req = https.request({ host: '127.0.0.1', port: server.port, path: '/api/workspaceInfo', method: 'POST', ca: fs.readFileSync(cert), headers: { 'Content-Type': 'application/json', Authorization: 'Bearer tls-token-0123456789' } }, (res) => { res.resume(); resolve(res.statusCode!); });
        req.on('error', reject);
        req.end('{}');
      });
      expect(status).toBe(200);
      const ws = new WebSocket(`wss://127.0.0.1:${server.port}/events`, { headers: { Authorization: 'Bearer tls-token-0123456789' }, ca: fs.readFileSync(cert) });
      await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
      ws.close();
    } finally {
      await server.close();
    }
  });
});
