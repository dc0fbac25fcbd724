// The desktop window's security settings, kept free of electron imports so tests can check them
// under plain Node (Electron itself cannot run in CI).

export interface SecureWebPreferences {
  preload: string;
  contextIsolation: true;
  sandbox: true;
  nodeIntegration: false;
  nodeIntegrationInWorker: false;
  nodeIntegrationInSubFrames: false;
  webviewTag: false;
  webSecurity: true;
  allowRunningInsecureContent: false;
  spellcheck: false;
}

export function secureWebPreferences(preload: string): SecureWebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webviewTag: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    spellcheck: false,
  };
}

/**
 * The renderer is served from this custom scheme, not file://: a file:// page may read any local file
 * the renderer can name, and every file:// request had to be allowed. app://workbench/ maps onto the
 * built renderer folder only (see appProtocolFile).
 */
export const APP_SCHEME = 'app';
export const APP_ORIGIN = 'app://workbench';
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

/** The file under `rendererDir` an app:// request names, or null (other host, escapes the folder, absent). */
export function appProtocolFile(requestUrl: string, rendererDir: string, resolve: (root: string, urlPath: string) => string | null): string | null {
  let u: URL;
  try {
    u = new URL(requestUrl);
  } catch {
    return null;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== 'workbench') return null;
  return resolve(rendererDir, u.pathname);
}

function isDevServer(url: string, devServerUrl?: string): boolean {
  if (!devServerUrl) return false;
  try {
    const dev = new URL(devServerUrl);
    const u = new URL(url);
    return ['http:', 'ws:'].includes(u.protocol) && u.host === dev.host && ['localhost', '127.0.0.1', '[::1]'].includes(dev.hostname);
  } catch {
    return false;
  }
}

/** IPC is answered only for frames showing our own page (not an injected frame or a navigated-away page). */
export function isTrustedSender(frameUrl: string | undefined, devServerUrl?: string): boolean {
  if (!frameUrl) return false;
  if (frameUrl === APP_ORIGIN || frameUrl.startsWith(`${APP_ORIGIN}/`)) return true;
  return isDevServer(frameUrl, devServerUrl);
}

/** Links that may open in the user's browser: https to a few documentation / model hosts. */
export const EXTERNAL_HOSTS = ['huggingface.co', 'github.com', 'arxiv.org', 'aclanthology.org', 'docs.python.org'];

export function isAllowedExternal(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && u.username === '' && u.password === '' && EXTERNAL_HOSTS.some((h) => u.hostname === h || u.hostname.endsWith(`.${h}`));
  } catch {
    return false;
  }
}

/**
 * Requests the renderer may make: its own files (app://workbench/), devtools, and — in `npm run dev`
 * only — the local dev server. Everything else (remote content, file:// of any kind) is cancelled.
 */
export function isAllowedRequest(url: string, devServerUrl?: string): boolean {
  if (url.startsWith(`${APP_ORIGIN}/`) || url.startsWith('devtools://')) return true;
  return isDevServer(url, devServerUrl);
}

/** In-app navigation is limited to the page itself (hash routes); anything else is blocked. */
export function isAllowedNavigation(currentUrl: string, targetUrl: string): boolean {
  try {
    const a = new URL(currentUrl);
    const b = new URL(targetUrl);
    return a.protocol === b.protocol && a.host === b.host && a.pathname === b.pathname;
  } catch {
    return false;
  }
}
