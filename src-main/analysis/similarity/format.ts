// Plain-text report of the agreement analysis for `npm run analyze -- similarity` without --json.
import { MEASURE_LABELS, type AgreementResult } from '../../common/agreement-types';

const f = (x: number | null | undefined, digits = 3): string => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));
const layerName = (hidden: number) => (hidden === 0 ? 'emb' : `L${hidden - 1}`);

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

export function formatAgreement(r: AgreementResult): string {
  const out = [`${r.measures.length} measures, ${r.pooling}-pooled, ${r.examples} examples of probe set ${r.probeSet.name}${r.params.permutations ? `, ${r.params.permutations} permutations` : ''}`, `A: ${r.a.path}`, `B: ${r.b.path}`];
  if (r.control) out.push(`control: ${r.control.a.path} vs ${r.control.b.path}`);
  const ratios = Boolean(r.control);
  out.push('', ratios ? 'divergence ÷ seed-noise divergence (p: permutation p-value of the main pair)' : 'divergence (p: permutation p-value)');
  const head = ['layer', ...r.measures.map((m) => MEASURE_LABELS[m.measure])];
  out.push(table(head, r.layers.map((l, i) => [layerName(l), ...r.measures.map((m) => `${ratios ? f(m.ratio?.[i], 2) : f(m.divergence[i])}${m.pValue ? ` p${f(m.pValue[i], 3)}` : ''}`)])));
  if (r.measures[0].regions?.ratio) {
    out.push('', table(['region', ...r.measures.map((m) => MEASURE_LABELS[m.measure])], ['low', 'mid', 'deep'].map((g) => [g, ...r.measures.map((m) => f(m.regions?.ratio?.find((x) => x.region === g)?.mean, 2))])));
  }
  for (const v of r.verdicts ?? []) out.push(v.line);
  if (r.concentration) out.push(r.concentration.line);
  out.push('', `rogue dimensions (linear CKA; top ${r.params.rogueK} features / components)`);
  out.push(table(['layer', 'share A', 'share B', 'CKA', 'z-scored', 'PCs removed', 'flips'], r.rogue.map((x) => [
    layerName(x.layer), f(x.topShareA), f(x.topShareB), f(x.cka, 4), f(x.standardisedCKA, 4), f(x.pcRemovedCKA, 4),
    x.flips ? [x.flips.standardised ? 'z-scored' : '', x.flips.pcRemoved ? 'PCs' : ''].filter(Boolean).join(',') || 'no' : '-',
  ])));
  out.push('', `most influential probe texts (leave-one-out on linear CKA; CKA without the top ${r.params.influenceK})`);
  for (const x of r.influence) {
    out.push(`${layerName(x.layer)}: CKA ${f(x.cka, 4)} → ${f(x.ckaWithoutTop, 4)} without ${x.top.map((t) => `#${t.index} (${t.influence >= 0 ? '+' : ''}${t.influence.toExponential(2)}${t.text ? ` "${t.text.length > 40 ? `${t.text.slice(0, 40)}…` : t.text}"` : ''})`).join(', ')}`);
  }
  out.push('', `${r.cached ? 'from the cache' : 'computed'} in ${r.seconds.toFixed(1)} s`);
  return out.join('\n');
}
