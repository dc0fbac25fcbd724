// A one-line progress bar on stderr (stdout stays clean for --json). On a terminal the line redraws
// in place, at most every 100 ms; elsewhere (CI logs, pipes) each stage prints one line when it ends.

export type ProgressFn = (stage: string, done: number, total: number) => void;

export function progressBar(stream: NodeJS.WriteStream = process.stderr, width = 28): ProgressFn & { end(): void } {
  const tty = !!stream.isTTY;
  let last = 0;
  let stage = '';
  let line = '';
  const fn = ((s: string, done: number, total: number) => {
    const now = Date.now();
    const finished = total > 0 && done >= total;
    if (s !== stage) { if (tty && line) stream.write('\n'); stage = s; last = 0; }
    if (!tty) {
      if (finished) stream.write(`${s}: ${done}/${total}\n`);
      return;
    }
    if (!finished && now - last < 100) return;
    last = now;
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const fill = Math.round(frac * width);
    line = `${s.padEnd(22)} ${'█'.repeat(fill)}${'░'.repeat(width - fill)} ${(frac * 100).toFixed(0).padStart(3)}% ${done}/${total}`;
    stream.write(`\r${line}`);
  }) as ProgressFn & { end(): void };
  fn.end = () => { if (tty && line) stream.write('\n'); line = ''; };
  return fn;
}
