// npm run finetune: a user JSONL task on the shipped demo checkpoint (2 seeds), its results file, the
// paired comparison of two sweeps, and bad input (exit 1, one line naming the file and line).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readResults } from './results';

const dir = mkdtempSync(join(tmpdir(), 'finetune-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ft = (...args: string[]) => spawnSync('npm', ['run', '-s', 'finetune', '--', ...args], { encoding: 'utf8', timeout: 300_000 });

const ORGANS = ['heart', 'liver', 'lung'];
function taskFile(): string {
  const lines: string[] = [];
  for (let i = 0; i < 150; i++) {
    const organ = ORGANS[i % 3];
    lines.push(JSON.stringify({ text: `a disorder of the ${organ} seen in patient ${i}`, label: organ, split: i < 90 ? 'train' : i < 120 ? 'dev' : 'test' }));
  }
  const f = join(dir, 'organs.jsonl');
  writeFileSync(f, lines.join('\n') + '\n');
  return f;
}

describe('npm run finetune', () => {
  it('two seeds on a JSONL task: events as JSON lines, a results file with every seed, mean ± sd; compare pairs two sweeps', () => {
    const task = taskFile();
    const common = ['--model', 'fixtures/demo-base', '--task', task, '--seeds', '2', '--epochs', '2', '--max-length', '32', '--threads', '1'];
    const r = ft(...common, '--out', join(dir, 'a'), '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.filter((e) => e.type === 'epoch')).toHaveLength(4);
    expect(events.filter((e) => e.type === 'seed').map((e) => e.seed)).toEqual([1, 2]);
    expect(events.at(-1).type).toBe('done');
    const res = readResults(join(dir, 'a'));
    expect(res.task).toMatchObject({ name: 'organs', kind: 'single', labels: ORGANS.slice().sort(), sizes: { train: 90, dev: 30, test: 30 } });
    expect(res.seeds.map((s) => s.seed)).toEqual([1, 2]);
    expect(res.predictions).toHaveLength(2);
    expect(res.predictions[0]).toHaveLength(30);
    expect(res.summary.accuracy!.n).toBe(2);
    expect(res.majority!.accuracy).toBeCloseTo(1 / 3, 6);
    // a second sweep with another learning rate, compared paired by seed
    const b = ft(...common, '--out', join(dir, 'b'), '--lr', '1e-5');
    expect(b.status).toBe(0);
    expect(b.stdout).toMatch(/accuracy\s+\d+\.\d ± \d+\.\d/);
    const c = ft('compare', '--a', join(dir, 'a'), '--b', join(dir, 'b'), '--json', '--replicates', '500');
    expect(c.status).toBe(0);
    const t = JSON.parse(c.stdout);
    expect(t).toMatchObject({ type: 'compare', metric: 'accuracy', seeds: 2, examples: 30, replicates: 500 });
    expect(t.ci[0]).toBeLessThanOrEqual(t.delta);
    expect(t.ci[1]).toBeGreaterThanOrEqual(t.delta);
    // other seeds do not pair
    expect(ft(...common, '--out', join(dir, 'c'), '--seeds', '2', '--seed-base', '5', '--epochs', '1').status).toBe(0);
    const bad = ft('compare', '--a', join(dir, 'a'), '--b', join(dir, 'c'));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/error: not comparable: seeds differ/);
  }, 600_000);

  it('bad input exits 1 with one line naming the problem (file and line for task files)', () => {
    const f = join(dir, 'bad.jsonl');
    writeFileSync(f, '{"text":"a","label":"x","split":"train"}\n{"text":"b","label":"y","split":"train"}\n{"text":"c","label":"x","split":"dev"}\n{"text":"d","label":"q","split":"test"}\n');
    const r = ft('--model', 'fixtures/demo-base', '--task', f, '--seeds', '1', '--out', join(dir, 'x'));
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`error: ${f}:4: label "q" does not occur in the train split (known: x, y)`);
    const j = ft('--model', 'fixtures/demo-base', '--task', f, '--seeds', '1', '--out', join(dir, 'x'), '--json');
    expect(JSON.parse(j.stdout)).toMatchObject({ type: 'error', file: f, line: 4 });
    expect(ft('--task', f, '--seeds', '1', '--out', join(dir, 'x')).stderr).toMatch(/error: --model is required/);
    expect(ft('--model', 'fixtures/demo-base', '--task', f, '--seeds', '0', '--out', join(dir, 'x')).stderr).toMatch(/error: --seeds needs an integer >= 1, got 0/);
    expect(ft('--model', 'fixtures/demo-base', '--task', 'demo:nope', '--seeds', '1', '--out', join(dir, 'x')).stderr).toMatch(/unknown demo task "nope"/);
    expect(ft('--model', 'fixtures/demo-base', '--task', f, '--seeds', '1', '--out', join(dir, 'x'), '--freeze-layers', '3-1').stderr).toMatch(/range 3-1 runs backwards/);
    expect(ft('--model', join(dir, 'nomodel'), '--task', f, '--seeds', '1', '--out', join(dir, 'x')).status).toBe(1);
    expect(() => readFileSync(join(dir, 'x', 'finetune-results.json'))).toThrow();
  });
});
