// The preload exposes the typed API to the sandboxed renderer: one method per contract entry plus
// onRunEvent. The renderer never sees ipcRenderer itself.
import { contextBridge, ipcRenderer } from 'electron';
import type { Method, RunEventFilter, WorkbenchApi } from '../common/contract';
import { METHOD_NAMES } from '../common/methods';
import type { RunEvent } from '../common/types';
import { CALL_CHANNEL_PREFIX, EVENT_CHANNEL, SUBSCRIBE_CHANNEL, UNSUBSCRIBE_CHANNEL } from '../ipc/channels';

type Result = { ok: true; value: unknown } | { ok: false; error: { name: string; message: string } };

async function call(method: Method, input: unknown): Promise<unknown> {
  const r = (await ipcRenderer.invoke(CALL_CHANNEL_PREFIX + method, input)) as Result;
  if (r.ok) return r.value;
  // Errors cross contextBridge as plain objects; the renderer's api.ts rebuilds ApiError from them.
  throw Object.assign(new Error(r.error.message), { name: r.error.name });
}

const listeners = new Map<string, (event: RunEvent) => void>();
let nextSub = 0;
ipcRenderer.on(EVENT_CHANNEL, (_e, subId: string, event: RunEvent) => listeners.get(subId)?.(event));

const calls = Object.fromEntries(METHOD_NAMES.map((m) => [m, (input: unknown) => call(m, input)])) as unknown as Omit<WorkbenchApi, 'onRunEvent'>;

const api: WorkbenchApi = {
  ...calls,
  onRunEvent(filter: RunEventFilter, listener: (event: RunEvent) => void) {
    const subId = `s${nextSub++}`;
    listeners.set(subId, listener);
    void ipcRenderer.invoke(SUBSCRIBE_CHANNEL, subId, filter);
    return () => {
      listeners.delete(subId);
      void ipcRenderer.invoke(UNSUBSCRIBE_CHANNEL, subId);
    };
  },
};

contextBridge.exposeInMainWorld('workbench', api);
