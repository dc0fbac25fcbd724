// How the main side starts a native-runner process: plain Node with tsx for the TypeScript sources.
// Under Electron, process.execPath is the Electron binary, which runs as Node with ELECTRON_RUN_AS_NODE.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { appRoot } from '../app-root';
import { withMallocTunables } from '../../native-runner/util/malloc-tunables';

export type RunnerSpawner = (args: string[]) => ChildProcess;

export const spawnRunner: RunnerSpawner = (args) => {
  const root = appRoot();
  return spawn(process.execPath, ['--import', 'tsx', path.join(root, 'native-runner', 'cli.ts'), ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    // malloc settings the train steps need (native-runner/util/malloc-tunables.ts says why)
    env: { ...withMallocTunables(process.env), ELECTRON_RUN_AS_NODE: '1', FORCE_COLOR: '0' },
  });
};
