// The CLM-detour study end to end at the tiny scale: six real runner processes from the demo base
// model, every analysis, figures and the HTML + PDF report.
//  1. the CLI (`npm run study`'s entry) is stopped (SIGTERM) while its second run trains;
//  2. the app's study service (what the UI's button calls) continues it in the same workspace: it
//     must reuse the finished run, resume the stopped one from its checkpoint and queue nothing twice;
//     its analysis stage runs in a real analysis host child, which is killed (SIGKILL) on the stage's
//     first progress: the study fails with a clear error, and starting it again completes it;
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
import { AnalysisHost } from '../../src-main/analysis/host';
import type { AnalysisStageProgress } from '../../src-main/study/analysis-stage';

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
let second: StudyStatus[] = [];   // the service's first attempt: its first status, then its final one
let retry: StudyStatus[] = [];    // started again after the host's child was killed
/** Each call the service made to the analysis host: the stage then, and the child's pid and the status at each progress. */
interface HostCall { method: string; stageAtCall: string | undefined; progress: AnalysisStageProgress[]; pids: (number | undefined)[]; statuses: StudyStatus[] }
const hostCalls: HostCall[] = [];
let killedPid: number | undefined;
let third: CliResult;
const FIGURES = ['a-divergence', 'a-ratio', 'b-trajectory', 'd-freeze', 'd-freeze-finetune', 'e-lxl-clm-mlm', 'e-lxl-seed', 'f-grad-norms', 'probe-per-layer', 'h-agreement'];
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
  const host = new AnalysisHost(OUT);
  // The real host, watched: what the service sends it, and its child killed on the first call's first progress.
  const watched: Pick<AnalysisHost, 'call'> = {
    call: ((method, input, onProgress) => {
      const rec: HostCall = { method, stageAtCall: service.status('tiny')?.stage, progress: [], pids: [], statuses: [] };
      hostCalls.push(rec);
      return host.call(method, input, (p) => {
        rec.progress.push(p as AnalysisStageProgress);
        rec.pids.push(host.pid);
        onProgress?.(p);
        rec.statuses.push(service.status('tiny')!);
        if (killedPid === undefined) {
          killedPid = host.pid!;
          process.kill(killedPid, 'SIGKILL');
        }
      });
    }) as AnalysisHost['call'],
  };
  const service = new StudyService({ db, workspaceDir: OUT, queue, baseModel: base, analysisHost: watched });
  try {
    queue.recover();
    second.push(service.start('tiny'));
    await service.idle();
    second.push(service.status('tiny')!);
    retry.push(service.start('tiny')); // the button pressed again
    await service.idle();
    retry.push(service.status('tiny')!);
  } finally {
    await host.close();
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
    const trained = second[second.length - 1]; // failed in its analysis stage (next test), its runs trained
    expect(trained.runs.map((r) => r.key)).toEqual([...STUDY_RUN_KEYS]);
    expect(trained.runs[0].reused).toBe(true);
    expect(trained.runs[1].reused).toBe(false);
    const done = retry[retry.length - 1];
    expect(done.error).toBeNull();
    expect(done.stage).toBe('done');
    expect(done.runs.every((r) => r.reused)).toBe(true);
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

  it('the service runs its analysis stage in the analysis host; a host crash fails the study clearly, and starting it again completes it', () => {
    // first attempt: one call, made in the 'analysing' stage, its child killed at the first progress
    expect(hostCalls.map((c) => c.method)).toEqual(['studyAnalyses', 'studyAnalyses']);
    const [killed, again] = hostCalls;
    expect(killed.stageAtCall).toBe('analysing');
    expect(killed.pids).toEqual([killedPid]);
    const failed = second[second.length - 1];
    expect(failed.stage).toBe('failed');
    expect(failed.error).toMatch(new RegExp(`^the analysis stage did not finish \\(start the study again to continue: finished runs and cached analyses are reused\\): analysis host died during studyAnalyses: process ${killedPid} exited with signal SIGKILL`));
    expect(failed.report).toBeNull();
    // second attempt: a new child ran the whole stage; its progress showed in the service's status as it came
    expect(retry[0].stage).toBe('preparing');
    expect(again.stageAtCall).toBe('analysing');
    expect(new Set(again.pids).size).toBe(1);
    expect(again.pids[0]).not.toBe(killedPid);
    expect(again.statuses.map((s) => s.stage)).toEqual(again.progress.map((p) => p.stage));
    expect(again.statuses.map((s) => s.message)).toEqual(again.progress.map((p) => p.message));
    expect(again.progress.map((p) => p.stage)).toContain('reporting');
    expect(again.progress.some((p) => p.stage === 'analysing' && /^divergence CLM vs MLM/.test(p.message))).toBe(true);
    expect(again.progress.filter((p) => p.stage === 'analysing').length).toBeGreaterThanOrEqual(7); // blocks a–g
    const saved = JSON.parse(fs.readFileSync(path.join(OUT, 'studies', 'tiny', 'study.json'), 'utf8')) as StudyStatus;
    expect(saved.stage).toBe('done');
    expect(saved.summary).toEqual(retry[retry.length - 1].summary);
  });

  it('the CLI invoked again reuses every run and rewrites the report', () => {
    expect(third.code, third.stderr).toBe(0);
    const done = third.statuses[third.statuses.length - 1];
    expect(done.stage).toBe('done');
    expect(done.runs.every((r) => r.reused)).toBe(true);
    expect(third.statuses.some((s) => s.stage === 'training' && s.runs.some((r) => r.status === 'running'))).toBe(false);
  });

  it('the analyses computed in the host (service) and read back in-process (CLI) agree', () => {
    // Everything but what says how it was obtained: cache flags, timings, versions, the runs' reuse flags.
    const analyses = (file: string) => {
      const r = JSON.parse(fs.readFileSync(file, 'utf8'), (k, v) => (k === 'cached' ? undefined : v));
      for (const k of ['timings', 'versions', 'runs']) delete r[k];
      return r;
    };
    const host = analyses(path.join(OUT, 'figures', 'study-tiny', 'results.json'));
    const cli = analyses(path.join(OUT, 'report', 'results.json'));
    expect(Object.keys(host)).toEqual(expect.arrayContaining(['compare', 'controlCross', 'regions', 'trajectory', 'scores', 'perLayerProbe', 'gradNorms', 'transplant', 'summary']));
    expect(cli).toEqual(host);
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
    expect(rows('finetune')).toBe(5);                        // the paper's five freeze-table conditions, fine-tuned
    expect(rows('grad-norms')).toBe(L + 2);                  // embeddings, layers, head
    expect(rows('transplant')).toBe(5);                      // MLM, low, mid, deep, CLM
    expect(rows('runs')).toBe(6);
    expect(rows('agreement')).toBe(8);                       // (h) one row per similarity measure
    expect(rows('rogue')).toBe(L + 1);
    for (const name of FIGURES) expect(document.querySelector(`#figure-${name} svg`), name).not.toBeNull();
    expect(document.querySelector('#low-layer-effect')!.textContent).toMatch(/low-layer/);
    expect(document.querySelector('#low-layer-effect')!.textContent).toMatch(/By fine-tuning \(demo:supersense, accuracy, 2 seeds per condition.*paired bootstrap.*the paper's freeze pattern .*(APPEARS|PARTLY|does NOT appear)/);
    expect(results.finetune.rows.map((r: { key: string }) => r.key)).toEqual(['mlm-s1', 'clm', 'clm-freeze-low', 'clm-freeze-mid', 'clm-decay-freeze-low']);
    for (const row of results.finetune.rows) expect(row.perSeed).toHaveLength(2);
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
