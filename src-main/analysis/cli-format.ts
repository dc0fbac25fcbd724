// Plain-text tables for `npm run analyze` without --json (the JSON output carries the same numbers
// in full precision).
import type { CompareResult } from './comparisons';
import type { DriftResult } from './model-drift';
import type { PhaseGradNorms } from './grad-norms';
import type { ProbeStoredResult } from './probe-stored';
import type { TrajectoryResult } from './trajectory';
import type { TransplantModelResult } from './service';

const f = (x: number | null | undefined, digits = 4): string => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

/** Hidden-state index as a name: 0 is the embedding output, l the output of transformer layer l − 1. */
export function layerName(hidden: number): string {
  return hidden === 0 ? 'emb' : `L${hidden - 1}`;
}

export function formatCompare(r: CompareResult): string {
  const head = ['layer', 'CKA', 'd'];
  if (r.controlDivergence) head.push('d ctrl', 'ratio');
  if (r.bootstrap) head.push(`d ${Math.round(r.bootstrap.level * 100)}% CI`, 'shift');
  if (r.bootstrap && r.controlDivergence) head.push('ratio CI');
  const rows = r.layers.map((l, i) => {
    const row = [layerName(l), f(r.cka[i]), f(r.divergence[i])];
    if (r.controlDivergence) row.push(f(r.controlDivergence[i]), f(r.ratio![i], 2));
    const b = r.bootstrap?.layers[i];
    if (b) row.push(`[${f(b.divergence.lo)}, ${f(b.divergence.hi)}]`, f(b.divergenceShift));
    if (b && r.controlDivergence) row.push(`[${f(b.ratio?.lo, 2)}, ${f(b.ratio?.hi, 2)}]`);
    return row;
  });
  const out = [`${r.measure} CKA, ${r.pooling}-pooled, ${r.examples} examples of probe set ${r.probeSet.name}`, `A: ${r.a.path}`, `B: ${r.b.path}`];
  if (r.control) out.push(`control: ${r.control.a.path} vs ${r.control.b.path}`);
  out.push(table(head, rows));
  if (r.regions) {
    const reg = r.regions;
    out.push('', table(['region', 'mean d', ...(reg.ratio ? ['mean d ctrl', 'mean ratio'] : [])], reg.divergence.map((x, i) => [
      `${x.region} (${x.layers.length ? `L${x.layers[0]}-L${x.layers[x.layers.length - 1]}` : 'empty'})`,
      f(x.mean),
      ...(reg.ratio ? [f(reg.controlDivergence![i].mean), f(reg.ratio[i].mean, 2)] : []),
    ])));
  }
  if (r.bootstrap) {
    out.push(`(${r.bootstrap.reps} bootstrap resamples of the probe examples; shift = mean replicate d − d: resamples repeat examples, and CKA on fewer distinct examples is biased upward)`);
  }
  if (r.cross) {
    out.push('', 'cross-layer CKA (rows A, columns B):', table(['', ...r.cross.cols.map(layerName)], r.cross.cka.map((row, i) => [layerName(r.cross!.rows[i]), ...row.map((v) => f(v, 3))])));
  }
  return out.join('\n');
}

export function formatProbes(r: ProbeStoredResult): string {
  const out = [`probes on ${r.model.path} (${r.pooling}-pooled, probe set ${r.probeSet.name})`];
  for (const t of r.tasks) {
    out.push('', `${t.labelSet}: ${t.report.classes.length} classes, ${t.examples} examples (train ${t.report.split.train} / dev ${t.report.split.dev} / test ${t.report.split.test})`);
    const ci = t.report.layers.find((l) => l.task.ci)?.task.ci;
    const ciHead = ci ? `${Math.round(ci.level * 100)}% CI` : null;
    out.push(table(['layer', 'accuracy', ...(ciHead ? [ciHead] : []), 'macro-F1', 'control acc', 'selectivity'], t.report.layers.map((l) => [
      layerName(r.layers[l.layer]), f(l.task.accuracy, 3), ...(ciHead ? [l.task.ci ? `${f(l.task.ci.lo, 3)}–${f(l.task.ci.hi, 3)}` : '—'] : []), f(l.task.macroF1, 3), f(l.control.accuracy, 3), f(l.selectivity, 3),
    ])));
    if (t.report.majority) out.push(`majority class "${t.report.majority.label}": ${f(t.report.majority.accuracy, 3)} on test (the floor)`);
    if (ci) out.push(`CI: ${ci.reps} bootstrap resamples of the test ${ci.unit}`);
  }
  return out.join('\n');
}

export function formatDrift(d: DriftResult): string {
  return [`weight drift of ${d.model.path} from ${d.ref.path}`, table(['group', 'relative', '|W - Wref|', '|Wref|'], d.rows.map((r) => [r.group, f(r.relative, 6), f(r.change, 4), f(r.refNorm, 4)]))].join('\n');
}

export function formatTrajectory(r: TrajectoryResult): string {
  const head = ['step', 'phase', 'whole', ...r.layers.map(layerName)];
  const rows = r.points.map((p) => [String(p.checkpoint.step ?? '-'), p.checkpoint.phase ?? '-', f(p.whole), ...p.divergence.map((d) => f(d))]);
  return [`divergence (1 - ${r.measure} CKA) of run ${r.runId}'s checkpoints from ${r.ref.path}`, table(head, rows)].join('\n');
}

export function formatGradNorms(phases: PhaseGradNorms[]): string {
  return phases
    .map((p) => [`phase ${p.idx} ${p.name} (${p.objective}, steps ${p.firstStep ?? '?'}-${p.lastStep ?? '?'})`, table(['metric', 'steps', 'mean', 'rms', 'min', 'max', 'last'], p.norms.map((n) => [n.name, String(n.count), f(n.mean), f(n.rms), f(n.min), f(n.max), f(n.last)]))].join('\n'))
    .join('\n\n');
}

export function formatTransplant(r: TransplantModelResult): string {
  const t = r.transplant;
  const out = [`${t.out}: layers [${t.layers.join(', ')}]${t.embeddings ? ' + embeddings' : ''}${t.head ? ' + head' : ''} from ${t.a.path}, the rest from ${t.b.path} (checkpoint ${r.checkpointId})`];
  if (r.divergence) {
    const d = r.divergence;
    out.push(table(['layer', 'd from A', 'd from B'], d.layers.map((l, i) => [layerName(l), f(d.fromA[i]), f(d.fromB[i])])));
  }
  if (r.probes) out.push('', formatProbes(r.probes));
  return out.join('\n');
}
