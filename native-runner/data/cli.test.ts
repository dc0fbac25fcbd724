import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'data-cli-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const npmData = (...args: string[]) => spawnSync('npm', ['run', '-s', 'data', '--', ...args], { encoding: 'utf8' });

describe('npm run data', () => {
  it('stats PATH prints documents, characters, tokens and the content hash (one JSON object with --json)', () => {
    const file = join(dir, 'c.jsonl');
    writeFileSync(file, '{"text":"The heart pumps blood."}\n{"text":"Aspirin relieves pain."}\n');
    const r = npmData('stats', file, '--json');
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ path: file, files: 1, documents: 2, characters: 44, bytes: 44 });
    expect(s.tokens).toBeGreaterThan(6);
    expect(s.tokenizer).toMatch(/fixtures\/demo-tokenizer\/tokenizer\.json$/);
    expect(s.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('bad input exits 1 with the file and line', () => {
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, '{"text":"fine"}\n{"txt":"typo"}\n');
    const r = npmData('stats', file);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`error: ${file}:2: missing field "text"`);
    const j = npmData('stats', join(dir, 'absent.txt'), '--json');
    expect(j.status).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ error: `${join(dir, 'absent.txt')}: no such file or directory` });
  });

  it('prepare --demo --json prints one JSON object (the manifest)', () => {
    const out = join(dir, 'demo');
    const r = npmData('prepare', '--demo', '--json', '--no-shards', '--out', out);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const m = JSON.parse(lines[0]);
    expect(m.probes.biomedical.texts).toBe(500);
    expect(m.probes.domain.domains).toEqual({ biomedical: 500, general: 500 });
    expect(m.tokenizer.source).toBe('fixture');
    expect(m.corpora.general.shardDir).toBeUndefined();
  });
});
