// The CLM-detour study end to end at the tiny scale: six real runner processes from the demo base
// model, every analysis, figures and the HTML + PDF report.
//  1. the CLI (`npm run study`'s entry) is stopped (SIGTERM) while its second run trains;
//  2. the app's study service (what the UI's button calls) continues it in the same workspace: it
//     must reuse the finished run, resume the stopped one from its checkpoint and queue nothing twice;
//  3. the CLI again: every run reused, analyses read back from the cache, the report rewritten.
// Then every output is checked for existence and form.
// Base model: fixtures/demo-base when present (the shipped demo base); otherwise a demo-preset model
// trained 2 steps by the real runner stands in (same architecture and tokenizer).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { parseHTML } from 'linkedom';
import { figureSpecSchema } from '../../src-main/common/charts/spec';
import type { StudyStatus } from '../../src-main/common/study-types';
import { SCALE_PRESETS, STUDY_RUN_KEYS, totalStudySteps } from '../../src-main/study/plan';
import { ROOT, startRunner, writeConfig } from '../runner/run-cli';
import { openWorkspaceDb } from '../../src-main/store/db';
import { RunEventBus } from '../../src-main/events';
import { RunQueue } from '../../src-main/runs/queue';
import { StudyService } from '../../src-main/study/service';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'study-test-'));
const OUT = path.join(dir, 'study');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface CliResult { code: number | null; statuses: StudyStatus[]; stderr: string }

function study(args: string[], onStatus?: (s: StudyStatus, child: ChildProcess) => void): Promise<CliResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src-main/study/cli.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const statuses: StudyStatus[] = [];
  let buf = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const s = JSON.parse(buf.slice(0, nl)) as StudyStatus;
      buf = buf.slice(nl + 1);
      statuses.push(s);
      onStatus?.(s, child);
    }
  });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((res) => child.on('close', (code) => res({ code, statuses, stderr })));
}

let base = path.join(ROOT, 'fixtures', 'demo-base');
let first: CliResult;
let second: StudyStatus[] = [];
let third: CliResult;
const FIGURES = ['a-divergence', 'a-ratio', 'b-trajectory', 'd-freeze', 'e-lxl-clm-mlm', 'e-lxl-seed', 'f-grad-norms', 'probe-per-layer'];
const preset = SCALE_PRESETS.tiny;

beforeAll(async () => {
  if (!fs.existsSync(path.join(base, 'model.safetensors'))) {
    const cfg = writeConfig(dir, 'base.json', {
      model: 'demo', data: { corpus: path.join(ROOT, 'fixtures/corpus/wordnet-noun-glosses.txt'), tokenizer: path.join(ROOT, 'fixtures/demo-tokenizer') },
      seq_len: 32, batch_size: 4, phases: [{ name: 'mlm', objective: 'mlm', mask_rate: 0.3, steps: 2, lr: { peak: 1e-3 } }],
    });
    const r = await startRunner(['train', '--config', cfg, '--out', path.join(dir, 'base-run'), '--json']);
    expect(r.code).toBe(0);
    base = path.join(dir, 'base-run', 'checkpoints', 'step-00000002');
  }
  const args = ['--out', OUT, '--scale', 'tiny', '--base', base, '--json'];
  let signalled = false;
  first = await study(args, (s, child) => {
    const r2 = s.runs[1];
    if (!signalled && r2?.status === 'running' && r2.step >= 1) {
      signalled = true;
      child.kill('SIGTERM');
    }
  });
  // 2. the service behind startStudy / studyStatus, on the same workspace
  const db = openWorkspaceDb(OUT);
  const queue = new RunQueue(db, new RunEventBus(), { workspaceDir: OUT });
  try {
    queue.recover();
    const service = new StudyService({ db, workspaceDir: OUT, queue, baseModel: base });
    second.push(service.start('tiny'));
    await service.idle();
    second.push(service.status('tiny')!);
  } finally {
    await queue.close();
    db.close();
  }
  third = await study(args);
}, 600_000);

describe('npm run study --scale tiny', () => {
  it('the first invocation stops with its second run mid-training and reports progress with an ETA', () => {
    expect(first.code, first.stderr).toBe(130);
    const training = first.statuses.filter((s) => s.stage === 'training');
    expect(training.length).toBeGreaterThan(0);
    expect(training.some((s) => s.etaS !== null && s.etaS > 0)).toBe(true);
    expect(training[training.length - 1].stepsTotal).toBe(6 * totalStudySteps(preset));
    const last = first.statuses[first.statuses.length - 1];
    expect(last.runs[0].status).toBe('finished');
  });

  it('the study service continues it: the finished run reused, the stopped one resumed, nothing queued twice', () => {
    expect(second[0].stage).toBe('preparing');
    const done = second[second.length - 1];
    expect(done.error).toBeNull();
    expect(done.stage).toBe('done');
    expect(done.runs.map((r) => r.key)).toEqual([...STUDY_RUN_KEYS]);
    expect(done.runs[0].reused).toBe(true);
    expect(done.runs[1].reused).toBe(false);
    expect(done.report!.downloadPath).toBe('/files/figures/study-tiny/report.html');
    expect(fs.existsSync(path.join(OUT, 'figures', 'study-tiny', 'report.pdf'))).toBe(true);
    expect(done.summary!.regions.map((r) => r.region)).toEqual(['low', 'mid', 'deep', 'all']);
    expect(done.summary!.scores).toHaveLength(7);
    const db = new Database(path.join(OUT, 'workbench.db'), { readonly: true });
    try {
      const runs = db.prepare('SELECT id, status, last_step FROM runs ORDER BY id').all() as { id: number; status: string; last_step: number }[];
      expect(runs).toHaveLength(6);
      expect(runs.every((r) => r.status === 'finished' && r.last_step === totalStudySteps(preset))).toBe(true);
      // run 2 was stopped: its runner wrote a checkpoint at the stop step, and was started again from it
      const log = fs.readFileSync(path.join(OUT, 'runs', '00002', 'runner.log'), 'utf8');
      expect(log.match(/"type":"started"/g)).toHaveLength(2);
      expect(log).toMatch(/"type":"started","total_steps":22,"resumed_from_step":[1-9]/);
    } finally {
      db.close();
    }
  });

  it('the CLI invoked again reuses every run and rewrites the report', () => {
    expect(third.code, third.stderr).toBe(0);
    const done = third.statuses[third.statuses.length - 1];
    expect(done.stage).toBe('done');
    expect(done.runs.every((r) => r.reused)).toBe(true);
    expect(third.statuses.some((s) => s.stage === 'training' && s.runs.some((r) => r.status === 'running'))).toBe(false);
  });

  it('exports every figure as SVG, PDF, PNG and a spec that parses', () => {
    const figDir = path.join(OUT, 'report', 'figures');
    for (const name of FIGURES) {
      const spec = JSON.parse(fs.readFileSync(path.join(figDir, `${name}.spec.json`), 'utf8'));
      expect(figureSpecSchema.safeParse(spec).success, name).toBe(true);
      const { document } = parseHTML(fs.readFileSync(path.join(figDir, `${name}.svg`), 'utf8').replace(/^<\?xml[^>]*>/, ''));
      expect(document.querySelector('svg'), name).not.toBeNull();
      expect(fs.readFileSync(path.join(figDir, `${name}.png`)).subarray(1, 4).toString()).toBe('PNG');
      expect(fs.readFileSync(path.join(figDir, `${name}.pdf`)).subarray(0, 5).toString()).toBe('%PDF-');
    }
  });

  it('writes an HTML report with a row per layer, per region, per checkpoint and per condition', () => {
    const html = fs.readFileSync(path.join(OUT, 'report', 'report.html'), 'utf8');
    const { document } = parseHTML(html);
    const rows = (id: string) => document.querySelectorAll(`#table-${id} tbody tr`).length;
    const results = JSON.parse(fs.readFileSync(path.join(OUT, 'report', 'results.json'), 'utf8'));
    const L = results.layers as number;
    expect(L).toBe(12);
    expect(rows('per-layer')).toBe(L + 1);                   // embedding output + every layer
    expect(rows('regions')).toBe(4);                         // low, mid, deep, all
    expect(rows('trajectory')).toBe(preset.decaySegments + 1); // end of CLM + each decay segment
    expect(rows('scores-supersense')).toBe(7);               // base model + six conditions
    expect(rows('grad-norms')).toBe(L + 2);                  // embeddings, layers, head
    expect(rows('transplant')).toBe(5);                      // MLM, low, mid, deep, CLM
    expect(rows('runs')).toBe(6);
    for (const name of FIGURES) expect(document.querySelector(`#figure-${name} svg`), name).not.toBeNull();
    expect(document.querySelector('#low-layer-effect')!.textContent).toMatch(/low-layer/);
    // the numbers behind the tables are real divergences and accuracies
    const div = results.compare.divergence as number[];
    expect(div).toHaveLength(L + 1);
    for (const d of [...div, ...results.compare.controlDivergence]) expect(d).toBeGreaterThanOrEqual(-1e-9), expect(d).toBeLessThanOrEqual(1 + 1e-9);
    for (const row of results.scores.supersense) expect(row.mean).toBeGreaterThan(0), expect(row.mean).toBeLessThanOrEqual(1);
    expect(results.compare.cross.cka).toHaveLength(L + 1);
  });

  it('writes a PDF report that opens: header, trailer and a page tree with several pages', () => {
    const pdf = fs.readFileSync(path.join(OUT, 'report', 'report.pdf'));
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.subarray(-6).toString()).toMatch(/%%EOF/);
    const text = pdf.toString('latin1');
    const count = Number(/\/Type \/Pages\s*\/Count (\d+)/.exec(text)?.[1] ?? /\/Count (\d+)/.exec(text)?.[1]);
    expect(count).toBeGreaterThanOrEqual(3);
    expect(text.match(/\/Type \/Page\b(?!s)/g)?.length).toBe(count);
  });
});
