import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_NAME, defaultWorkspaceDir } from './workspace';
import pkg from '../package.json';

describe('default workspace directory', () => {
  it("matches Electron's userData directory on each platform", () => {
    expect(defaultWorkspaceDir({}, 'linux')).toBe(path.join(os.homedir(), '.config', APP_NAME));
    expect(defaultWorkspaceDir({ XDG_CONFIG_HOME: '/x' }, 'linux')).toBe(path.join('/x', APP_NAME));
    expect(defaultWorkspaceDir({}, 'darwin')).toBe(path.join(os.homedir(), 'Library', 'Application Support', APP_NAME));
    expect(defaultWorkspaceDir({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32')).toBe(path.join('C:\\Users\\u\\AppData\\Roaming', APP_NAME));
  });
  it('WORKBENCH_WORKSPACE overrides it', () => {
    expect(defaultWorkspaceDir({ WORKBENCH_WORKSPACE: '/data/wb' }, 'linux')).toBe('/data/wb');
  });
  it("uses the package's productName, which Electron uses for userData", () => {
    expect(pkg.productName).toBe(APP_NAME);
  });
});
