// A runner killed between writing a checkpoint and logging its probe-set activations leaves that
// checkpoint without them; the run resumes from exactly that checkpoint, so the resumed runner logs
// them before it trains on (the study's analyses need every checkpoint's activations).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../native-runner/protocol';
import { CORPUS, startRunner, writeConfig } from './run-cli';

const dir = mkdtempSync(join(tmpdir(), 'runner-resume-acts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TOKENIZER = join(__dirname, '../../fixtures/demo-tokenizer');

describe('resume logs the activations a killed runner did not', () => {
  it('SIGKILL at a checkpoint event (before its activations), then --resume: that checkpoint gets them first', async () => {
    const probe = join(dir, 'probe.jsonl');
    writeFileSync(probe, ['a bone of the arm', 'a fever with chills', 'a small boat', 'a cold night'].map((text, i) => JSON.stringify({ id: String(i), text })).join('\n') + '\n');
    const config = writeConfig(dir, 'run.json', {
      model: 'tiny', data: { corpus: CORPUS, tokenizer: TOKENIZER }, seq_len: 32, batch_size: 4, seed: 1, checkpoint_every: 3,
      phases: [{ name: 'clm', objective: 'clm', steps: 6, lr: { peak: 1e-3 } }],
      probe_set: { path: probe, poolings: ['mean'], batch_size: 4 },
    });
    const out = join(dir, 'out');
    const killed = await startRunner(['train', '--config', config, '--out', out, '--json'], (e, child) => {
      if (e.type === 'checkpoint' && e.step === 3) child.kill('SIGKILL');
    });
    expect(killed.signal).toBe('SIGKILL');
    const ck3 = join(out, 'checkpoints', 'step-00000003');
    const logged = (evs: RunEvent[]) => evs.filter((e): e is Extract<RunEvent, { type: 'activations' }> => e.type === 'activations').map((e) => [e.step, e.checkpoint]);
    // the kill came before step 3's activations (they are logged after the checkpoint event)
    expect(logged(killed.events).some(([s]) => s === 3)).toBe(false);
    const resumed = await startRunner(['train', '--config', config, '--out', out, '--json', '--resume']);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect((resumed.events[0] as Extract<RunEvent, { type: 'started' }>).resumed_from_step).toBe(3);
    expect(logged(resumed.events)).toEqual([[3, ck3], [6, join(out, 'checkpoints', 'step-00000006')]]);
  });
});
