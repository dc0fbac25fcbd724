// Resume is exact: N steps straight == k steps, SIGKILL, resume, N-k steps (parameters and AdamW
// moments equal to 1e-6), across phase changes, a freeze change and a scheduler reset.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../native-runner/protocol';
import { THREAD_MIN_ELEMENTS } from '../../native-runner/train/adamw-threads';
import { CORPUS, loadTensors, maxAbsDiff, startRunner, trainerState, writeConfig } from './run-cli';

const dir = mkdtempSync(join(tmpdir(), 'runner-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// 14 steps: MLM 30% (6) -> CLM with the low layers frozen (4) -> MLM 15% decay, scheduler reset (4)
const config = writeConfig(dir, 'run.json', {
  model: 'tiny', data: CORPUS, seq_len: 32, batch_size: 8, seed: 5, checkpoint_every: 5,
  phases: [
    { name: 'mlm', objective: 'mlm', mask_rate: 0.3, steps: 6, lr: { peak: 2e-3, warmup: 2, shape: 'constant' } },
    { name: 'clm', objective: 'clm', steps: 4, lr: { peak: 2e-3, warmup: 0, shape: 'constant' }, freeze: 'low' },
    { name: 'decay', objective: 'mlm', mask_rate: 0.15, steps: 4, lr: { peak: 2e-3, shape: 'one_minus_sqrt', final_ratio: 0.1 } },
  ],
});
const TOKENIZER = join(__dirname, '../../fixtures/demo-tokenizer');
const steps = (evs: RunEvent[]) => evs.filter((e): e is Extract<RunEvent, { type: 'step' }> => e.type === 'step');

/** Run `cfg` straight into `a`; into `b` SIGKILLed at checkpoint `killAt`, then resumed to the end (asserts each part). */
async function straightAndKilledResume(cfg: string, a: string, b: string, killAt: number): Promise<void> {
  expect((await startRunner(['train', '--config', cfg, '--out', a, '--json'])).code).toBe(0);
  const killed = await startRunner(['train', '--config', cfg, '--out', b, '--json'], (e, child) => {
    if (e.type === 'checkpoint' && e.step === killAt) child.kill('SIGKILL');
  });
  expect(killed.signal).toBe('SIGKILL');
  const resumed = await startRunner(['train', '--config', cfg, '--out', b, '--json', '--resume']);
  expect(resumed.stderr).toBe('');
  expect(resumed.code).toBe(0);
}

describe('resume after SIGKILL', () => {
  it('continues exactly as the uninterrupted run', async () => {
    const straightOut = join(dir, 'straight');
    const straight = await startRunner(['train', '--config', config, '--out', straightOut, '--json']);
    expect(straight.stderr).toBe('');
    expect(straight.code).toBe(0);
    expect(straight.events.at(-1)).toMatchObject({ type: 'finished', status: 'completed', step: 14 });
    expect(readdirSync(join(straightOut, 'checkpoints'))).toEqual(['step-00000005', 'step-00000006', 'step-00000010', 'step-00000014']);

    const killedOut = join(dir, 'killed');
    const killed = await startRunner(['train', '--config', config, '--out', killedOut, '--json'], (e, child) => {
      if (e.type === 'checkpoint' && e.step === 5) child.kill('SIGKILL');
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.events.some((e) => e.type === 'finished')).toBe(false);

    // without --resume the runner refuses to touch a directory that holds a run
    const refused = await startRunner(['train', '--config', config, '--out', killedOut, '--json']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('already holds checkpoints of a run; pass --resume');

    const resumed = await startRunner(['train', '--config', config, '--out', killedOut, '--json', '--resume']);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const from = (resumed.events[0] as Extract<RunEvent, { type: 'started' }>).resumed_from_step;
    expect(from).toBeGreaterThanOrEqual(5);
    expect(from).toBeLessThan(14);
    expect(resumed.events.at(-1)).toMatchObject({ type: 'finished', status: 'completed', step: 14 });

    // the resumed steps see the same batches, learning rates and state: same losses
    const ref = new Map(steps(straight.events).map((e) => [e.step, e]));
    for (const e of steps(resumed.events)) {
      expect(e.lr).toBe(ref.get(e.step)!.lr);
      expect(Math.abs(e.loss - ref.get(e.step)!.loss)).toBeLessThan(1e-5);
    }
    const a = join(straightOut, 'checkpoints', 'step-00000014'), b = join(killedOut, 'checkpoints', 'step-00000014');
    expect(maxAbsDiff(loadTensors(join(a, 'model.safetensors')), loadTensors(join(b, 'model.safetensors')))).toBeLessThanOrEqual(1e-6);
    expect(maxAbsDiff(loadTensors(join(a, 'optimizer.safetensors')), loadTensors(join(b, 'optimizer.safetensors')))).toBeLessThanOrEqual(1e-6);
    const [ta, tb] = [trainerState(a), trainerState(b)];
    expect(tb.data_cursor).toEqual(ta.data_cursor);
    expect(tb.rng).toEqual(ta.rng);
    expect(tb.adam_step).toBe(14);
    expect(readdirSync(join(killedOut, 'checkpoints')).some((n) => n.startsWith('.tmp'))).toBe(false);
    expect(existsSync(join(killedOut, 'events.ndjson'))).toBe(true);
  });

  it('SIGTERM stops after the current step with a checkpoint; resuming matches the straight run', async () => {
    const out = join(dir, 'stopped');
    const stopped = await startRunner(['train', '--config', config, '--out', out, '--json'], (e, child) => {
      if (e.type === 'step' && e.step === 2) child.kill('SIGTERM');
    });
    expect(stopped.code).toBe(2);
    const fin = stopped.events.at(-1) as Extract<RunEvent, { type: 'finished' }>;
    expect(fin).toMatchObject({ type: 'finished', status: 'stopped' });
    const ck = stopped.events.filter((e) => e.type === 'checkpoint').at(-1) as Extract<RunEvent, { type: 'checkpoint' }>;
    expect(ck.step).toBe(fin.step);
    const resumed = await startRunner(['train', '--config', config, '--out', out, '--json', '--resume']);
    expect(resumed.code).toBe(0);
    const ref = join(dir, 'straight', 'checkpoints', 'step-00000014');
    expect(maxAbsDiff(loadTensors(join(ref, 'model.safetensors')), loadTensors(join(out, 'checkpoints', 'step-00000014', 'model.safetensors')))).toBeLessThanOrEqual(1e-6);
  });

  it('is exact with the tokenizer data pipeline too (packed shards + masking cursor)', async () => {
    const cfg = writeConfig(dir, 'tok.json', {
      model: 'tiny', data: { corpus: CORPUS, tokenizer: TOKENIZER }, seq_len: 32, batch_size: 4, seed: 2, checkpoint_every: 3,
      phases: [
        { name: 'clm', objective: 'clm', steps: 4, lr: { peak: 1e-3, warmup: 1 } },
        { name: 'decay', objective: 'mlm', mask_rate: 0.15, steps: 4, lr: { peak: 1e-3, shape: 'one_minus_sqrt' } },
      ],
    });
    const a = join(dir, 'tok-straight'), b = join(dir, 'tok-killed');
    await straightAndKilledResume(cfg, a, b, 3);
    const last = 'step-00000008';
    expect(maxAbsDiff(loadTensors(join(a, 'checkpoints', last, 'model.safetensors')), loadTensors(join(b, 'checkpoints', last, 'model.safetensors')))).toBeLessThanOrEqual(1e-6);
    expect(trainerState(join(b, 'checkpoints', last)).data_cursor).toEqual(trainerState(join(a, 'checkpoints', last)).data_cursor);
  });
  it('K steps per ORT run (steps_per_call 4): the same checkpoints and steps; SIGKILL mid-run and resume across K boundaries is exact', async () => {
    const raw = JSON.parse(readFileSync(config, 'utf8')) as Record<string, unknown>;
    const kConfig = writeConfig(dir, 'run-k4.json', { ...raw, steps_per_call: 4 });
    const straightOut = join(dir, 'k4-straight');
    const straight = await startRunner(['train', '--config', kConfig, '--out', straightOut, '--json']);
    expect(straight.stderr).toBe('');
    expect(straight.code).toBe(0);
    // runs of ≤ 4 steps never cross a phase end or a due checkpoint: checkpoints as with K = 1
    expect(readdirSync(join(straightOut, 'checkpoints'))).toEqual(['step-00000005', 'step-00000006', 'step-00000010', 'step-00000014']);
    expect(steps(straight.events).map((e) => e.step)).toEqual([...Array(14).keys()].map((i) => i + 1));
    // and the same training as one step per run (AdamW on the host there), to float32 rounding
    const one = join(dir, 'straight', 'checkpoints', 'step-00000014');
    expect(maxAbsDiff(loadTensors(join(one, 'model.safetensors')), loadTensors(join(straightOut, 'checkpoints', 'step-00000014', 'model.safetensors')))).toBeLessThanOrEqual(1e-5);

    const killedOut = join(dir, 'k4-killed');
    const killed = await startRunner(['train', '--config', kConfig, '--out', killedOut, '--json'], (e, child) => {
      if (e.type === 'checkpoint' && e.step === 6) child.kill('SIGKILL');
    });
    expect(killed.signal).toBe('SIGKILL');
    const resumed = await startRunner(['train', '--config', kConfig, '--out', killedOut, '--json', '--resume']);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const a = join(straightOut, 'checkpoints', 'step-00000014'), b = join(killedOut, 'checkpoints', 'step-00000014');
    expect(maxAbsDiff(loadTensors(join(a, 'model.safetensors')), loadTensors(join(b, 'model.safetensors')))).toBeLessThanOrEqual(1e-6);
    expect(maxAbsDiff(loadTensors(join(a, 'optimizer.safetensors')), loadTensors(join(b, 'optimizer.safetensors')))).toBeLessThanOrEqual(1e-6);
    expect(trainerState(b).adam_step).toBe(14);
  });

  it('above the host-AdamW threading threshold (demo model, 2 threads: a worker updates half the segments): SIGKILL and resume are exact', async () => {
    const cfg = writeConfig(dir, 'demo2.json', {
      model: 'demo', data: CORPUS, seq_len: 32, batch_size: 4, seed: 3, checkpoint_every: 3, threads: 2,
      phases: [{ name: 'mlm', objective: 'mlm', mask_rate: 0.3, steps: 6, lr: { peak: 1e-3, warmup: 1 } }],
    });
    const a = join(dir, 'demo2-straight'), b = join(dir, 'demo2-killed');
    await straightAndKilledResume(cfg, a, b, 3);
    const weights = loadTensors(join(a, 'checkpoints', 'step-00000006', 'model.safetensors'));
    expect([...weights.values()].reduce((n, t) => n + t.length, 0)).toBeGreaterThan(THREAD_MIN_ELEMENTS);
    const last = 'step-00000006';
    expect(maxAbsDiff(loadTensors(join(a, 'checkpoints', last, 'model.safetensors')), loadTensors(join(b, 'checkpoints', last, 'model.safetensors')))).toBeLessThanOrEqual(1e-6);
    expect(maxAbsDiff(loadTensors(join(a, 'checkpoints', last, 'optimizer.safetensors')), loadTensors(join(b, 'checkpoints', last, 'optimizer.safetensors')))).toBeLessThanOrEqual(1e-6);
  });
});
