// `npm run serve`: the main-side services in plain Node with the HTTP + WebSocket transport.
//   --host H        interface to bind (default 127.0.0.1; anything else exposes the workbench)
//   --port N        port (default 5317; 0 = any free port)
//   --workspace DIR workspace directory (default: the desktop app's userData directory)
//   --renderer DIR  built renderer (default out/renderer)
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openWorkspaceDb } from '../store/db';
import { createServices } from '../services';
import { RunEventBus } from '../events';
import { defaultWorkspaceDir } from '../workspace';
import { newToken } from './security';
import { RunQueue } from '../runs/queue';
import { AnalysisHost } from '../analysis/host';
import { figuresDir } from '../figures/library';
import { startServer } from './server';

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
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (err) {
    fail((err as Error).message);
  }
  if (args.help) {
    process.stdout.write('usage: npm run serve -- [--host 127.0.0.1] [--port 5317] [--workspace DIR]\n');
    return;
  }
  const port = Number(args.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port: expected an integer 0..65535, got "${args.port}"`);
  const workspaceDir = path.resolve(args.workspace ?? defaultWorkspaceDir());
  const db = openWorkspaceDb(workspaceDir);
  const events = new RunEventBus();
  const queue = new RunQueue(db, events, { workspaceDir });
  // ORT's session.run blocks its thread: analyses run in a child so the HTTP + WebSocket server keeps answering.
  const analysisHost = new AnalysisHost(workspaceDir);
  const services = createServices({ db, workspaceDir, mode: 'serve', events, queue, analysisHost });
  const server = await startServer({ services, events, rendererDir: path.resolve(args.renderer!), figuresDir: figuresDir(workspaceDir), token: newToken(), host: args.host, port });
  if (!['127.0.0.1', 'localhost', '::1'].includes(args.host!)) {
    process.stdout.write(`warning: listening on ${args.host}: anyone who can reach it and has the URL's token can use this workbench\n`);
  }
  const interrupted = queue.recover();
  process.stdout.write(`workspace: ${workspaceDir}\n`);
  if (interrupted.length) process.stdout.write(`runs interrupted by the last shutdown (resume them from the Runs page): ${interrupted.join(', ')}\n`);
  process.stdout.write(`Workbench (browser mode) at ${server.url}\n`);
  const stop = () => {
    // Running runs checkpoint and stop; they show as interrupted and resume on request.
    Promise.allSettled([server.close(), queue.close(), analysisHost.close()]).then(() => {
      db.close();
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => fail((err as Error).message));
