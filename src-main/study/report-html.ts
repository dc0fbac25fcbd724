// The study report as one self-contained HTML file: figures inline (SVG), tables, configs, versions
// and timings. Every value is escaped; nothing is loaded from elsewhere.
import type { ReportModel } from './report-model';
import type { ReportTable } from './report-tables';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function table(t: ReportTable): string {
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = t.rows.map((r) => `<tr>${r.map((v) => `<td>${escapeHtml(v)}</td>`).join('')}</tr>`).join('\n');
  return `<table id="table-${escapeHtml(t.id)}" data-rows="${t.rows.length}"><caption>${escapeHtml(t.title)}</caption><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>${t.note ? `<p class="note">${escapeHtml(t.note)}</p>` : ''}`;
}

/** The SVG document without its XML declaration, to sit inside HTML. */
function inlineSvg(svg: string): string {
  return svg.replace(/^<\?xml[^>]*>\s*/, '');
}

export function reportHtml(m: ReportModel): string {
  const tables = Object.fromEntries(m.tables.map((t) => [t.id, t]));
  const fig = (name: string) => {
    const f = m.figures.find((x) => x.name === name);
    if (!f) return '';
    const rel = (p: string) => `figures/${p.split(/[\\/]/).pop()}`;
    return `<figure id="figure-${escapeHtml(f.name)}">${inlineSvg(f.svg)}<figcaption><b>${escapeHtml(f.title)}.</b> ${escapeHtml(f.caption)} <span class="files">[<a href="${rel(f.files.svg)}">SVG</a> · <a href="${rel(f.files.pdf)}">PDF</a> · <a href="${rel(f.files.png)}">PNG</a> · <a href="${rel(f.files.spec)}">spec</a>]</span></figcaption></figure>`;
  };
  const section = (title: string, ...parts: string[]) => `<section><h2>${escapeHtml(title)}</h2>${parts.join('\n')}</section>`;
  const p = m.preset;
  const kv = (o: Record<string, string | number>) => `<table class="kv"><tbody>${Object.entries(o).map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(String(v))}</td></tr>`).join('')}</tbody></table>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(m.title)}</title>
<style>
body { font-family: 'DejaVu Sans', system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #111; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.85rem; } caption { text-align: left; font-weight: bold; padding-bottom: 0.3rem; }
th, td { border: 1px solid #ddd; padding: 0.2rem 0.5rem; text-align: right; } th:first-child, td:first-child { text-align: left; }
table.kv td, table.kv th { text-align: left; }
figure { margin: 1rem 0; } figure svg { max-width: 100%; height: auto; } figcaption { font-size: 0.85rem; color: #333; }
.note { font-size: 0.8rem; color: #555; } .summary { background: #f4f6fa; padding: 0.8rem 1rem; border-left: 4px solid #4a6fa5; }
pre { background: #f6f6f6; padding: 0.6rem; overflow-x: auto; font-size: 0.75rem; }
</style></head><body>
<h1>${escapeHtml(m.title)}</h1>
<p>Scale <b>${escapeHtml(m.scale)}</b> · written ${escapeHtml(m.createdAt)} · ${m.results.layers}-layer demo ModernBERT · probe set of ${m.results.probe.texts} held-out biomedical texts.</p>
<p class="summary" id="low-layer-effect">${escapeHtml(m.summary.lowLayerEffect)}</p>
${section('Setup',
  `<p>Six runs start from the same demo base model (a 12-layer ModernBERT pretrained on the general WordNet corpus) and train on the demo biomedical corpus with the same data order (seed 1; the noise control uses seed 2), the same number of steps and the same batch shapes. Phase 1 is CLM (causal attention, next-token loss through the LM head) or MLM at 30%; then an MLM 15% decay of 0.1·n tokens, 1−√ to 10% of the peak, split into ${p.decaySegments} segments continuing one schedule (a checkpoint at each segment end).</p>`,
  kv({ 'phase 1 steps (n)': p.firstSteps, 'decay steps': m.runs[0]?.steps !== undefined ? m.runs[0].steps - p.firstSteps : '', 'batch × sequence': `${p.batchSize} × ${p.seqLen}`, 'tokens per run': m.data.tokensPerRun, 'peak lr': p.peakLr, 'warmup steps': p.warmup, optimizer: 'AdamW β (0.9, 0.98), ε 1e-6, wd 1e-5, clip 1.0', 'base model': m.data.baseModel, 'training corpus': m.data.corpus, 'probe set': `${m.data.probe} (max ${p.probeMaxLength} tokens)` }),
  table(tables.runs))}
${section('(a) Divergence per layer and seed-noise ratio', fig('a-divergence'), fig('a-ratio'), table(tables['per-layer']))}
${section('(b) Decay trajectory', fig('b-trajectory'), table(tables.trajectory))}
${section('(c) Regions', table(tables.regions))}
${section('(d) Freeze conditions', ...(tables.finetune ? [fig('d-freeze-finetune'), table(tables.finetune)] : []), fig('d-freeze'), table(tables['scores-supersense']), table(tables['scores-pos']))}
${section('(e) Layer × layer CKA', fig('e-lxl-clm-mlm'), fig('e-lxl-seed'))}
${section('(f) Gradient norms per layer', fig('f-grad-norms'), table(tables['grad-norms']))}
${section('(g) Transplants', table(tables.transplant), fig('probe-per-layer'))}
${tables.agreement ? section('(h) Robustness: other similarity measures', fig('h-agreement'), table(tables.agreement), table(tables.rogue)) : ''}
${section('Versions and timings',
  kv(m.versions),
  kv(Object.fromEntries(m.timings.map((t) => [t.label, `${t.seconds.toFixed(1)} s`]))))}
${section('Run configs', ...m.runs.map((r) => `<details><summary>#${r.runId} ${escapeHtml(r.label)}</summary><pre>${escapeHtml(JSON.stringify(r.config, null, 2))}</pre></details>`))}
</body></html>
`;
}
