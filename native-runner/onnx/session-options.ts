// ORT session options shared by the runner's sessions (train steps, activation extraction).
import type * as ort from 'onnxruntime-node';

/** Options for a CPU-side session with `threads` intra-op threads (`memPattern`: see below).
 *  Spin-waiting is off unless asked for: an idle ORT pool thread that spins holds its core, and on a
 *  2-core machine shared with another runner (the queue's concurrency > 1), with the UI, or with a
 *  second session run in turn, that made train steps 1.4x slower; on an otherwise idle machine
 *  spinning gains at most ~3% (docs/benchmarks.md, "Thread settings"). */
export function sessionOptions(threads: number, spinWait = false, memPattern = true): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    enableCpuMemArena: true,
    // The memory pattern reserves one block for all of a run's intermediates, outside the arena, and
    // frees it after every run: at ModernBERT-base size that is gigabytes faulted in again per train
    // step and 1.3 GB more peak memory than the arena alone (docs/benchmarks.md, "base size").
    enableMemPattern: memPattern,
    // ORT reads these nested keys as the config entry "session.intra_op.allow_spinning"
    extra: { session: { intra_op: { allow_spinning: spinWait ? '1' : '0' } } },
  };
}
