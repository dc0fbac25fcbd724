// The analysis host's child process (started by host.ts): runs the heavy analyses off the main
// process, because onnxruntime-node's session.run blocks the thread it runs on and a 23×23 CKA
// table would freeze the Electron main process / the serve HTTP server for seconds.
// usage: node --import tsx host-process.ts WORKSPACE_DIR   (with an IPC channel)
// Protocol over IPC: parent → {id, method, input}; child → {ready: true} once, then one
// {id, ok: true, result} | {id, ok: false, error: {name, message}} per request, after any number of
// {id, progress} from a method that reports progress (studyAnalyses).
import { openWorkspaceDb } from '../store/db';
import { isAnalysisMethod, runAnalysis } from './host-methods';

export type HostRequest = { id: number; method: string; input: unknown };
export type HostResponse =
  | { ready: true }
  | { id: number; progress: unknown }
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { name: string; message: string } };

function fail(message: string): never {
  process.stderr.write(`analysis host: ${message}\n`);
  process.exit(2);
}

const send = (m: HostResponse) => process.send!(m);

function main(): void {
  if (!process.send) fail('must be started with an IPC channel (by src-main/analysis/host.ts)');
  const workspaceDir = process.argv[2];
  if (!workspaceDir) fail('usage: host-process.ts WORKSPACE_DIR');
  // A second connection to the workspace file: WAL lets it read while the main process writes, and the
  // busy timeout makes cache writes wait for the main process's transactions instead of failing.
  // Under Electron (ELECTRON_RUN_AS_NODE) the binding must be the Electron-ABI build, as in index.ts.
  const db = openWorkspaceDb(workspaceDir, { nativeBinding: process.env.WORKBENCH_SQLITE_BINDING || undefined });
  process.on('message', (raw: unknown) => {
    const req = raw as HostRequest;
    if (typeof req?.id !== 'number') return void process.stderr.write(`analysis host: ignoring a message without a numeric id: ${JSON.stringify(raw)}\n`);
    if (!isAnalysisMethod(req.method)) return send({ id: req.id, ok: false, error: { name: 'UnknownMethodError', message: `analysis host: unknown method ${JSON.stringify(req.method)}` } });
    const progress = (p: unknown) => send({ id: req.id, progress: p });
    runAnalysis({ db, workspaceDir, progress }, req.method, req.input as never).then(
      (result) => send({ id: req.id, ok: true, result }),
      (err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        send({ id: req.id, ok: false, error: { name: e.name, message: e.message } });
      },
    );
  });
  // The parent closed the channel (close(), or it exited): nothing more will be asked.
  process.on('disconnect', () => {
    db.close();
    process.exit(0);
  });
  send({ ready: true });
}

main();
