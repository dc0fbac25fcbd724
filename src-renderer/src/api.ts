// The renderer's single door to the main side. In the desktop app the preload exposes
// window.workbench (Electron IPC); in browser mode (`npm run serve`) the same contract is spoken
// over HTTP (calls) and a WebSocket (events). Views import `api` and never know which.
import type { Method, RunEventFilter, WorkbenchApi } from '../../src-main/common/contract';
import { METHOD_NAMES } from '../../src-main/common/methods';
import { ApiError } from '../../src-main/common/errors';
import type { RunEvent } from '../../src-main/common/types';

async function httpCall(method: Method, input: unknown): Promise<unknown> {
  const res = await fetch(`/api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    credentials: 'same-origin',
    body: JSON.stringify(input ?? {}),
  });
  let body: { ok: boolean; value?: unknown; error?: { name: string; message: string } };
  try {
    body = await res.json();
  } catch {
    throw new ApiError('InternalError', `${method}: the server answered ${res.status} without JSON`);
  }
  if (body.ok) return body.value;
  throw new ApiError(body.error?.name ?? 'InternalError', body.error?.message ?? `${method} failed (${res.status})`);
}

class EventSocket {
  private ws: WebSocket | null = null;
  private listeners = new Map<string, { filter: RunEventFilter; fn: (e: RunEvent) => void }>();
  private next = 0;
  private retry = 500;

  subscribe(filter: RunEventFilter, fn: (e: RunEvent) => void): () => void {
    const subId = `s${this.next++}`;
    this.listeners.set(subId, { filter, fn });
    this.ensure();
    this.send({ op: 'subscribe', subId, filter });
    return () => {
      this.listeners.delete(subId);
      this.send({ op: 'unsubscribe', subId });
    };
  }

  private send(msg: unknown): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  private ensure(): void {
    if (this.ws) return;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/events`);
    this.ws = ws;
    ws.onopen = () => {
      this.retry = 500;
      for (const [subId, { filter }] of this.listeners) this.send({ op: 'subscribe', subId, filter });
    };
    ws.onmessage = (m) => {
      const msg = JSON.parse(String(m.data)) as { subId?: string; event?: RunEvent; error?: { message: string } };
      if (msg.error) console.warn('run events:', msg.error.message);
      else if (msg.subId && msg.event) this.listeners.get(msg.subId)?.fn(msg.event);
    };
    ws.onclose = () => {
      this.ws = null;
      if (this.listeners.size) setTimeout(() => this.ensure(), (this.retry = Math.min(this.retry * 2, 10_000)));
    };
  }
}

function httpApi(): WorkbenchApi {
  // Drop the token from the address bar once the server has set its cookie.
  if (new URLSearchParams(location.search).has('token')) history.replaceState(null, '', location.pathname + location.hash);
  const events = new EventSocket();
  const calls = Object.fromEntries(METHOD_NAMES.map((m) => [m, (input: unknown) => httpCall(m, input)]));
  return { ...(calls as unknown as Omit<WorkbenchApi, 'onRunEvent'>), onRunEvent: (filter, fn) => events.subscribe(filter, fn) };
}

function rethrowing(api: WorkbenchApi): WorkbenchApi {
  // Errors thrown through contextBridge lose their class; rebuild ApiError from name + message.
  const wrap = (m: Method) => (input: unknown) =>
    (api[m] as (i: unknown) => Promise<unknown>)(input).catch((e: Error) => {
      throw new ApiError(e.name, e.message);
    });
  const calls = Object.fromEntries(METHOD_NAMES.map((m) => [m, wrap(m)]));
  return { ...(calls as unknown as Omit<WorkbenchApi, 'onRunEvent'>), onRunEvent: (f, fn) => api.onRunEvent(f, fn) };
}

export const api: WorkbenchApi = window.workbench ? rethrowing(window.workbench) : httpApi();
export const transport: 'ipc' | 'http' = window.workbench ? 'ipc' : 'http';
