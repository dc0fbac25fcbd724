// The study report as a PDF (pdfkit, DejaVu fonts embedded): the same text, figures (vector, through
// svg-to-pdfkit like every exported figure) and tables as the HTML report; configs are left to the
// HTML and the run folders.
import { figureSizePt, parseFigureSpec } from '../common/charts';
import { drawSvg, newPdf, type PdfDoc } from '../figures/pdf';
import type { ReportModel } from './report-model';
import type { ReportTable } from './report-tables';

const MARGIN = 50;
type Doc = PdfDoc;

function ensureSpace(doc: Doc, height: number): void {
  if (doc.y + height > doc.page.height - MARGIN) doc.addPage();
}

function heading(doc: Doc, text: string): void {
  ensureSpace(doc, 60);
  doc.moveDown(0.6).font('Bold').fontSize(12).fillColor('black').text(text, MARGIN, doc.y).moveDown(0.3);
  doc.font('Regular').fontSize(9);
}

function table(doc: Doc, t: ReportTable): void {
  const width = doc.page.width - 2 * MARGIN;
  const size = 7.5;
  doc.font('Regular').fontSize(size);
  // column widths: proportional to the longest cell of each column (first column at least 20%)
  const longest = t.columns.map((c, i) => Math.max(c.length, ...t.rows.map((r) => (r[i] ?? '').length), 3));
  const total = longest.reduce((s, x) => s + x, 0);
  const widths = longest.map((l) => (l / total) * width);
  const rowHeight = (cells: string[]) => Math.max(...cells.map((c, i) => doc.heightOfString(c, { width: widths[i] - 4 }))) + 3;
  ensureSpace(doc, 40);
  doc.font('Bold').fontSize(8.5).text(t.title, MARGIN, doc.y, { width }).moveDown(0.2);
  const drawRow = (cells: string[], bold: boolean) => {
    doc.font(bold ? 'Bold' : 'Regular').fontSize(size);
    const h = rowHeight(cells);
    if (doc.y + h > doc.page.height - MARGIN) doc.addPage();
    const y = doc.y;
    let x = MARGIN;
    cells.forEach((c, i) => {
      doc.text(c, x + 2, y + 1.5, { width: widths[i] - 4, align: i === 0 ? 'left' : 'right' });
      x += widths[i];
    });
    doc.moveTo(MARGIN, y + h).lineTo(MARGIN + width, y + h).lineWidth(0.3).strokeColor('#bbbbbb').stroke();
    doc.y = y + h;
  };
  drawRow(t.columns, true);
  for (const r of t.rows) drawRow(r, false);
  if (t.note) doc.moveDown(0.3).font('Oblique').fontSize(7).fillColor('#444444').text(t.note, MARGIN, doc.y, { width }).fillColor('black');
  doc.moveDown(0.6);
}

function figure(doc: Doc, m: ReportModel, name: string): void {
  const f = m.figures.find((x) => x.name === name);
  if (!f) return;
  const spec = parseFigureSpec(f.spec);
  const { width, height } = figureSizePt(spec.options);
  ensureSpace(doc, height + 40);
  const x = MARGIN + (doc.page.width - 2 * MARGIN - width) / 2;
  const y = doc.y;
  drawSvg(doc, f.svg, x, y, width, height);
  doc.y = y + height + 4;
  doc.font('Regular').fontSize(7.5).fillColor('#333333').text(`${f.title}. ${f.caption}`, MARGIN, doc.y, { width: doc.page.width - 2 * MARGIN }).fillColor('black').moveDown(0.8);
}

export function reportPdf(m: ReportModel): Promise<Buffer> {
  const { doc, done } = newPdf({ size: 'A4', margin: MARGIN, info: { Title: m.title } });
  const tables = Object.fromEntries(m.tables.map((t) => [t.id, t]));
  const width = doc.page.width - 2 * MARGIN;
  doc.font('Bold').fontSize(16).text(m.title, MARGIN, MARGIN, { width });
  doc.font('Regular').fontSize(9).moveDown(0.3)
    .text(`Scale ${m.scale} · written ${m.createdAt} · ${m.results.layers}-layer demo ModernBERT · ${m.results.probe.texts} held-out biomedical probe texts · ${m.data.tokensPerRun} training tokens per run.`, { width })
    .moveDown(0.5);
  doc.font('Regular').fontSize(9).fillColor('#1d3557').text(m.summary.lowLayerEffect, { width }).fillColor('black').moveDown(0.5);
  heading(doc, 'Setup');
  table(doc, tables.runs);
  heading(doc, '(a) Divergence per layer and seed-noise ratio');
  figure(doc, m, 'a-divergence');
  figure(doc, m, 'a-ratio');
  table(doc, tables['per-layer']);
  heading(doc, '(b) Decay trajectory');
  figure(doc, m, 'b-trajectory');
  table(doc, tables.trajectory);
  heading(doc, '(c) Regions');
  table(doc, tables.regions);
  heading(doc, '(d) Freeze conditions');
  if (tables.finetune) {
    figure(doc, m, 'd-freeze-finetune');
    table(doc, tables.finetune);
  }
  figure(doc, m, 'd-freeze');
  table(doc, tables['scores-supersense']);
  table(doc, tables['scores-pos']);
  heading(doc, '(e) Layer × layer CKA');
  figure(doc, m, 'e-lxl-clm-mlm');
  figure(doc, m, 'e-lxl-seed');
  heading(doc, '(f) Gradient norms per layer');
  figure(doc, m, 'f-grad-norms');
  table(doc, tables['grad-norms']);
  heading(doc, '(g) Transplants');
  table(doc, tables.transplant);
  figure(doc, m, 'probe-per-layer');
  if (tables.agreement) {
    heading(doc, '(h) Robustness: other similarity measures');
    figure(doc, m, 'h-agreement');
    table(doc, tables.agreement);
    table(doc, tables.rogue);
  }
  heading(doc, 'Versions and timings');
  table(doc, { id: 'versions', title: 'Versions', columns: ['component', 'version'], rows: Object.entries(m.versions) });
  table(doc, { id: 'timings', title: 'Timings', columns: ['step', 'seconds'], rows: m.timings.map((t) => [t.label, t.seconds.toFixed(1)]) });
  doc.end();
  return done;
}
