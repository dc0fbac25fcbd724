// Browser mode: the typed API over HTTP (POST /api/<method>) and run events over a WebSocket
// (/events), plus the built renderer as static files. Every request must carry the access token.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { describeZodError, runEventFilter } from '../common/contract';
import { dispatch } from '../ipc/dispatch';
import type { RunEventBus } from '../events';
import type { Services } from '../services';
import { CONTENT_SECURITY_POLICY, resolveStatic, tokenCookie, tokenSource } from './security';

export interface ServeOptions {
  services: Services;
  events: RunEventBus;
  rendererDir: string;   // the built renderer (out/renderer)
  figuresDir?: string;   // exported figures, downloadable under /files/figures/
  token: string;
  host?: string;         // default 127.0.0.1
  port?: number;         // default 0: any free port
}

export interface RunningServer {
  url: string;           // http://host:port/?token=...
  port: number;
  close(): Promise<void>;
}

const MAX_BODY = 1 << 20;

const STATUS_OF: Record<string, number> = { ValidationError: 400, Unauthorized: 401, NotFoundError: 404, ConflictError: 409, UnknownMethodError: 404, PayloadTooLarge: 413, UnsupportedMediaType: 415 };

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json',
  '.pdf': 'application/pdf', '.woff2': 'font/woff2', '.woff': 'font/woff', '.ttf': 'font/ttf', '.ico': 'image/x-icon', '.map': 'application/json',
};

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: http.ServerResponse, name: string, message: string): void {
  sendJson(res, STATUS_OF[name] ?? 500, { ok: false, error: { name, message } });
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      // Past the limit, keep draining (so the 413 reaches the client) but stop buffering.
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY) reject(Object.assign(new Error(`request body larger than ${MAX_BODY} bytes`), { name: 'PayloadTooLarge' }));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

async function handleApi(opts: ServeOptions, method: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (req.method !== 'POST') return sendError(res, 'ValidationError', `${method}: use POST with a JSON body`);
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
    // Requiring JSON also forces a CORS preflight on cross-site requests, which we never answer.
    return sendError(res, 'UnsupportedMediaType', `${method}: Content-Type must be application/json`);
  }
  let payload: unknown;
  try {
    const text = await readBody(req);
    payload = text.trim() === '' ? {} : JSON.parse(text);
  } catch (err) {
    const e = err as Error;
    return sendError(res, e.name === 'PayloadTooLarge' ? 'PayloadTooLarge' : 'ValidationError', `${method}: ${e.name === 'PayloadTooLarge' ? e.message : `body is not valid JSON (${e.message})`}`);
  }
  const result = await dispatch(opts.services, method, payload);
  if (result.ok) sendJson(res, 200, result);
  else sendError(res, result.error.name, result.error.message);
}

function serveStatic(opts: ServeOptions, url: URL, setCookie: boolean, res: http.ServerResponse): void {
  const file = resolveStatic(opts.rendererDir, url.pathname);
  if (!file) return sendError(res, 'NotFoundError', `no such file: ${url.pathname}`);
  const headers: Record<string, string> = {
    'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  };
  if (setCookie) headers['Set-Cookie'] = tokenCookie(opts.token);
  res.writeHead(200, headers);
  fs.createReadStream(file).pipe(res);
}

function handleSocket(opts: ServeOptions, ws: WebSocket): void {
  const subs = new Map<string, () => void>();
  ws.on('message', (raw) => {
    let msg: { op?: unknown; subId?: unknown; filter?: unknown };
    try {
      msg = JSON.parse(String(raw));
    } catch {
      ws.send(JSON.stringify({ error: { name: 'ValidationError', message: 'event message is not valid JSON' } }));
      return;
    }
    const subId = typeof msg.subId === 'string' ? msg.subId : null;
    if (!subId) return void ws.send(JSON.stringify({ error: { name: 'ValidationError', message: 'subId: expected a string' } }));
    if (msg.op === 'subscribe') {
      const parsed = runEventFilter.safeParse(msg.filter ?? {});
      if (!parsed.success) return void ws.send(JSON.stringify({ subId, error: { name: 'ValidationError', message: describeZodError('subscribeRunEvents', parsed.error) } }));
      subs.get(subId)?.();
      subs.set(subId, opts.events.subscribe(parsed.data, (event) => ws.send(JSON.stringify({ subId, event }))));
    } else if (msg.op === 'unsubscribe') {
      subs.get(subId)?.();
      subs.delete(subId);
    } else {
      ws.send(JSON.stringify({ subId, error: { name: 'ValidationError', message: `op: expected "subscribe" or "unsubscribe"` } }));
    }
  });
  ws.on('close', () => subs.forEach((off) => off()));
}

export function startServer(opts: ServeOptions): Promise<RunningServer> {
  if (!fs.existsSync(path.join(opts.rendererDir, 'index.html'))) {
    throw new Error(`the built renderer is missing: ${path.join(opts.rendererDir, 'index.html')} (run \`npm run build\`)`);
  }
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const source = tokenSource(req, url, opts.token);
    if (!source) return sendError(res, 'Unauthorized', 'missing or wrong access token: open the URL that `npm run serve` printed');
    if (url.pathname.startsWith('/api/')) {
      handleApi(opts, url.pathname.slice(5), req, res).catch((err) => sendError(res, 'InternalError', String(err)));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 'ValidationError', `${req.method} is not allowed on static files`);
    if (url.pathname.startsWith('/files/figures/') && opts.figuresDir) {
      fs.mkdirSync(opts.figuresDir, { recursive: true });
      const file = resolveStatic(opts.figuresDir, url.pathname.slice('/files/figures'.length));
      if (!file || file.endsWith(path.sep + 'index.html')) return sendError(res, 'NotFoundError', `no such figure file: ${url.pathname}`);
      res.writeHead(200, {
        'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream',
        'Content-Disposition': `attachment; filename="${path.basename(file)}"`,
        'X-Content-Type-Options': 'nosniff',
        'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
      });
      fs.createReadStream(file).pipe(res);
      return;
    }
    serveStatic(opts, url, source === 'query', res);
  });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/events' || !tokenSource(req, url, opts.token)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => handleSocket(opts, ws));
  });
  const host = opts.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      const port = (server.address() as AddressInfo).port;
      const shownHost = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${shownHost}:${port}/?token=${opts.token}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            for (const c of wss.clients) c.terminate();
            wss.close();
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
