// ORT session options shared by the runner's sessions (train steps, activation extraction).
import type * as ort from 'onnxruntime-node';

/** Options for a CPU-side session with `threads` intra-op threads.
 *  Spin-waiting is off unless asked for: an idle ORT pool thread that spins holds its core, and on a
 *  2-core machine shared with another runner (the queue's concurrency > 1), with the UI, or with a
 *  second session run in turn, that made train steps 1.4x slower; on an otherwise idle machine
 *  spinning gains at most ~3% (docs/benchmarks.md, "Thread settings"). */
export function sessionOptions(threads: number, spinWait = false): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    enableCpuMemArena: true,
    enableMemPattern: true,
    // ORT reads these nested keys as the config entry "session.intra_op.allow_spinning"
    extra: { session: { intra_op: { allow_spinning: spinWait ? '1' : '0' } } },
  };
}
