// The analysis host: a long-lived child process that runs the heavy analyses (host-methods.ts) so
// that the main process (Electron's, or serve's HTTP + WebSocket server) keeps answering while
// onnxruntime-node's blocking session.run works. Started like the training runner (runs/
// runner-process.ts): this process's executable as Node, with tsx for the TypeScript sources.
// The child is spawned on the first call, runs one call at a time (machines have few cores and the
// GEMMs already use two threads), and is started again on the call after it died.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { appRoot } from '../app-root';
import { ApiError } from '../common/errors';
import type { AnalysisInputs, AnalysisMethod, AnalysisProgress, AnalysisResult } from './host-methods';
import type { HostRequest, HostResponse } from './host-process';

/** The host itself failed (could not start, died, was closed), as opposed to the analysis's own errors. */
export class AnalysisHostError extends Error {
  override name = 'AnalysisHostError';
}

const STDERR_TAIL_CHARS = 4000;
const CLOSE_GRACE_MS = 5000;
const STDERR_GRACE_MS = 500;

interface Pending {
  method: string;
  onProgress?: (p: never) => void;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

interface Child {
  proc: ChildProcess;
  ready: Promise<void>;
  stderrTail: string;
  exited: Promise<void>;
  pending: Map<number, Pending>; // per child: a dying child must fail only its own calls
}

export class AnalysisHost {
  private child: Child | null = null;
  private nextId = 1;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly workspaceDir: string) {}

  /** Process id of the running child, if any (tests kill it to check recovery). */
  get pid(): number | undefined {
    return this.child?.proc.pid;
  }

  /** Calls sent to the child and not answered yet (0 or 1: calls run one at a time). */
  get inFlight(): number {
    return this.child?.pending.size ?? 0;
  }

  /**
   * Runs one analysis in the child. Errors keep their name and message (ValidationError, NotFoundError…);
   * failures of the host itself reject with AnalysisHostError, its stderr's end included.
   * onProgress receives what the method reports while it runs (studyAnalyses: status patches).
   */
  call<M extends AnalysisMethod>(method: M, input: AnalysisInputs[M], onProgress?: (p: AnalysisProgress<M>) => void): Promise<AnalysisResult<M>> {
    // Calls wait for the previous one to settle: one analysis at a time, in order of arrival.
    const run = this.queue.then(() => this.send(method, input, onProgress));
    this.queue = run.catch(() => undefined);
    return run as Promise<AnalysisResult<M>>;
  }

  /**
   * Ends the child if it is running a call of `method` (SIGKILL: the child's event loop is busy in
   * ORT runs, and a killed child leaves no half-written file behind, its writers being atomic); that
   * call rejects with AnalysisHostError and the next call starts a fresh child. Returns whether it did.
   */
  interrupt(method: AnalysisMethod): boolean {
    const c = this.child;
    if (!c || ![...c.pending.values()].some((p) => p.method === method)) return false;
    c.proc.kill('SIGKILL');
    return true;
  }

  /** Stops the child (gracefully: it closes its database) and refuses further calls. */
  async close(): Promise<void> {
    this.closed = true;
    const c = this.child;
    if (!c) return;
    if (c.proc.connected) c.proc.disconnect();
    const timer = setTimeout(() => c.proc.kill('SIGKILL'), CLOSE_GRACE_MS);
    await c.exited;
    clearTimeout(timer);
  }

  private async send(method: string, input: unknown, onProgress?: (p: never) => void): Promise<unknown> {
    if (this.closed) throw new AnalysisHostError(`analysis host is closed; ${method} was not run`);
    const child = this.child ?? this.start();
    await child.ready;
    if (this.child !== child) throw new AnalysisHostError(`analysis host exited before ${method} could be sent; its stderr ended with:\n${child.stderrTail.trim()}`);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      child.pending.set(id, { method, onProgress, resolve, reject });
      // A send that fails (channel just closed) is reported by the 'exit' handler with the stderr tail.
      try {
        child.proc.send({ id, method, input } satisfies HostRequest, () => undefined);
      } catch (err) {
        child.pending.delete(id); // e.g. an input structured clone cannot copy
        reject(err as Error);
      }
    });
  }

  private start(): Child {
    const root = appRoot();
    const proc = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src-main', 'analysis', 'host-process.ts'), this.workspaceDir], {
      cwd: root,
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // Structured clone instead of JSON: results arrive exactly as in-process (NaN, undefined fields).
      serialization: 'advanced',
    });
    let readyResolve!: () => void;
    let readyReject!: (e: Error) => void;
    let exitedResolve!: () => void;
    const child: Child = {
      proc,
      stderrTail: '',
      ready: new Promise<void>((res, rej) => ((readyResolve = res), (readyReject = rej))),
      exited: new Promise<void>((res) => (exitedResolve = res)),
      pending: new Map(),
    };
    // An unobserved startup failure must not surface as an unhandled rejection; callers see it via ready.
    child.ready.catch(() => undefined);
    this.child = child;
    const keepTail = (b: Buffer) => {
      child.stderrTail = (child.stderrTail + b.toString('utf8')).slice(-STDERR_TAIL_CHARS);
    };
    proc.stderr!.on('data', keepTail);
    proc.stdout!.on('data', keepTail); // drained, so a chatty dependency can never fill the pipe and stall the child
    proc.on('message', (m: HostResponse) => {
      if ('ready' in m) return readyResolve();
      const p = child.pending.get(m.id);
      if (!p) return;
      if ('progress' in m) {
        // A throwing listener must not become an uncaught exception in the main process.
        try {
          p.onProgress?.(m.progress as never);
        } catch (err) {
          process.stderr.write(`analysis host: a progress listener of ${p.method} threw: ${(err as Error).stack ?? err}\n`);
        }
        return;
      }
      child.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new ApiError(m.error.name, m.error.message));
    });
    const died = (why: string) => {
      if (this.child === child) this.child = null;
      const tail = child.stderrTail.trim();
      const detail = `${why}${tail ? `; its stderr ended with:\n${tail}` : ''}`;
      readyReject(new AnalysisHostError(`analysis host did not start: ${detail}`));
      for (const [id, p] of child.pending) {
        child.pending.delete(id);
        p.reject(new AnalysisHostError(`analysis host ${this.closed ? 'was closed' : 'died'} during ${p.method}: ${detail}`));
      }
    };
    proc.once('error', (err) => {
      if (proc.pid !== undefined) return; // a failed kill of a live child: 'exit' still comes
      died(`could not run ${process.execPath}: ${err.message}`);
      exitedResolve();
    });
    // On 'exit', not 'close': after our own disconnect() Node 20 never emits 'close'. Let stderr end
    // first (briefly: a grandchild could hold the pipe) so the tail holds the child's last words.
    const stderrEnded = new Promise<void>((res) => proc.stderr!.once('close', () => res()));
    proc.once('exit', (code, signal) => {
      if (this.child === child) this.child = null; // the next call starts a new child at once
      const grace = new Promise<void>((res) => setTimeout(res, STDERR_GRACE_MS).unref());
      void Promise.race([stderrEnded, grace]).then(() => {
        died(`process ${proc.pid} exited with ${signal ? `signal ${signal}` : `code ${code}`}`);
        exitedResolve();
      });
    });
    return child;
  }
}
