// Looking after runs once launched: rename, tag, annotate, archive, delete (rows and run folder in
// one step), and their final metrics for a sweep's table. Spread into the services (services.ts).
import fs from 'node:fs';
import path from 'node:path';
import type { ApiOutputs } from '../common/contract';
import { ConflictError, NotFoundError } from '../errors';
import type { Db } from '../store/db';
import { deleteRunRows, getRun, updateRunMeta, type RunMetaPatch } from '../store/runs';
import type { RunEventBus } from '../events';
import { runFinals } from './run-finals';

/** Statuses a run may be deleted in: a queued or running run must be cancelled first. */
const DELETABLE = ['finished', 'failed', 'diverged', 'cancelled', 'interrupted'];

export function runAdminServices(ctx: { db: Db; workspaceDir: string; events: RunEventBus }) {
  const { db } = ctx;
  const existing = (id: number) => {
    const run = getRun(db, id);
    if (!run) throw new NotFoundError(`no run with id ${id}`);
    return run;
  };
  return {
    async updateRun(input: { id: number } & RunMetaPatch): Promise<ApiOutputs['updateRun']> {
      const { id, ...patch } = input;
      existing(id);
      updateRunMeta(db, id, patch);
      const run = existing(id);
      return run;
    },
    /**
     * Delete a run: its rows (phases, metrics, checkpoints, activations) and its folder under the
     * workspace. The folder is first renamed aside, so a failure to delete the rows puts it back and
     * the run stays whole; a folder outside the workspace's runs/ is never touched.
     */
    async deleteRun(input: { id: number }): Promise<ApiOutputs['deleteRun']> {
      const run = existing(input.id);
      if (!DELETABLE.includes(run.status)) throw new ConflictError(`run ${run.id} is ${run.status}; cancel it before deleting it`);
      const runsRoot = path.join(ctx.workspaceDir, 'runs');
      const inside = run.outDir !== null && !path.relative(runsRoot, run.outDir).startsWith('..') && !path.isAbsolute(path.relative(runsRoot, run.outDir));
      let aside: string | null = null;
      if (inside && fs.existsSync(run.outDir!)) {
        aside = `${run.outDir}.deleting-${process.pid}`;
        fs.renameSync(run.outDir!, aside);
      }
      try {
        deleteRunRows(db, run.id);
      } catch (e) {
        if (aside) fs.renameSync(aside, run.outDir!);
        throw e;
      }
      if (aside) fs.rmSync(aside, { recursive: true, force: true });
      ctx.events.emit({ type: 'run-status', runId: run.id, status: run.status, error: null });
      return { removedDir: inside ? run.outDir : null, keptDir: inside ? null : run.outDir };
    },
    async runFinals(input: { ids: number[] }): Promise<ApiOutputs['runFinals']> {
      return input.ids.map((id) => runFinals(db, id)).filter((r): r is NonNullable<typeof r> => r !== null);
    },
  };
}
