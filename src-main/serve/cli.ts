// `npm run serve`: the main-side services in plain Node with the HTTP + WebSocket transport.
//   --host H        interface to bind (default 127.0.0.1; anything else exposes the workbench)
//   --port N        port (default 5317; 0 = any free port)
//   --workspace DIR workspace directory (default: the desktop app's userData directory)
//   --renderer DIR  built renderer (default out/renderer)
//   --tls-cert F --tls-key F   serve HTTPS with this certificate (PEM) — for a workbench others can reach
//   --allow-host NAME          a further host name the browser uses for this server (repeatable)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openWorkspaceDb } from '../store/db';
import { createServices } from '../services';
import { RunEventBus } from '../events';
import { defaultWorkspaceDir } from '../workspace';
import { newToken } from './security';
import { RunQueue } from '../runs/queue';
import { workspaceFollower } from '../cluster/follow';
import { AnalysisHost } from '../analysis/host';
import { figuresDir } from '../figures/library';
import { startServer } from './server';
import { acquireWorkspaceLock, WorkspaceLockedError, type WorkspaceLock } from '../workspace-lock';
import { installLastResortHandlers } from './last-resort';
import { MAIN_BUSY_TIMEOUT_MS } from '../store/busy';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function fail(message: string): never {
  process.stderr.write(`serve: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '5317' },
        workspace: { type: 'string' },
        renderer: { type: 'string', default: path.join(repoRoot, 'out', 'renderer') },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'allow-host': { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (err) {
    fail((err as Error).message);
  }
  if (args.help) {
    process.stdout.write('usage: npm run serve -- [--host 127.0.0.1] [--port 5317] [--workspace DIR] [--tls-cert cert.pem --tls-key key.pem] [--allow-host NAME]\n');
    return;
  }
  const port = Number(args.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port: expected an integer 0..65535, got "${args.port}"`);
  if (Boolean(args['tls-cert']) !== Boolean(args['tls-key'])) fail('--tls-cert and --tls-key go together');
  let tls: { cert: Buffer; key: Buffer } | undefined;
  if (args['tls-cert']) {
    try {
      tls = { cert: fs.readFileSync(args['tls-cert']), key: fs.readFileSync(args['tls-key']!) };
    } catch (e) {
      fail(`cannot read the TLS certificate or key: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (${(e as NodeJS.ErrnoException).path ?? ''})`);
    }
  }
  const workspaceDir = path.resolve(args.workspace ?? defaultWorkspaceDir());
  // One writer per workspace: a second serve / desktop app on this folder would run a second queue.
  let lock: WorkspaceLock;
  try {
    lock = acquireWorkspaceLock(workspaceDir, {
      purpose: 'npm run serve',
      onStale: (prev) => process.stdout.write(`taking over a stale workspace lock${prev ? ` (pid ${prev.pid}, ${prev.purpose}, is gone)` : ''}\n`),
    });
  } catch (e) {
    if (e instanceof WorkspaceLockedError) fail(e.message);
    throw e;
  }
  installLastResortHandlers((m) => process.stderr.write(m + '\n'));
  const db = openWorkspaceDb(workspaceDir, { busyTimeoutMs: MAIN_BUSY_TIMEOUT_MS });
  const events = new RunEventBus();
  const queue = new RunQueue(db, events, { workspaceDir });
  // ORT's session.run blocks its thread: analyses run in a child so the HTTP + WebSocket server keeps answering.
  const analysisHost = new AnalysisHost(workspaceDir);
  const cluster = workspaceFollower(db, events, workspaceDir);
  const services = createServices({ db, workspaceDir, mode: 'serve', events, queue, analysisHost, cluster });
  const server = await startServer({ services, events, rendererDir: path.resolve(args.renderer!), figuresDir: figuresDir(workspaceDir), token: newToken(), host: args.host, port, tls, allowHosts: args['allow-host'] ?? [] });
  if (!['127.0.0.1', 'localhost', '::1'].includes(args.host!)) {
    process.stdout.write(`warning: listening on ${args.host}: anyone who can reach it and has the URL's token can use this workbench\n`);
    if (!tls) process.stdout.write('warning: plain HTTP: the token (and everything you see) crosses the network unencrypted; use --tls-cert/--tls-key, or an SSH tunnel to 127.0.0.1\n');
  }
  const interrupted = queue.recover();
  cluster.start(); // runs on a cluster went on while nobody watched: catch up
  process.stdout.write(`workspace: ${workspaceDir}\n`);
  if (interrupted.length) process.stdout.write(`runs interrupted by the last shutdown (resume them from the Runs page): ${interrupted.join(', ')}\n`);
  process.stdout.write(`Workbench (browser mode) at ${server.url}\n`);
  const stop = () => {
    // Running runs checkpoint and stop; they show as interrupted and resume on request.
    Promise.allSettled([server.close(), queue.close(), cluster.close(), analysisHost.close()]).then(() => {
      db.close();
      lock.release();
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => fail((err as Error).message));
