// The main-side services behind the typed API. The same object serves Electron IPC and the serve
// transport; it owns the workspace database.
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ApiOutputs, Method } from './common/contract';
import type { ListRunsQuery } from './store/runs';
import { countRuns, getRun, listRuns } from './store/runs';
import { DB_FILE_NAME, schemaVersion, type Db } from './store/db';
import { RunEventBus } from './events';
import { NotFoundError } from './ipc/dispatch';
import { appVersion } from './app-root';

export type Services = { [M in Method]: (input: never) => Promise<ApiOutputs[M]> };

export interface ServiceContext {
  db: Db;
  workspaceDir: string;
  mode: 'desktop' | 'serve';
  events: RunEventBus;
}

const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function createServices(ctx: ServiceContext) {
  const { db } = ctx;
  const version = appVersion();
  const services = {
    async workspaceInfo(): Promise<ApiOutputs['workspaceInfo']> {
      return {
        mode: ctx.mode,
        workspaceDir: ctx.workspaceDir,
        dbPath: path.join(ctx.workspaceDir, DB_FILE_NAME),
        schemaVersion: schemaVersion(db),
        appVersion: version,
        versions: {
          node: process.versions.node,
          electron: process.versions.electron ?? null,
          onnxruntime: packageVersion('onnxruntime-node'),
          sqlite: (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v,
        },
        runCount: countRuns(db),
      };
    },
    async listRuns(input: ListRunsQuery): Promise<ApiOutputs['listRuns']> {
      return listRuns(db, input);
    },
    async getRun(input: { id: number }): Promise<ApiOutputs['getRun']> {
      const run = getRun(db, input.id);
      if (!run) throw new NotFoundError(`no run with id ${input.id}`);
      return run;
    },
  } satisfies Services;
  return services;
}
