// `npm start`: the desktop app. Electron 45 downloads its binary on first launch and needs
// Node >= 22.12 for that (Node 20 is end-of-life). better-sqlite3 is compiled for Node by
// `npm install`; Electron needs a build for its own ABI, which we make once into .cache/ (never
// touching node_modules, so serve mode and the tests keep the Node build) and hand to the main
// process through WORKBENCH_SQLITE_BINDING.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIfStale } from './build-if-stale.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function die(msg) {
  process.stderr.write(`npm start: ${msg}\n`);
  process.exit(1);
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  die(
    `the desktop app needs Node.js >= 22.12 (this is ${process.versions.node}; Node 20 is end-of-life): ` +
      'Electron 45 fetches its binary on first launch with tools that require it.\n' +
      'Upgrade Node, or use browser mode, which runs on Node 20: npm run serve',
  );
}

const electronVersion = require('electron/package.json').version;

/** Build better-sqlite3 for Electron's ABI once, in a private copy of the package. */
function electronSqliteBinding() {
  const outDir = path.join(root, '.cache', 'electron-native', electronVersion);
  const binding = path.join(outDir, 'better_sqlite3.node');
  if (fs.existsSync(binding)) return binding;
  const src = path.dirname(require.resolve('better-sqlite3/package.json'));
  const work = path.join(outDir, 'better-sqlite3');
  fs.rmSync(work, { recursive: true, force: true });
  fs.cpSync(src, work, { recursive: true, filter: (p) => !p.startsWith(path.join(src, 'build')) });
  process.stdout.write(`building better-sqlite3 for Electron ${electronVersion} (once)…\n`);
  const env = { ...process.env, npm_config_runtime: 'electron', npm_config_target: electronVersion, npm_config_disturl: 'https://electronjs.org/headers' };
  const prebuild = path.join(root, 'node_modules', '.bin', 'prebuild-install');
  let r = spawnSync(prebuild, ['--runtime', 'electron', '--target', electronVersion], { cwd: work, stdio: 'inherit', env });
  if (r.status !== 0) {
    process.stdout.write('no prebuilt binary; compiling with node-gyp…\n');
    r = spawnSync('npx', ['--yes', 'node-gyp', 'rebuild', '--release', `--target=${electronVersion}`, '--runtime=electron', '--dist-url=https://electronjs.org/headers'], { cwd: work, stdio: 'inherit', env });
  }
  const built = path.join(work, 'build', 'Release', 'better_sqlite3.node');
  if (r.status !== 0 || !fs.existsSync(built)) die('could not build better-sqlite3 for Electron (see above); browser mode still works: npm run serve');
  const tmp = `${binding}.tmp`;
  fs.copyFileSync(built, tmp);
  fs.renameSync(tmp, binding); // atomic: a half-copied binding is never picked up
  fs.rmSync(work, { recursive: true, force: true });
  return binding;
}

buildIfStale();
const binding = electronSqliteBinding();
const electronBin = require('electron'); // downloads the Electron binary on first use
const child = spawn(electronBin, [root, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, WORKBENCH_SQLITE_BINDING: binding },
});
child.on('exit', (code) => process.exit(code ?? 0));
