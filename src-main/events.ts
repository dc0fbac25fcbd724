// Run events fan out from the services to every transport's subscribers (IPC windows, WebSockets).
import type { RunEventFilter } from './common/contract';
import type { RunEvent } from './common/types';

export type RunEventListener = (event: RunEvent) => void;

function eventRunId(e: RunEvent): number {
  return e.type === 'run-created' ? e.run.id : e.runId;
}

export class RunEventBus {
  private listeners = new Set<{ filter: RunEventFilter; fn: RunEventListener }>();

  subscribe(filter: RunEventFilter, fn: RunEventListener): () => void {
    const entry = { filter, fn };
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  emit(event: RunEvent): void {
    for (const { filter, fn } of this.listeners) {
      if (filter.runId !== undefined && filter.runId !== eventRunId(event)) continue;
      try {
        fn(event);
      } catch {
        // A broken subscriber (closed socket, destroyed window) must not stop the others.
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
