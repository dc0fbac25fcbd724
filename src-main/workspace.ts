// Where a workspace (its SQLite database, checkpoints, figures) lives by default: Electron's
// userData directory for our app name, computed the same way in serve mode so that the desktop
// app and `npm run serve` open the same workspace unless --workspace says otherwise.
import os from 'node:os';
import path from 'node:path';

export const APP_NAME = 'Encoder Workbench';

export function defaultWorkspaceDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.WORKBENCH_WORKSPACE) return path.resolve(env.WORKBENCH_WORKSPACE);
  const home = os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', APP_NAME);
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), APP_NAME);
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), APP_NAME);
}
