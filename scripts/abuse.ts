// `npm run abuse -- --url http://127.0.0.1:PORT/?token=T [--seed N] [--cases N] [--seconds S]`
// Throws at a running `serve` everything issue 12 found and random variations of it: malformed
// cookies, bad WebSocket frames, foreign Origin / Host headers, random bodies and methods, malformed
// HTTP, file-echo probes, oversized figure exports. Bounded in count and time, and 127.0.0.1 only.
// After every batch the server must still answer a normal call; the report lists every broken check.
// (The workspace checks, integrity_check and "no run lost a metric", are made by test/abuse.test.ts,
// which owns the workspace; run against your own server, look at its log and your runs afterwards.)
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';

export interface AbuseOptions { seed?: number; cases?: number; seconds?: number; log?: (line: string) => void }
export interface AbuseReport { cases: number; failures: string[]; seconds: number }

/** Small seeded PRNG (mulberry32): a failing run can be replayed with its --seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Target { host: string; port: number; token: string }

function parseTarget(url: string): Target {
  const u = new URL(url);
  if (u.hostname !== '127.0.0.1' && u.hostname !== 'localhost') throw new Error(`--url must point at 127.0.0.1 or localhost (got ${u.hostname}): this tool only attacks your own machine`);
  const token = u.searchParams.get('token');
  if (!token) throw new Error('--url must carry the token (?token=...) that serve printed');
  return { host: '127.0.0.1', port: Number(u.port), token };
}

function request(t: Target, path: string, o: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.request({ host: t.host, port: t.port, path, method: o.method ?? 'GET', headers: o.headers }, (res) => {
      let body = '';
      res.on('data', (c) => { if (body.length < 1 << 16) body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: -1, body: String(e.message) }));
    if (o.body !== undefined) req.write(o.body);
    req.end();
  });
}

/** Write raw bytes on a fresh TCP connection and collect what comes back until it closes. */
function raw(t: Target, bytes: Buffer | string, waitMs = 1500): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(t.port, t.host);
    let got = '';
    const done = () => { s.destroy(); resolve(got); };
    s.on('data', (b) => { got += b.toString('latin1'); });
    s.on('error', done);
    s.on('close', done);
    s.on('connect', () => s.write(bytes));
    setTimeout(done, waitMs);
  });
}

function upgradeRequest(t: Target, headers: Record<string, string>): string {
  return ['GET /events HTTP/1.1', `Host: 127.0.0.1:${t.port}`, 'Upgrade: websocket', 'Connection: Upgrade',
    `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}`, 'Sec-WebSocket-Version: 13',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n') + '\r\n\r\n';
}

function frame(first: number, payload: Buffer, masked = true): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([first, (masked ? 0x80 : 0) | len]) : Buffer.from([first, (masked ? 0x80 : 0) | 126, len >> 8, len & 255]);
  if (!masked) return Buffer.concat([head, payload]);
  const mask = crypto.randomBytes(4);
  return Buffer.concat([head, mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]))]);
}

export async function runAbuse(url: string, o: AbuseOptions = {}): Promise<AbuseReport> {
  const t = parseTarget(url);
  const rand = rng(o.seed ?? 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
  const maxCases = o.cases ?? 300;
  const deadline = Date.now() + (o.seconds ?? 60) * 1000;
  const log = o.log ?? (() => undefined);
  const failures: string[] = [];
  const auth = { Authorization: `Bearer ${t.token}` };
  const json = { ...auth, 'Content-Type': 'application/json' };
  let cases = 0;
  const t0 = Date.now();

  const alive = async (after: string) => {
    const r = await request(t, '/api/workspaceInfo', { method: 'POST', headers: json, body: '{}' });
    if (r.status !== 200) failures.push(`after ${after}: the server no longer answers a normal call (${r.status} ${r.body.slice(0, 120)})`);
    return r.status === 200;
  };
  const expectStatus = (what: string, got: number, allowed: number[]) => {
    if (!allowed.includes(got)) failures.push(`${what}: status ${got}, expected one of ${allowed.join(', ')}`);
  };

  // Fixed cases first: each one of issue 12's reproductions.
  const fixed: [string, () => Promise<void>][] = [
    ['malformed cookie (HTTP)', async () => expectStatus('malformed cookie', (await request(t, '/', { headers: { Cookie: 'wb_token=%E0%A4%A' } })).status, [401])],
    ['malformed cookie (upgrade)', async () => { const r = await raw(t, upgradeRequest(t, { Cookie: 'wb_token=%E0%A4%A' })); if (!/^HTTP\/1\.1 401/.test(r)) failures.push(`malformed cookie upgrade: ${r.slice(0, 40)}`); }],
    ['WebSocket message over 64 KiB', async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${t.port}/events`, { headers: auth });
      ws.on('error', () => undefined);
      await new Promise((r) => { ws.on('open', r); ws.on('close', r); });
      if (ws.readyState === ws.OPEN) ws.send('x'.repeat(70_000));
      await new Promise((r) => { ws.on('close', r); setTimeout(r, 2000); });
    }],
    ['invalid UTF-8 frame', async () => void (await raw(t, Buffer.concat([Buffer.from(upgradeRequest(t, auth)), frame(0x81, Buffer.from([0xc3, 0x28]))])))],
    ['reserved opcode frame', async () => void (await raw(t, Buffer.concat([Buffer.from(upgradeRequest(t, auth)), frame(0x83, Buffer.from('x'))])))],
    ['unmasked frame', async () => void (await raw(t, Buffer.concat([Buffer.from(upgradeRequest(t, auth)), frame(0x81, Buffer.from('{}'), false)])))],
    ['foreign Origin on /events', async () => { const r = await raw(t, upgradeRequest(t, { ...auth, Origin: 'http://127.0.0.1:1' })); if (!/^HTTP\/1\.1 403/.test(r)) failures.push(`foreign Origin upgrade was not refused: ${r.slice(0, 40)}`); }],
    ['foreign Origin on an API call', async () => expectStatus('foreign Origin POST', (await request(t, '/api/listRuns', { method: 'POST', headers: { ...json, Origin: 'http://localhost:1' }, body: '{}' })).status, [403])],
    ['foreign Host (DNS rebinding)', async () => expectStatus('foreign Host', (await request(t, '/api/listRuns', { method: 'POST', headers: { ...json, Host: `evil.example:${t.port}` }, body: '{}' })).status, [421])],
    ['file contents echoed in errors', async () => {
      const r = await request(t, '/api/validateRunConfig', { method: 'POST', headers: json, body: JSON.stringify({ config: { model: { hf_dir: '/etc' }, data: { corpus: '/etc/passwd', tokenizer: '/etc/passwd' }, seq_len: 8, batch_size: 1, phases: [{ name: 'a', objective: 'mlm', mask_rate: 0.3, steps: 1, lr: { peak: 1e-3 } }] } }) });
      if (/root:x:0:0/.test(r.body)) failures.push('an error message quotes /etc/passwd');
    }],
    ['oversized PNG export', async () => {
      const spec = { version: 1, kind: 'lines', data: { series: [{ name: 'a', x: [0, 1], y: [0, 1] }], xLabel: 'x', yLabel: 'y' }, options: { size: 'acl-full', aspect: 1 } };
      const t1 = Date.now();
      const r = await request(t, '/api/exportFigure', { method: 'POST', headers: json, body: JSON.stringify({ spec, name: 'abuse-huge', formats: ['png'], dpi: 2400 }) });
      expectStatus('oversized PNG', r.status, [400]);
      if (Date.now() - t1 > 3000) failures.push(`oversized PNG took ${Date.now() - t1} ms to refuse`);
    }],
    ['body over 1 MiB', async () => expectStatus('huge body', (await request(t, '/api/listRuns', { method: 'POST', headers: json, body: Buffer.alloc(2 << 20, 0x20) })).status, [413])],
    ['deeply nested JSON', async () => expectStatus('nested JSON', (await request(t, '/api/listRuns', { method: 'POST', headers: json, body: '['.repeat(200_000) })).status, [400])],
    ['malformed HTTP', async () => void (await raw(t, 'GET / HTTP/1.1\r\nHost: \x00\x01\r\nContent-Length: -5\r\n\r\n'))],
  ];
  for (const [name, fn] of fixed) {
    if (cases >= maxCases || Date.now() > deadline) break;
    cases++;
    log(`case ${cases}: ${name}`);
    await fn();
    await alive(name);
  }

  // Random cases: cookies, frames, bodies, methods, paths.
  const methods = ['listRuns', 'getRun', 'createRun', 'cancelRun', 'resumeRun', 'exportFigure', 'validateRunConfig', 'setConcurrency', 'workspaceInfo', 'x'.repeat(300), '%00', '../etc'];
  while (cases < maxCases && Date.now() < deadline) {
    cases++;
    const kind = pick(['cookie', 'frame', 'body', 'path', 'header'] as const);
    let what = kind as string;
    if (kind === 'cookie') {
      const cookie = `wb_token=${bytes(1 + Math.floor(rand() * 40)).toString('latin1').replace(/[\r\n]/g, '%')}`;
      what = `random cookie ${JSON.stringify(cookie).slice(0, 60)}`;
      await raw(t, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\nCookie: ${cookie}\r\nConnection: close\r\n\r\n`, 500);
    } else if (kind === 'frame') {
      const first = Math.floor(rand() * 256);
      const payload = bytes(Math.floor(rand() * 200));
      what = `random frame 0x${first.toString(16)} (${payload.length} bytes)`;
      await raw(t, Buffer.concat([Buffer.from(upgradeRequest(t, auth)), frame(first, payload, rand() < 0.9), bytes(Math.floor(rand() * 20))]), 500);
    } else if (kind === 'body') {
      const m = pick(methods);
      const body = rand() < 0.5 ? bytes(Math.floor(rand() * 2000)) : JSON.stringify({ id: pick([1, -1, 1e308, 'x', null, [], {}]), config: pick([{}, null, 'x', { model: 'tiny' }]), name: pick(['a', '', '\u0000', 'x'.repeat(500)]), concurrency: pick([0, 1, 99, 'a']) });
      what = `random body to ${m.slice(0, 30)}`;
      const r = await request(t, `/api/${encodeURIComponent(m)}`, { method: 'POST', headers: json, body });
      if (r.status >= 500 && r.status !== 503) failures.push(`${what}: status ${r.status} ${r.body.slice(0, 120)}`);
    } else if (kind === 'path') {
      const p = '/' + bytes(Math.floor(rand() * 40)).toString('latin1').replace(/[^\x21-\x7e]/g, '%');
      what = `random path ${JSON.stringify(p).slice(0, 60)}`;
      await raw(t, `GET ${p} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\nAuthorization: Bearer ${t.token}\r\nConnection: close\r\n\r\n`, 500);
    } else {
      const origin = pick(['null', 'http://127.0.0.1:1', `http://127.0.0.1:${t.port}`, 'file://', '\u00ff', 'http://[::1]:1']);
      what = `Origin ${origin}`;
      await request(t, '/api/listRuns', { method: 'POST', headers: { ...json, Origin: origin.replace(/[^\x20-\x7e]/g, '?') }, body: '{}' });
    }
    if (cases % 10 === 0 || kind === 'frame') {
      log(`case ${cases}: ${what}`);
      if (!(await alive(what))) break;
    }
  }
  await alive('the whole run');
  return { cases, failures, seconds: (Date.now() - t0) / 1000 };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { url: { type: 'string' }, seed: { type: 'string', default: '1' }, cases: { type: 'string', default: '300' }, seconds: { type: 'string', default: '60' }, verbose: { type: 'boolean', short: 'v' } } });
  if (!values.url) {
    process.stderr.write('usage: npm run abuse -- --url http://127.0.0.1:PORT/?token=TOKEN [--seed N] [--cases N] [--seconds S] [-v]\n');
    process.exit(2);
  }
  const report = await runAbuse(values.url, { seed: Number(values.seed), cases: Number(values.cases), seconds: Number(values.seconds), log: values.verbose ? (l) => process.stdout.write(l + '\n') : undefined });
  process.stdout.write(`abuse: ${report.cases} cases in ${report.seconds.toFixed(1)} s (seed ${values.seed}); ${report.failures.length ? `${report.failures.length} FAILED:\n  ${report.failures.join('\n  ')}` : 'the server survived and answered every check'}\n`);
  process.exit(report.failures.length ? 1 : 0);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main().catch((e) => { process.stderr.write(`abuse: ${(e as Error).message}\n`); process.exit(2); });
