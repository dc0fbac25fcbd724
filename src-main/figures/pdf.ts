// pdfkit documents with the DejaVu fonts embedded, and vector SVG placement through svg-to-pdfkit:
// shared by exported figures (render.ts) and the study report (study/report-pdf.ts).
import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';
import { FONT_FILES } from './fonts';

export type PdfDoc = InstanceType<typeof PDFDocument>;

/** A new document whose fonts are registered as Regular / Bold / Oblique / BoldOblique. */
export function newPdf(options: PDFKit.PDFDocumentOptions): { doc: PdfDoc; done: Promise<Buffer> } {
  const doc = new PDFDocument({ ...options, info: { Producer: 'Encoder Workbench', Creator: 'Encoder Workbench', ...options.info } });
  doc.registerFont('Regular', FONT_FILES.regular);
  doc.registerFont('Bold', FONT_FILES.bold);
  doc.registerFont('Oblique', FONT_FILES.italic);
  doc.registerFont('BoldOblique', FONT_FILES.boldItalic);
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  return { doc, done };
}

/** Draw one of our SVG figures (root size in pt) at (x, y), width × height points, as vectors. */
export function drawSvg(doc: PdfDoc, svg: string, x: number, y: number, width: number, height: number): void {
  // svg-to-pdfkit scales "pt" lengths again; with assumePt the root's unitless size is already points.
  const unitless = svg.replace(/<svg[^>]*>/, (root) => root.replace(/ (width|height)="([\d.]+)pt"/g, ' $1="$2"'));
  SVGtoPDF(doc, unitless, x, y, {
    assumePt: true,
    width,
    height,
    fontCallback: (_family: string, bold: boolean, italic: boolean) => (bold && italic ? 'BoldOblique' : bold ? 'Bold' : italic ? 'Oblique' : 'Regular'),
  });
}
