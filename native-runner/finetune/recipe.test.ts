// Recipe presets and the learning-rate schedule: the paper's values, linear warmup over 10% then
// linear decay to 0 (HF get_linear_schedule_with_warmup, shifted one step), and clear field errors.
import { describe, expect, it } from 'vitest';
import { linearWarmupDecay, recipe } from './recipe';
import { subsampleTask, type Task } from './task';

describe('fine-tuning recipes', () => {
  it('paper presets carry the paper protocol', () => {
    expect(recipe('paper-en')).toMatchObject({ lr: 5e-5, weightDecay: 0.01, batchSize: 16, epochs: 10, warmupRatio: 0.1, pooling: 'cls' });
    expect(recipe('paper-fr')).toMatchObject({ lr: 2e-5, batchSize: 4, epochs: 15, warmupRatio: 0.1, pooling: 'cls' });
    expect(recipe('demo', { lr: 3e-5 }).lr).toBe(3e-5);
  });
  it('schedule: lr·(s+1)/w up to the peak, then linear to 0 at the last step', () => {
    const total = 100, w = 10, lr = 1e-4;
    expect(linearWarmupDecay(lr, 0, total, w)).toBeCloseTo(1e-5, 15);
    expect(linearWarmupDecay(lr, 9, total, w)).toBeCloseTo(1e-4, 15);
    expect(linearWarmupDecay(lr, 10, total, w)).toBeCloseTo(1e-4, 15);
    expect(linearWarmupDecay(lr, 55, total, w)).toBeCloseTo(lr * 45 / 90, 15);
    expect(linearWarmupDecay(lr, 99, total, w)).toBeCloseTo(lr / 90, 15);
    expect(linearWarmupDecay(lr, 5, total, 0)).toBeCloseTo(lr * 95 / 100, 15);
  });
  it('bad fields are named', () => {
    expect(() => recipe('nope')).toThrow(/unknown recipe "nope" \(known: paper-en, paper-fr, demo\)/);
    expect(() => recipe('demo', { lr: 0 })).toThrow(/recipe\.lr must be in \(0, 1\)/);
    expect(() => recipe('demo', { epochs: 1.5 })).toThrow(/recipe\.epochs/);
    expect(() => recipe('demo', { pooling: 'max' as never })).toThrow(/recipe\.pooling/);
    expect(() => recipe('demo', { posWeight: 'auto' as never })).toThrow(/recipe\.posWeight/);
  });
  it('subsampleTask keeps at most n per split, deterministically, labels unchanged', () => {
    const ex = Array.from({ length: 50 }, (_, i) => ({ text: `t${i}`, label: i % 2 ? 'a' : 'b', where: `f:${i + 1}` }));
    const t: Task = { name: 'x', kind: 'single', labels: ['a', 'b'], entityTypes: [], splits: { train: ex, dev: ex.slice(0, 10), test: ex.slice(0, 20) }, source: 'x' };
    const s1 = subsampleTask(t, { train: 7, test: 5 }), s2 = subsampleTask(t, { train: 7, test: 5 });
    expect(s1.splits.train).toHaveLength(7);
    expect(s1.splits.dev).toHaveLength(10);
    expect(s1.splits.test).toHaveLength(5);
    expect(s1.splits.train.map((e) => e.text)).toEqual(s2.splits.train.map((e) => e.text));
    expect(s1.labels).toEqual(['a', 'b']);
  });
});
