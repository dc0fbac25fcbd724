// Output and model-directory failures through the real runner CLI:
//  - a read-only or full file system is said plainly, without a JS stack (item 12);
//  - a corrupt model.safetensors of model.hf_dir fails before anything is written (item 13).
// The file-system cases mount a tmpfs inside a private mount namespace (unshare -rm): no effect
// outside the test process tree. Where user namespaces are not allowed they are skipped, saying so.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_TOKENIZER, writeTinyModel } from '../../src-main/analysis/test-models';
import type { RunEvent } from '../../native-runner/protocol';
import { CORPUS, ROOT, startRunner, writeConfig } from './run-cli';

const dir = mkdtempSync(join(tmpdir(), 'runner-outerr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const canMount = spawnSync('unshare', ['-rm', 'sh', '-c', `mount -t tmpfs tmpfs ${JSON.stringify(dir)}`]).status === 0;

/** Run the runner CLI with `mountDir` replaced by a fresh tmpfs (options `opts`) in its own namespace. */
function runInMount(mountDir: string, opts: string, args: string[]): { events: RunEvent[]; stderr: string; code: number | null } {
  mkdirSync(mountDir, { recursive: true });
  const cli = ['node', '--import', 'tsx', join(ROOT, 'native-runner/cli.ts'), ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const r = spawnSync('unshare', ['-rm', 'sh', '-c', `mount -t tmpfs -o ${opts} tmpfs '${mountDir}' && exec ${cli}`], { cwd: ROOT, encoding: 'utf8' });
  const events = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as RunEvent);
  return { events, stderr: r.stderr, code: r.status };
}

const tinyChar = (extra: Record<string, unknown> = {}) => ({
  model: 'tiny', data: CORPUS, seq_len: 32, batch_size: 4, seed: 1,
  phases: [{ name: 'mlm', objective: 'mlm', mask_rate: 0.3, steps: 2, lr: { peak: 1e-3 } }], ...extra,
});
const finishedMessage = (events: RunEvent[]) => (events.find((e) => e.type === 'finished') as { message?: string } | undefined)?.message ?? '';

describe.skipIf(!canMount)('output errors are plain (item 12)', () => {
  it('a read-only output folder: "read-only", no stack trace', () => {
    const cfg = writeConfig(dir, 'ro.json', tinyChar());
    const r = runInMount(join(dir, 'ro'), 'ro', ['train', '--config', cfg, '--out', join(dir, 'ro', 'out'), '--json']);
    expect(r.code).toBe(1);
    const message = finishedMessage(r.events);
    expect(message).toMatch(/^cannot mkdir .*ro\/out.*: .*the file system is read-only \(EROFS\)$/);
    expect(message).not.toMatch(/\n\s+at /);
  });
  it('a full disk while writing a checkpoint: "no space left", no stack trace; the stack is kept on stderr', () => {
    const cfg = writeConfig(dir, 'full.json', tinyChar());
    const r = runInMount(join(dir, 'full'), 'size=96k', ['train', '--config', cfg, '--out', join(dir, 'full', 'out'), '--json']);
    expect(r.code).toBe(1);
    const message = finishedMessage(r.events);
    expect(message).toMatch(/no space left on the device \(ENOSPC\)/);
    expect(message).not.toMatch(/\n\s+at /);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});

describe('a corrupt model directory fails before OUT is written (item 13)', () => {
  it('leaves OUT as it was: no events, run_config, data cache or checkpoints', async () => {
    const model = join(dir, 'model');
    writeTinyModel(model, 2);
    const file = join(model, 'model.safetensors');
    truncateSync(file, statSync(file).size - 100);
    const out = join(dir, 'out');
    mkdirSync(out);
    writeFileSync(join(out, 'run.json'), '{}'); // the queue creates OUT with run.json before starting the runner
    const cfg = writeConfig(dir, 'corrupt.json', { model: { hf_dir: model }, data: { corpus: CORPUS, tokenizer: DEMO_TOKENIZER }, seq_len: 16, batch_size: 2, phases: [{ name: 'mlm', objective: 'mlm', mask_rate: 0.3, steps: 2, lr: { peak: 1e-3 } }] });
    const r = await startRunner(['train', '--config', cfg, '--out', out, '--json']);
    expect(r.code).toBe(1);
    expect(finishedMessage(r.events)).toMatch(/model\.safetensors: .*(truncated|out of range)/);
    expect(readdirSync(out)).toEqual(['run.json']);
  });
});
