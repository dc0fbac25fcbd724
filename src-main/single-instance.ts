// The desktop app's "one instance" rule, written against the few members of Electron's `app` it needs
// so it can be exercised under plain Node. A second instance (same userData) hands its command line
// to the first, which shows its window, and quits before opening the workspace: two instances would
// run two queues on one database (see workspace-lock.ts for the cross-process lock that backs this
// up for `--workspace` folders and for serve).

export interface SingleInstanceApp {
  requestSingleInstanceLock(): boolean;
  on(event: 'second-instance', listener: (...args: unknown[]) => void): unknown;
  quit(): void;
}

export interface FocusableWindow {
  isMinimized(): boolean;
  restore(): void;
  show(): void;
  focus(): void;
}

/**
 * Returns true when this process is the first instance (go on starting), false when another holds
 * the lock (this one quits). The first instance focuses its main window when a second one starts.
 */
export function claimSingleInstance(app: SingleInstanceApp, mainWindow: () => FocusableWindow | null): boolean {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return false;
  }
  app.on('second-instance', () => {
    const win = mainWindow();
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  });
  return true;
}
