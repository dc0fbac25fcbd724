// `npm run serve [-- --host H --port N --workspace DIR]`: build the renderer if it is stale, then run
// the main-side services in plain Node (src-main/serve/cli.ts) with the HTTP + WebSocket transport.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIfStale } from './build-if-stale.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
if (!args.includes('--help') && !args.includes('-h')) buildIfStale();
const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src-main', 'serve', 'cli.ts'), ...args], { cwd: root, stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
