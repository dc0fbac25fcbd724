// `npm run figures -- --spec FILE [--spec FILE …] --out DIR [--dpi 300] [--formats svg,pdf,png]`:
// re-render saved figure specs headless, with the same chart code the app uses.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ZodError } from 'zod';
import { describeZodError } from '../common/contract';
import { exportFigure, FIGURE_FORMATS, type FigureFormat } from './export';

function fail(msg: string): never {
  process.stderr.write(`figures: ${msg}\n`);
  process.exit(2);
}

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: { spec: { type: 'string', multiple: true }, out: { type: 'string' }, dpi: { type: 'string', default: '300' }, formats: { type: 'string', default: 'svg,pdf,png' }, json: { type: 'boolean' } },
      strict: true,
    }));
  } catch (e) {
    fail((e as Error).message);
  }
  if (!values.spec?.length) fail('--spec FILE is required (a *.spec.json saved beside an exported figure)');
  if (!values.out) fail('--out DIR is required');
  const formats = values.formats!.split(',').map((f) => f.trim()) as FigureFormat[];
  for (const f of formats) if (!FIGURE_FORMATS.includes(f)) fail(`--formats: unknown format "${f}" (known: ${FIGURE_FORMATS.join(', ')})`);
  const dpi = Number(values.dpi);
  for (const file of values.spec) {
    let spec: unknown;
    try {
      spec = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      fail(`${file}: ${(e as Error).message}`);
    }
    const name = path.basename(file).replace(/\.spec\.json$|\.json$/, '');
    try {
      const r = await exportFigure(spec, values.out, name, { formats, dpi });
      process.stdout.write(values.json ? `${JSON.stringify(r)}\n` : `${file} -> ${Object.values(r.files).join(', ')}\n`);
    } catch (e) {
      fail(e instanceof ZodError ? `${file}: ${describeZodError('figure spec', e)}` : `${file}: ${(e as Error).message}`);
    }
  }
}

void main();
