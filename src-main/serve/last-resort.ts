// The last line of defence in the serve process: an error no request or socket handler caught (a
// timer, a stream with no 'error' listener, a rejected promise nobody awaited) is logged and the
// server goes on. Request and socket handlers have their own catch-alls (server.ts); this only
// catches what slipped past them, so a bug in one corner cannot end every user's session.
export function installLastResortHandlers(log: (message: string) => void): void {
  process.on('uncaughtException', (err) => log(`serve: uncaught error (the server keeps running): ${err?.stack ?? String(err)}`));
  process.on('unhandledRejection', (reason) => log(`serve: unhandled rejection (the server keeps running): ${(reason as Error)?.stack ?? String(reason)}`));
}
