// Browser mode: the typed API over HTTP (POST /api/<method>) and run events over a WebSocket
// (/events), plus the built renderer as static files. Every request must carry the access token.
import http from 'node:http';
import https from 'node:https';
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { describeZodError, runEventFilter } from '../common/contract';
import { dispatch } from '../ipc/dispatch';
import type { RunEventBus } from '../events';
import type { Services } from '../services';
import { CONTENT_SECURITY_POLICY, MIME, resolveStatic, tokenCookie, tokenSource } from './security';
import { allowedHostHeaders, checkFetchSite, checkHost, checkOrigin, type OriginVerdict } from './origin-check';

export interface ServeOptions {
  services: Services;
  events: RunEventBus;
  rendererDir: string;   // the built renderer (out/renderer)
  figuresDir?: string;   // exported figures, downloadable under /files/figures/
  token: string;
  host?: string;         // default 127.0.0.1
  port?: number;         // default 0: any free port
  tls?: { cert: Buffer; key: Buffer }; // serve HTTPS (for a workbench reachable from other machines)
  allowHosts?: string[]; // further names the browser may use for this server (Host / Origin checks)
  log?: (message: string) => void; // where caught errors go (default: stderr)
}

export interface RunningServer {
  url: string;           // http://host:port/?token=...
  port: number;
  close(): Promise<void>;
}

const MAX_BODY = 1 << 20;

const STATUS_OF: Record<string, number> = { ValidationError: 400, Unauthorized: 401, Forbidden: 403, MisdirectedRequest: 421, WorkspaceBusy: 503, NotFoundError: 404, ConflictError: 409, UnknownMethodError: 404, PayloadTooLarge: 413, UnsupportedMediaType: 415 };


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
  streamFile(file, headers, res, opts);
}

/** Stream a file; a read error (removed, unreadable) answers 500 or cuts the reply, never throws. */
function streamFile(file: string, headers: Record<string, string>, res: http.ServerResponse, opts: ServeOptions): void {
  const stream = fs.createReadStream(file);
  stream.on('error', (err) => {
    logError(opts, `reading ${file}`, err);
    if (!res.headersSent) sendError(res, 'InternalError', `cannot read ${path.basename(file)}`);
    else res.destroy();
  });
  stream.once('open', () => {
    res.writeHead(200, headers);
    stream.pipe(res);
  });
}

function logError(opts: ServeOptions, where: string, err: unknown): void {
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  (opts.log ?? ((m: string) => process.stderr.write(m + '\n')))(`serve: ${where}: ${text}`);
}

function handleSocket(opts: ServeOptions, ws: WebSocket): void {
  const subs = new Map<string, () => void>();
  // ws reports a bad frame (too large, invalid UTF-8, unknown opcode) as an 'error' event and then
  // closes the socket; without a listener that event is an uncaught exception.
  ws.on('error', (err) => logError(opts, 'event socket', err));
  const send = (value: unknown) => {
    if (ws.readyState !== ws.OPEN) return;
    try {
      ws.send(JSON.stringify(value));
    } catch (err) {
      logError(opts, 'event socket send', err);
    }
  };
  ws.on('message', (raw, isBinary) => {
    try {
      onSocketMessage(opts, raw, isBinary, subs, send);
    } catch (err) {
      logError(opts, 'event socket message', err);
      send({ error: { name: 'InternalError', message: 'the server could not handle that message' } });
    }
  });
  ws.on('close', () => subs.forEach((off) => off()));
}

function onSocketMessage(opts: ServeOptions, raw: WebSocket.RawData, isBinary: boolean, subs: Map<string, () => void>, send: (v: unknown) => void): void {
  {
    if (isBinary) return send({ error: { name: 'ValidationError', message: 'event messages are JSON text, not binary' } });
    let msg: { op?: unknown; subId?: unknown; filter?: unknown };
    try {
      msg = JSON.parse(String(raw));
    } catch {
      return send({ error: { name: 'ValidationError', message: 'event message is not valid JSON' } });
    }
    if (!msg || typeof msg !== 'object') return send({ error: { name: 'ValidationError', message: 'event message must be a JSON object' } });
    const subId = typeof msg.subId === 'string' && msg.subId.length <= 200 ? msg.subId : null;
    if (!subId) return send({ error: { name: 'ValidationError', message: 'subId: expected a string (at most 200 characters)' } });
    if (msg.op === 'subscribe') {
      const parsed = runEventFilter.safeParse(msg.filter ?? {});
      if (!parsed.success) return send({ subId, error: { name: 'ValidationError', message: describeZodError('subscribeRunEvents', parsed.error) } });
      if (!subs.has(subId) && subs.size >= MAX_SUBSCRIPTIONS) return send({ subId, error: { name: 'ValidationError', message: `at most ${MAX_SUBSCRIPTIONS} subscriptions per socket` } });
      subs.get(subId)?.();
      // send() never throws, so a dead socket cannot break the event bus for other listeners.
      subs.set(subId, opts.events.subscribe(parsed.data, (event) => send({ subId, event })));
    } else if (msg.op === 'unsubscribe') {
      subs.get(subId)?.();
      subs.delete(subId);
    } else {
      send({ subId, error: { name: 'ValidationError', message: `op: expected "subscribe" or "unsubscribe"` } });
    }
  }
}

const MAX_SUBSCRIPTIONS = 64;

export function startServer(opts: ServeOptions): Promise<RunningServer> {
  if (!fs.existsSync(path.join(opts.rendererDir, 'index.html'))) {
    throw new Error(`the built renderer is missing: ${path.join(opts.rendererDir, 'index.html')} (run \`npm run build\`)`);
  }
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  wss.on('error', (err) => logError(opts, 'WebSocket server', err));
  // Filled in once listen() has picked the port.
  let allowed = new Set<string>();
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    // One catch-all per request: whatever throws, this request gets a 500 and the server goes on.
    try {
      handleRequest(req, res);
    } catch (err) {
      failRequest(res, 'request', err);
    }
  };
  const server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, onRequest) : http.createServer(onRequest);
  const failRequest = (res: http.ServerResponse, where: string, err: unknown) => {
    logError(opts, where, err);
    if (!res.headersSent) sendError(res, 'InternalError', 'the server failed on this request (details in its log)');
    else res.destroy();
  };
  const refuse = (res: http.ServerResponse, name: string, verdict: OriginVerdict) => sendError(res, name, verdict.ok ? '' : verdict.reason);
  const handleRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    req.on('error', (err) => logError(opts, 'request stream', err));
    res.on('error', (err) => logError(opts, 'response stream', err));
    const host = checkHost(req, allowed);
    if (!host.ok) return refuse(res, 'MisdirectedRequest', host);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const sensitive = url.pathname.startsWith('/api/') || url.pathname.startsWith('/files/');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const origin = checkOrigin(req, allowed);
      if (!origin.ok) return refuse(res, 'Forbidden', origin);
    }
    if (sensitive) {
      const site = checkFetchSite(req);
      if (!site.ok) return refuse(res, 'Forbidden', site);
    }
    const source = tokenSource(req, url, opts.token);
    if (!source) return sendError(res, 'Unauthorized', 'missing or wrong access token: open the URL that `npm run serve` printed');
    if (url.pathname.startsWith('/api/')) {
      handleApi(opts, url.pathname.slice(5), req, res).catch((err) => failRequest(res, `api ${url.pathname.slice(5, 80)}`, err));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 'ValidationError', `${req.method} is not allowed on static files`);
    if (url.pathname.startsWith('/files/figures/') && opts.figuresDir) {
      fs.mkdirSync(opts.figuresDir, { recursive: true });
      const file = resolveStatic(opts.figuresDir, url.pathname.slice('/files/figures'.length));
      if (!file || file.endsWith(path.sep + 'index.html')) return sendError(res, 'NotFoundError', `no such figure file: ${url.pathname}`);
      streamFile(file, {
        'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream',
        'Content-Disposition': `attachment; filename="${path.basename(file)}"`,
        'X-Content-Type-Options': 'nosniff',
        'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
      }, res, opts);
      return;
    }
    serveStatic(opts, url, source === 'query', res);
  };
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', (err) => logError(opts, 'upgrade socket', err));
    const reject = (status: string, reason: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${reason}\n`);
    };
    try {
      const host = checkHost(req, allowed);
      if (!host.ok) return reject('421 Misdirected Request', host.reason);
      // Browsers send no preflight for WebSocket upgrades: Origin is the only cross-origin guard here.
      const origin = checkOrigin(req, allowed);
      if (!origin.ok) return reject('403 Forbidden', origin.reason);
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== '/events' || !tokenSource(req, url, opts.token)) return reject('401 Unauthorized', 'missing or wrong access token');
      wss.handleUpgrade(req, socket, head, (ws) => {
        try {
          handleSocket(opts, ws);
        } catch (err) {
          logError(opts, 'event socket setup', err);
          ws.terminate();
        }
      });
    } catch (err) {
      logError(opts, 'upgrade', err);
      socket.destroy();
    }
  });
  server.on('clientError', (err, socket) => {
    // Malformed HTTP (bad request line, oversized headers): answer 400 as Node would, and log nothing noisy.
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
    void err;
  });
  const host = opts.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      const port = (server.address() as AddressInfo).port;
      allowed = allowedHostHeaders(host, port, opts.allowHosts);
      const shownHost = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `${opts.tls ? 'https' : 'http'}://${shownHost}:${port}/?token=${opts.token}`,
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
