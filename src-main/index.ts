// Electron main process: lifecycle, the hardened window, and wiring of the services to IPC.
// Everything else (store, services, analyses) lives in modules that also run under plain Node.
import { app, BrowserWindow, dialog, protocol, session, shell } from 'electron';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openWorkspaceDb, type Db } from './store/db';
import { createServices } from './services';
import { RunEventBus } from './events';
import { registerIpcHandlers } from './ipc/handlers';
import { RunQueue } from './runs/queue';
import { workspaceFollower, type ClusterFollower } from './cluster/follow';
import { AnalysisHost } from './analysis/host';
import { APP_NAME } from './workspace';
import { APP_INDEX_URL, APP_SCHEME, appProtocolFile, isAllowedExternal, isAllowedNavigation, isAllowedRequest, isTrustedSender, secureWebPreferences } from './window-policy';
import { CONTENT_SECURITY_POLICY, MIME, resolveStatic } from './serve/security';
import { claimSingleInstance } from './single-instance';
import { MAIN_BUSY_TIMEOUT_MS } from './store/busy';
import { acquireWorkspaceLock, type WorkspaceLock } from './workspace-lock';

const here = path.dirname(fileURLToPath(import.meta.url));

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  if (i >= 0) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`${flag}=`));
  return eq?.slice(flag.length + 1);
}

app.setName(APP_NAME);
// The renderer's own scheme (must be registered before ready): standard + secure, so it has an origin.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
let mainWindow: BrowserWindow | null = null;
const firstInstance = claimSingleInstance(app, () => mainWindow);
let workspaceLock: WorkspaceLock | null = null;
let db: Db | null = null;
let queue: RunQueue | null = null;
let cluster: ClusterFollower | null = null;
let analysisHost: AnalysisHost | null = null;

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    title: APP_NAME,
    show: false,
    webPreferences: secureWebPreferences(path.join(here, '../preload/index.cjs')),
  });
  win.once('ready-to-show', () => win.show());
  if (process.env.ELECTRON_RENDERER_URL && !app.isPackaged) void win.loadURL(process.env.ELECTRON_RENDERER_URL);
  else void win.loadURL(APP_INDEX_URL);
  return win;
}

// No navigation away from the app, no new windows, no remote content, no permissions.
app.on('web-contents-created', (_e, contents) => {
  contents.on('will-navigate', (event, url) => {
    if (!isAllowedNavigation(contents.getURL(), url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    // Documentation links open in the user's browser, never inside the app.
    if (isAllowedExternal(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
});

app.whenReady().then(() => {
  if (!firstInstance) return;
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  // Checks are separate from requests (e.g. navigator.permissions.query, some device APIs): deny them too.
  session.defaultSession.setPermissionCheckHandler(() => false);
  const devUrl = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL;
  const rendererDir = path.join(here, '../renderer');
  protocol.handle(APP_SCHEME, async (request) => {
    const file = appProtocolFile(request.url, rendererDir, resolveStatic);
    if (!file) return new Response('not found', { status: 404 });
    return new Response(await fs.promises.readFile(file), {
      headers: { 'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream', 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff' },
    });
  });
  session.defaultSession.webRequest.onBeforeRequest((details, cb) => cb({ cancel: !isAllowedRequest(details.url, devUrl) }));
  const workspaceDir = path.resolve(argValue('--workspace') ?? app.getPath('userData'));
  try {
    // Another process (serve, a desktop app on --workspace, a study) may already own this workspace.
    workspaceLock = acquireWorkspaceLock(workspaceDir, { purpose: 'the desktop app' });
  } catch (e) {
    dialog.showErrorBox(APP_NAME, (e as Error).message);
    app.quit();
    return;
  }
  db = openWorkspaceDb(workspaceDir, { nativeBinding: process.env.WORKBENCH_SQLITE_BINDING || undefined, busyTimeoutMs: MAIN_BUSY_TIMEOUT_MS });
  const events = new RunEventBus();
  queue = new RunQueue(db, events, { workspaceDir });
  queue.recover();
  cluster = workspaceFollower(db, events, workspaceDir);
  cluster.start();
  // ORT's session.run blocks its thread: analyses run in a child so this process keeps answering the window.
  analysisHost = new AnalysisHost(workspaceDir);
  registerIpcHandlers(createServices({ db, workspaceDir, mode: 'desktop', events, queue, analysisHost, cluster }), events, (e) => isTrustedSender(e.senderFrame?.url, devUrl));
  mainWindow = createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

let quitting = false;
app.on('will-quit', (event) => {
  if (quitting || (!queue && !analysisHost)) {
    db?.close();
    db = null;
    workspaceLock?.release();
    return;
  }
  // Let running runs write a checkpoint and stop, and the analysis host close its connection, before
  // the database closes.
  event.preventDefault();
  quitting = true;
  void Promise.allSettled([queue?.close(), cluster?.close(), analysisHost?.close()]).finally(() => app.quit());
});
