// Reading `squeue --json` (Slurm 22.05+, openapi v0.0.38 and later) and mapping Slurm's job states to
// the queue's. Slurm 22.05 ignores squeue's filters with --json, so the answer is filtered here.
import type { ClusterState } from '../common/cluster-profile';

export interface QueueEntry { arrayJobId: string; task: number | null; taskRange: string | null; state: string; reason: string | null; node: string | null; restarts: number }

export class SqueueError extends Error {
  constructor(message: string) { super(message); this.name = 'SqueueError'; }
}

/** The entries of the given array jobs. A pending array not yet split into tasks has task null and its range. */
export function parseSqueueJson(text: string, arrayJobIds: Set<string>): QueueEntry[] {
  let doc: { jobs?: unknown[]; errors?: unknown[] };
  try { doc = JSON.parse(text); } catch (e) { throw new SqueueError(`squeue --json printed something that is not JSON (${(e as Error).message}): ${text.slice(0, 200)}`); }
  if (!doc || !Array.isArray(doc.jobs)) throw new SqueueError(`squeue --json: no "jobs" list in its answer: ${text.slice(0, 200)}`);
  const out: QueueEntry[] = [];
  for (const raw of doc.jobs) {
    const j = raw as Record<string, unknown>;
    // job ids and task ids are numbers in v0.0.38, {set, number} objects in later versions
    const num = (v: unknown): number | null => (typeof v === 'number' ? v : v && typeof v === 'object' && (v as { set?: boolean }).set !== false && typeof (v as { number?: unknown }).number === 'number' ? (v as { number: number }).number : null);
    const jobId = num(j.job_id);
    const arrayJob = num(j.array_job_id);
    const arrayId = String(arrayJob && arrayJob > 0 ? arrayJob : jobId);
    if (!arrayJobIds.has(arrayId)) continue;
    const stateRaw = Array.isArray(j.job_state) ? (j.job_state as string[])[0] : j.job_state;
    const taskRange = typeof j.array_task_string === 'string' && j.array_task_string ? j.array_task_string : null;
    const task = num(j.array_task_id);
    out.push({
      arrayJobId: arrayId, task: taskRange && (task === null || task > 100_000_000) ? null : task, taskRange,
      state: String(stateRaw ?? 'UNKNOWN'), reason: typeof j.state_reason === 'string' && j.state_reason !== 'None' ? j.state_reason : null,
      node: typeof j.nodes === 'string' && j.nodes ? j.nodes : null, restarts: num(j.restart_cnt) ?? 0,
    });
  }
  return out;
}

/** Whether task `i` is in an array range string such as "0-3%2", "1,3,5-7". */
export function inTaskRange(range: string, i: number): boolean {
  return range.split('%')[0].split(',').some((part) => {
    const [a, b] = part.split('-').map(Number);
    return b === undefined ? a === i : i >= a && i <= b;
  });
}

/** The entry of one task: its own, or its array's pending record. */
export function entryOf(entries: QueueEntry[], arrayJobId: string, task: number): QueueEntry | null {
  return entries.find((e) => e.arrayJobId === arrayJobId && e.task === task)
    ?? entries.find((e) => e.arrayJobId === arrayJobId && e.task === null && e.taskRange !== null && inTaskRange(e.taskRange, task))
    ?? null;
}

/** Slurm's state word → the queue's view (null: the task still counts as alive but the word says nothing new). */
export function mapSlurmState(state: string): ClusterState {
  switch (state) {
    case 'PENDING': case 'REQUEUED': case 'REQUEUE_HOLD': case 'REQUEUE_FED': case 'CONFIGURING': case 'RESV_DEL_HOLD': case 'SUSPENDED':
      return 'pending';
    case 'RUNNING': case 'COMPLETING': case 'STAGE_OUT': case 'SIGNALING': case 'RESIZING':
      return 'running';
    case 'COMPLETED': return 'finished';
    case 'CANCELLED': return 'cancelled';
    case 'TIMEOUT': case 'DEADLINE': return 'timeout';
    case 'PREEMPTED': return 'preempted';
    default: return 'failed'; // FAILED, NODE_FAIL, OUT_OF_MEMORY, BOOT_FAIL, …
  }
}
