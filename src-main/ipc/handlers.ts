// Electron IPC: one ipcMain.handle per contract entry, each going through dispatch() so the input
// is validated here, on the main side, whatever the renderer sends.
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { METHODS, describeZodError, runEventFilter } from '../common/contract';
import type { RunEventBus } from '../events';
import type { Services } from '../services';
import { dispatch, type CallResult } from './dispatch';
import { CALL_CHANNEL_PREFIX, EVENT_CHANNEL, SUBSCRIBE_CHANNEL, UNSUBSCRIBE_CHANNEL } from './channels';

const UNTRUSTED: CallResult = { ok: false, error: { name: 'Forbidden', message: 'this frame is not the workbench page' } };

/** `trusted` says whether an IPC call comes from our own page (window-policy.ts isTrustedSender). */
export function registerIpcHandlers(services: Services, events: RunEventBus, trusted: (e: IpcMainInvokeEvent) => boolean = () => true): void {
  for (const method of METHODS) {
    ipcMain.handle(CALL_CHANNEL_PREFIX + method, async (e, payload: unknown): Promise<CallResult> => (trusted(e) ? dispatch(services, method, payload) : UNTRUSTED));
  }
  const subs = new Map<string, () => void>(); // key: `${webContents.id}:${subId}`
  const watched = new Set<number>();
  const dropAll = (wc: WebContents) => {
    for (const [key, off] of subs) if (key.startsWith(`${wc.id}:`)) { off(); subs.delete(key); }
  };
  ipcMain.handle(SUBSCRIBE_CHANNEL, (e, subId: unknown, filter: unknown): CallResult => {
    if (!trusted(e)) return UNTRUSTED;
    if (typeof subId !== 'string') return { ok: false, error: { name: 'ValidationError', message: 'subscribeRunEvents: subId: expected a string' } };
    const parsed = runEventFilter.safeParse(filter ?? {});
    if (!parsed.success) return { ok: false, error: { name: 'ValidationError', message: describeZodError('subscribeRunEvents', parsed.error) } };
    const wc = e.sender;
    const key = `${wc.id}:${subId}`;
    subs.get(key)?.();
    subs.set(key, events.subscribe(parsed.data, (event) => { if (!wc.isDestroyed()) wc.send(EVENT_CHANNEL, subId, event); }));
    if (!watched.has(wc.id)) {
      watched.add(wc.id);
      wc.once('destroyed', () => { dropAll(wc); watched.delete(wc.id); });
    }
    return { ok: true, value: null };
  });
  ipcMain.handle(UNSUBSCRIBE_CHANNEL, (e, subId: unknown): CallResult => {
    const key = `${e.sender.id}:${String(subId)}`;
    subs.get(key)?.();
    subs.delete(key);
    return { ok: true, value: null };
  });
}
