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
 * Requests the renderer may make: its own files (file://), devtools, and — in `npm run dev` only —
 * the local dev server. Everything else (remote content of any kind) is cancelled.
 */
export function isAllowedRequest(url: string, devServerUrl?: string): boolean {
  if (url.startsWith('file://') || url.startsWith('devtools://')) return true;
  if (devServerUrl) {
    try {
      const dev = new URL(devServerUrl);
      const u = new URL(url);
      return (u.protocol === 'http:' || u.protocol === 'ws:') && u.host === dev.host && ['localhost', '127.0.0.1', '[::1]'].includes(dev.hostname);
    } catch {
      return false;
    }
  }
  return false;
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
