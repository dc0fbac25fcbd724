// Electron main process: lifecycle, the hardened window, and wiring of the services to IPC.
// Everything else (store, services, analyses) lives in modules that also run under plain Node.
import { app, BrowserWindow, session, shell } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openWorkspaceDb, type Db } from './store/db';
import { createServices } from './services';
import { RunEventBus } from './events';
import { registerIpcHandlers } from './ipc/handlers';
import { APP_NAME } from './workspace';

const here = path.dirname(fileURLToPath(import.meta.url));

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  if (i >= 0) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`${flag}=`));
  return eq?.slice(flag.length + 1);
}

app.setName(APP_NAME);
let db: Db | null = null;

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    title: APP_NAME,
    show: false,
    webPreferences: {
      preload: path.join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  if (process.env.ELECTRON_RENDERER_URL && !app.isPackaged) void win.loadURL(process.env.ELECTRON_RENDERER_URL);
  else void win.loadFile(path.join(here, '../renderer/index.html'));
  return win;
}

// No navigation away from the app, no new windows, no remote content, no permissions.
app.on('web-contents-created', (_e, contents) => {
  contents.on('will-navigate', (event, url) => {
    if (url !== contents.getURL()) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    // Documentation links open in the user's browser, never inside the app.
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
});

app.whenReady().then(() => {
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  session.defaultSession.webRequest.onBeforeRequest((details, cb) => {
    const u = details.url;
    const local = u.startsWith('file://') || u.startsWith('devtools://') || (process.env.ELECTRON_RENDERER_URL !== undefined && u.startsWith(process.env.ELECTRON_RENDERER_URL));
    cb({ cancel: !local });
  });
  const workspaceDir = path.resolve(argValue('--workspace') ?? app.getPath('userData'));
  db = openWorkspaceDb(workspaceDir, { nativeBinding: process.env.WORKBENCH_SQLITE_BINDING || undefined });
  const events = new RunEventBus();
  registerIpcHandlers(createServices({ db, workspaceDir, mode: 'desktop', events }), events);
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app.on('will-quit', () => {
  db?.close();
  db = null;
});
