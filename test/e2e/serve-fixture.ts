// Starts `serve` mode (the real services on a fresh workspace in a temp dir) for a Playwright test
// and returns the URL it printed, token included.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from '@playwright/test';
import { fileURLToPath } from 'node:url';

export interface ServeHandle {
  url: string;
  workspace: string;
  stop(): Promise<void>;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function startServe(extraArgs: string[] = []): Promise<ServeHandle> {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-e2e-'));
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'src-main/serve/cli.ts'), '--port', '0', '--workspace', workspace, ...extraArgs],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not print its URL within 60 s:\n${output}`)), 60_000);
    const onData = (b: Buffer) => {
      output += b.toString();
      const m = output.match(/at (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}:\n${output}`)));
  });
  return {
    url,
    workspace,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => {
          fs.rmSync(workspace, { recursive: true, force: true });
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Start browser mode once for the spec file (beforeAll) and stop it after (afterAll). */
export function useServe(extraArgs: string[] = []): { readonly current: ServeHandle } {
  const holder: { current: ServeHandle } = { current: undefined as unknown as ServeHandle };
  test.beforeAll(async () => {
    holder.current = await startServe(extraArgs);
  });
  test.afterAll(async () => {
    await holder.current?.stop();
  });
  return holder;
}
