// How checkpoints are named in the Compare view's pickers and legends.
import type { ComparableCheckpoint } from '../../../../src-main/common/analysis-types';

export function checkpointLabel(c: ComparableCheckpoint): string {
  if (c.runId === null) return `${c.path.split(/[\\/]/).pop()} (imported)`;
  return `${c.runName ?? `run ${c.runId}`} · ${c.phase === 'start' ? 'start' : `step ${c.step}`}`;
}

export function shortLabel(c: ComparableCheckpoint | undefined): string {
  if (!c) return '?';
  return c.runId === null ? (c.path.split(/[\\/]/).pop() ?? '?') : `${c.runName ?? `run ${c.runId}`}@${c.phase === 'start' ? 'start' : c.step}`;
}
