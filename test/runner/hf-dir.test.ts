// A run whose model is a Hugging Face directory (given relative to the config file) trains from
// that directory's weights, with the cross-field checks using its real depth.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_TOKENIZER, writeTinyModel } from '../../src-main/analysis/test-models';
import { CORPUS, startRunner, writeConfig } from './run-cli';

const dir = mkdtempSync(join(tmpdir(), 'runner-hfdir-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('model: {hf_dir}', () => {
  it('trains from the directory, resolved relative to the config file', async () => {
    writeTinyModel(join(dir, 'model'), 4);
    const phases = [{ name: 'clm', objective: 'clm', steps: 2, lr: { peak: 1e-3 } }];
    const config = writeConfig(dir, 'run.json', { model: { hf_dir: 'model' }, data: { corpus: CORPUS, tokenizer: DEMO_TOKENIZER }, seq_len: 16, batch_size: 2, phases });
    const r = await startRunner(['train', '--config', config, '--out', join(dir, 'out'), '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.events.at(-1)).toMatchObject({ type: 'finished', status: 'completed', step: 2 });
    // The directory's depth drives the checks: layer 7 does not exist in a 4-layer model.
    const bad = writeConfig(dir, 'bad.json', { model: { hf_dir: 'model' }, data: { corpus: CORPUS, tokenizer: DEMO_TOKENIZER }, seq_len: 16, batch_size: 2, phases: [{ ...phases[0], freeze: { layers: [7] } }] });
    const refused = await startRunner(['train', '--config', bad, '--out', join(dir, 'out-bad'), '--json']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/phases\[0\]\.freeze: layers\[0\]: layer 7 is out of range for a 4-layer model/);
  });
});
