// Which Host and Origin headers serve mode accepts. The token alone is not enough:
//  - cookies ignore ports, so a page on 127.0.0.1:<another port> carries our cookie on its requests
//    and WebSocket upgrades (browsers send no CORS preflight for a WebSocket): Origin must be ours;
//  - a DNS-rebinding page reaches 127.0.0.1 under its own name: Host must be one of ours.
// Clients that send no Origin (curl, scripts, our tests) are not browsers and cannot be driven by a
// web page, so a missing Origin is accepted; a present one must match exactly.
import os from 'node:os';
import type { IncomingMessage } from 'node:http';

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

function bracket(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** The host:port values (lower case) this server answers to. */
export function allowedHostHeaders(boundHost: string, port: number, extraNames: readonly string[] = []): Set<string> {
  const names = new Set<string>(['127.0.0.1', 'localhost', '[::1]', ...extraNames.map(bracket)]);
  if (WILDCARD_HOSTS.has(boundHost)) {
    // Bound to every interface: the user reaches it by this machine's name or one of its addresses.
    names.add(os.hostname());
    for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) names.add(bracket(a.address));
  } else {
    names.add(bracket(boundHost));
  }
  return new Set([...names].map((n) => `${n.toLowerCase()}:${port}`));
}

export type OriginVerdict = { ok: true } | { ok: false; reason: string };

export function checkHost(req: IncomingMessage, allowed: Set<string>): OriginVerdict {
  const host = (req.headers.host ?? '').toLowerCase();
  if (allowed.has(host)) return { ok: true };
  return { ok: false, reason: `Host ${JSON.stringify(host.slice(0, 80))} is not this workbench (use the printed URL)` };
}

/** Origin, when present, must be http(s)://<one of our hosts>. */
export function checkOrigin(req: IncomingMessage, allowed: Set<string>): OriginVerdict {
  const origin = req.headers.origin;
  if (origin === undefined) return { ok: true };
  let hostPart: string | null = null;
  try {
    const u = new URL(origin);
    if (u.protocol === 'http:' || u.protocol === 'https:') hostPart = u.host.toLowerCase();
  } catch {
    hostPart = null;
  }
  // URL drops a default port (:80/:443); ours is never implicit in what we print, but accept it.
  const candidates = hostPart === null ? [] : hostPart.includes(':') && !hostPart.endsWith(']') ? [hostPart] : [hostPart, `${hostPart}:80`, `${hostPart}:443`];
  if (candidates.some((c) => allowed.has(c))) return { ok: true };
  return { ok: false, reason: `cross-origin request refused (Origin ${JSON.stringify(origin.slice(0, 80))})` };
}

/**
 * Fetch metadata: a browser marks requests a page on another origin makes. Same-site includes other
 * ports of this host, which is exactly the neighbour we must refuse.
 */
export function checkFetchSite(req: IncomingMessage): OriginVerdict {
  const site = req.headers['sec-fetch-site'];
  if (site === undefined || site === 'same-origin' || site === 'none') return { ok: true };
  return { ok: false, reason: `cross-origin request refused (Sec-Fetch-Site: ${String(site).slice(0, 20)})` };
}
