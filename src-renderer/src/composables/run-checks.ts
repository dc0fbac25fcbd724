// The pure half of the form's validation: run each config of the sweep through the runner's schema
// and gather every message under the field key that set it. useRunChecks adds the main side's check.
import { parseRunConfig, RunConfigError, type ModelFacts, type RunConfig } from '../../../native-runner/protocol';
import { issueField, type SweepRun, type SweepSpec } from '../../../src-main/common/sweep';
import type { FieldErrors } from './field-errors';
import { outOfRangeLayers, outOfRangeMessage, plainMessage } from './plain-messages';

export interface ClientCheck { run: SweepRun; parsed: RunConfig | null; issues: string[] }
/** One message at one field, with the runs it comes from (empty for sweep-level problems). */
export interface Issue { key: string; message: string; runs: string[] }

export function clientCheck(run: SweepRun, facts: ModelFacts | null): ClientCheck {
  try {
    return { run, parsed: parseRunConfig(run.config, { model: facts ?? undefined }), issues: [] };
  } catch (e) {
    if (e instanceof RunConfigError) return { run, parsed: null, issues: e.issues.map((i) => allOutOfRange(run, i)) };
    return { run, parsed: null, issues: [`(root): ${(e as Error).message}`] };
  }
}

/**
 * The runner stops at the first out-of-range layer of a freeze mask; the form lists them all, so one
 * round of fixing is enough: "phases[0].freeze: layers 7 and 9 are out of range …".
 */
function allOutOfRange(run: SweepRun, issue: string): string {
  const m = /^(phases\[(\d+)\]\.freeze): layers\[\d+\]: layer -?\d+ is out of range for a (\d+)-layer model/.exec(issue);
  if (!m) return issue;
  const phase = (run.config.phases as { freeze?: unknown }[])[Number(m[2])];
  const depth = Number(m[3]);
  const bad = outOfRangeLayers(phase?.freeze, depth);
  return bad.length ? `${m[1]}: ${outOfRangeMessage(bad, depth)}` : issue;
}

/** Seed, sweep and per-run issues, deduplicated by (field, message), in that order. */
export function collectIssues(spec: SweepSpec, seedError: string | null, sweepProblems: string[], runs: { run: SweepRun; issues: string[] }[]): Issue[] {
  const byKey = new Map<string, Issue>();
  const add = (key: string, message: string, run?: string) => {
    const id = `${key}\u0000${message}`;
    const it = byKey.get(id) ?? { key, message, runs: [] };
    if (run && !it.runs.includes(run)) it.runs.push(run);
    byKey.set(id, it);
  };
  if (seedError) add('seeds', seedError);
  for (const p of sweepProblems) {
    const cut = p.indexOf(': ');
    add(p.slice(0, cut), p.slice(cut + 2));
  }
  for (const c of runs) for (const i of c.issues) {
    const f = issueField(spec, c.run, i);
    add(f.key, plainMessage(f.message), c.run.name);
  }
  return [...byKey.values()];
}

export function fieldErrorsOf(issues: Issue[]): FieldErrors {
  const m: FieldErrors = new Map();
  for (const i of issues) m.set(i.key, [...(m.get(i.key) ?? []), i.message]);
  return m;
}
