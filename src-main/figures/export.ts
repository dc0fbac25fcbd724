// Export one figure: SVG, PDF and PNG side by side with the spec (JSON) that re-renders them.
// All files are written to temporary names first and renamed only when every format succeeded,
// so a failed export never leaves a partial figure behind.
import fs from 'node:fs';
import path from 'node:path';
import { parseFigureSpec, type FigureSpec } from '../common/charts';
import { checkPngSize, renderSvg, svgToPdf, svgToPng } from './render';

export type FigureFormat = 'svg' | 'pdf' | 'png';
export const FIGURE_FORMATS: FigureFormat[] = ['svg', 'pdf', 'png'];

export interface ExportOptions {
  formats?: FigureFormat[];
  dpi?: number;            // PNG resolution, default 300
}

export interface ExportResult {
  spec: string;            // path of <name>.spec.json
  files: Partial<Record<FigureFormat, string>>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$/;

export async function exportFigure(specInput: unknown, outDir: string, name: string, opts: ExportOptions = {}): Promise<ExportResult> {
  if (!NAME.test(name)) throw new Error(`figure name "${name}": use letters, digits, '.', '_' and '-' only`);
  const dpi = opts.dpi ?? 300;
  if (!Number.isFinite(dpi) || dpi < 36 || dpi > 2400) throw new Error(`dpi: expected 36..2400, got ${dpi}`);
  const formats = opts.formats ?? FIGURE_FORMATS;
  const spec: FigureSpec = parseFigureSpec(specInput);
  if (formats.includes('png')) checkPngSize(spec, dpi); // before any rendering work
  const svg = renderSvg(spec);
  const contents: [string, Buffer | string][] = [[`${name}.spec.json`, `${JSON.stringify(spec, null, 1)}\n`]];
  if (formats.includes('svg')) contents.push([`${name}.svg`, svg]);
  if (formats.includes('pdf')) contents.push([`${name}.pdf`, await svgToPdf(svg, spec)]);
  if (formats.includes('png')) contents.push([`${name}.png`, await svgToPng(svg, spec, dpi)]);

  fs.mkdirSync(outDir, { recursive: true });
  const tmpSuffix = `.tmp-${process.pid}-${Date.now()}`;
  const written: string[] = [];
  try {
    for (const [file, body] of contents) {
      const tmp = path.join(outDir, file + tmpSuffix);
      const fd = fs.openSync(tmp, 'w');
      try {
        fs.writeSync(fd, typeof body === 'string' ? Buffer.from(body) : body);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      written.push(tmp);
    }
    for (const tmp of written) fs.renameSync(tmp, tmp.slice(0, -tmpSuffix.length));
  } catch (err) {
    for (const tmp of written) fs.rmSync(tmp, { force: true });
    throw err;
  }
  const files: ExportResult['files'] = {};
  for (const f of formats) files[f] = path.join(outDir, `${name}.${f}`);
  return { spec: path.join(outDir, `${name}.spec.json`), files };
}
