// Diverging runs through the real runner CLI (real ORT): a NaN gradient norm ends the run before a
// checkpoint of NaN weights is written; a finite blow-up (lr 10) ends it as diverged, or warns when
// the user opted out; every step event the runner prints satisfies the event schema.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RunEventSchema, type RunEvent } from '../../native-runner/protocol';
import { CORPUS, loadTensors, startRunner, writeConfig } from './run-cli';

const dir = mkdtempSync(join(tmpdir(), 'wb-diverge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = (peak: number, steps: number, extra: Record<string, unknown> = {}) => ({
  model: 'tiny', data: CORPUS, seq_len: 32, batch_size: 4, seed: 1,
  phases: [{ name: 'mlm', objective: 'mlm', mask_rate: 0.3, steps, lr: { peak, warmup: 1, shape: 'constant' } }],
  ...extra,
});

const finished = (events: RunEvent[]) => events.find((e) => e.type === 'finished') as Extract<RunEvent, { type: 'finished' }>;

function expectValidEvents(events: RunEvent[]): void {
  for (const e of events) expect(RunEventSchema.safeParse(e).success, JSON.stringify(e)).toBe(true);
}

describe('divergence (items 9, 10)', () => {
  it('lr 1e30 without clipping: diverged at the NaN gradient norm, and no NaN checkpoint on disk', async () => {
    const out = join(dir, 'nan');
    const cfg = writeConfig(dir, 'nan.json', config(1e30, 5, { checkpoint_every: 1, optimizer: { clip_grad_norm: null } }));
    const r = await startRunner(['train', '--config', cfg, '--out', out, '--json']);
    const f = finished(r.events);
    expect(f).toMatchObject({ status: 'diverged', step: 2 });
    expect(f.message).toMatch(/gradient norm is NaN \(loss [\d.e+]+\) at step 2 \(phase mlm\).*no checkpoint of this step was written.*lower the learning rate \(this phase's peak is 1e\+30\) or enable gradient clipping/);
    expect(r.code).toBe(3);
    expectValidEvents(r.events);
    const ckpts = readdirSync(join(out, 'checkpoints')).filter((d) => !d.startsWith('.'));
    expect(ckpts).toEqual(['step-00000001']);
    for (const [name, data] of loadTensors(join(out, 'checkpoints', ckpts[0], 'model.safetensors'))) expect(data.every(Number.isFinite), name).toBe(true);
  });

  it('lr 10: a loss that blows up but stays finite ends the run as diverged, with the evidence', async () => {
    const out = join(dir, 'blowup');
    const cfg = writeConfig(dir, 'blowup.json', config(10, 40));
    const r = await startRunner(['train', '--config', cfg, '--out', out, '--json']);
    const f = finished(r.events);
    expect(f.status, f.message).toBe('diverged');
    expect(f.message).toMatch(/^loss [\d.]+ at step \d+ has stayed above 4× its running median \([\d.]+\) for 10 steps, since step \d+ \(phase mlm\); the run diverged/);
    expect(f.step).toBeLessThan(40);
    expectValidEvents(r.events);
    expect(existsSync(join(out, 'checkpoints', 'step-00000040'))).toBe(false);
  });

  it('divergence.action "warn": the run goes on to the end and says why it may be diverging', async () => {
    const out = join(dir, 'warn');
    const cfg = writeConfig(dir, 'warn.json', config(10, 15, { divergence: { action: 'warn' } }));
    const r = await startRunner(['train', '--config', cfg, '--out', out, '--json']);
    expect(finished(r.events)).toMatchObject({ status: 'completed', step: 15 });
    const warnings = r.events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message);
    expect(warnings.filter((m) => /running median/.test(m))).toHaveLength(1);
  });
});
