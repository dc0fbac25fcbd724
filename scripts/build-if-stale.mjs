// Rebuild out/ with electron-vite when any source it bundles is newer than the last build.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = ['src-renderer', 'src-main', 'native-runner/protocol.ts', 'native-runner/model/config.ts', 'electron.vite.config.ts', 'package.json'];

function newest(p) {
  if (!fs.existsSync(p)) return 0;
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = 0;
  for (const e of fs.readdirSync(p)) m = Math.max(m, newest(path.join(p, e)));
  return m;
}

export function buildIfStale({ force = false } = {}) {
  const stamp = path.join(root, 'out', 'renderer', 'index.html');
  const built = fs.existsSync(stamp) && fs.existsSync(path.join(root, 'out', 'main', 'index.js')) ? fs.statSync(stamp).mtimeMs : 0;
  const src = Math.max(...SOURCES.map((s) => newest(path.join(root, s))));
  if (!force && built > src) return;
  process.stdout.write('building the workbench (electron-vite build)…\n');
  const bin = path.join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
  const r = spawnSync(process.execPath, [bin, 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write('build failed: see the messages above\n');
    process.exit(r.status ?? 1);
  }
}
