// `npm run setup:cuda`: fetch onnxruntime-node's CUDA 12 execution provider (from NuGet, as its own
// installer does). `npm install` skips this download on purpose (package.json allowScripts), so that
// an offline or CPU-only install never fails. Needs network access, CUDA 12 and cuDNN 9 on the machine.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const ortDir = path.dirname(require.resolve('onnxruntime-node/package.json'));
const flavour = process.env.ONNXRUNTIME_NODE_INSTALL || 'cuda12';
process.stdout.write(`installing onnxruntime-node's ${flavour} provider into ${ortDir}/bin …\n`);
const r = spawnSync(process.execPath, [path.join(ortDir, 'script', 'install.js')], {
  cwd: ortDir,
  stdio: 'inherit',
  env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: flavour },
});
if (r.status !== 0) {
  process.stderr.write('setup:cuda failed (see above). The CPU provider is unaffected.\n');
  process.exit(r.status ?? 1);
}
