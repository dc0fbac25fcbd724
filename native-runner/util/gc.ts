// Collect garbage now. Large Float32Arrays that were just replaced (a TrainState's per-parameter
// arrays after they were copied into the packed segment buffers: 1.8 GB at ModernBERT-base size)
// are only freed by a major GC, and a training loop allocates too little JS memory to trigger one:
// without this, the old copies stayed resident for the whole run.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null = null;

export function collectGarbage(): void {
  if (!gc) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (g) gc = g;
    else {
      setFlagsFromString('--expose-gc');              // exposes gc() to contexts created from now on
      gc = runInNewContext('gc') as () => void;
    }
  }
  gc();
}
