// Headless figure export: the shared d3 charts on linkedom, PNG through resvg, PDF through pdfkit.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DOMParser } from 'linkedom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { figureSizePt, parseFigureSpec, type FigureSpecInput } from '../common/charts';
import { exportFigure } from './export';
import { renderSvg } from './render';

const L = 13;
const heatmap: FigureSpecInput = {
  version: 1,
  kind: 'heatmap',
  data: {
    values: Array.from({ length: L }, (_, i) => Array.from({ length: L }, (_, j) => Math.exp(-Math.abs(i - j) / 3))),
    rowLabel: 'layer (CLM detour)',
    colLabel: 'layer (MLM)',
  },
  options: { title: 'Cross-layer CKA', size: 'acl-column' },
};
const lines: FigureSpecInput = {
  version: 1,
  kind: 'lines',
  data: {
    series: [
      { name: 'CLM vs MLM', x: [0, 1, 2, 3], y: [0.1, 0.2, 0.15, 0.05], lower: [0.08, 0.17, 0.1, 0.04], upper: [0.12, 0.22, 0.2, 0.06] },
      { name: 'seed noise', x: [0, 1, 2, 3], y: [0.01, 0.02, 0.03, 0.02], dashed: true },
    ],
    xLabel: 'layer',
    yLabel: 'divergence',
    integerX: true,
    regions: [{ name: 'low', from: 0, to: 1 }, { name: 'deep', from: 2, to: 3 }],
    frozen: [{ name: 'freeze low', layers: [0, 1] }],
  },
  options: { size: 'acl-full', aspect: 0.4, font: 'large', palette: 'tol-bright' },
};

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-fig-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function parseSvg(svg: string) {
  const doc = new DOMParser().parseFromString(svg.replace(/^<\?xml[^>]*>\s*/, ''), 'image/svg+xml');
  return doc.documentElement as unknown as Element;
}

describe('figure rendering', () => {
  it('draws a heatmap of L×L cells with values for hover, sized for an ACL column', () => {
    const spec = parseFigureSpec(heatmap);
    const root = parseSvg(renderSvg(spec));
    expect(root.tagName.toLowerCase()).toBe('svg');
    expect(root.getAttribute('width')).toBe('218.27pt'); // 7.7 cm
    const cells = root.querySelectorAll('rect.cell');
    expect(cells.length).toBe(L * L);
    const c = root.querySelector('rect.cell[data-row="2"][data-col="5"]')!;
    expect(Number(c.getAttribute('data-value'))).toBeCloseTo(Math.exp(-1), 12);
    expect(c.querySelector('title')!.textContent).toMatch(/layer \(CLM detour\) 2, layer \(MLM\) 5: 0\.3679/);
    // Viridis fixed to [0, 1]: the diagonal (1.0) is viridis' yellow end.
    expect(root.querySelector('rect.cell[data-row="0"][data-col="0"]')!.getAttribute('fill')).toBe('#fde725');
    expect(root.querySelector('.colorbar')).not.toBeNull();
  });

  it('draws series, bands, regions and freeze masks; grayscale maps every colour to a gray', () => {
    const spec = parseFigureSpec(lines);
    const root = parseSvg(renderSvg(spec));
    expect(root.getAttribute('width')).toBe(`${Math.round(figureSizePt(spec.options).width * 100) / 100}pt`);
    expect(root.querySelectorAll('path.series').length).toBe(2);
    expect(root.querySelectorAll('path.band').length).toBe(1);
    expect(root.querySelectorAll('rect.region').length).toBe(2);
    expect(root.querySelectorAll('g.frozen rect').length).toBe(2);
    const gray = parseSvg(renderSvg(parseFigureSpec({ ...lines, options: { ...lines.options, grayscale: true } })));
    for (const p of Array.from(gray.querySelectorAll('path.series'))) {
      const m = p.getAttribute('stroke')!.match(/^#([0-9a-f]{2})\1\1$/);
      expect(m, p.getAttribute('stroke')!).not.toBeNull();
    }
  });

  it('rejects a bad spec with the field named', () => {
    expect(() => parseFigureSpec({ ...heatmap, options: { size: 'a4' } })).toThrow(/size/);
    expect(() => parseFigureSpec({ ...lines, data: { ...(lines as { data: object }).data, series: [] } })).toThrow(/series/);
    expect(() => parseFigureSpec({ version: 2, kind: 'heatmap' })).toThrow();
  });
});

describe('figure export', () => {
  it('writes SVG, PDF with embedded fonts, PNG at the chosen DPI, and the spec', async () => {
    const r = await exportFigure(heatmap, dir, 'cka-heatmap', { dpi: 200 });
    const png = fs.readFileSync(r.files.png!);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    const widthPx = png.readUInt32BE(16);
    expect(widthPx).toBe(Math.round((7.7 / 2.54) * 200));
    const pdf = fs.readFileSync(r.files.pdf!);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.toString('latin1')).toMatch(/\/FontFile2/); // a TrueType font is embedded
    expect(pdf.toString('latin1')).toMatch(/DejaVuSans/);
    expect(pdf.toString('latin1')).toMatch(/\/MediaBox \[0 0 218\.2\d* 163\.7\d*\]/);
    expect(fs.readFileSync(r.files.svg!, 'utf8')).toContain('<svg');
    // No temporary files are left.
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('re-renders identically from the saved spec with `npm run figures`', async () => {
    const first = await exportFigure(lines, path.join(dir, 'a'), 'divergence', { formats: ['svg', 'png'] });
    const out = path.join(dir, 'b');
    const res = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/figures/cli.ts', '--spec', first.spec, '--out', out, '--formats', 'svg,png', '--json'], { encoding: 'utf8' });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(fs.readFileSync(path.join(out, 'divergence.svg'), 'utf8')).toBe(fs.readFileSync(first.files.svg!, 'utf8'));
    expect(fs.readFileSync(path.join(out, 'divergence.png')).equals(fs.readFileSync(first.files.png!))).toBe(true);
  });

  it('a bad spec file gives a clear error and writes nothing', () => {
    const bad = path.join(dir, 'bad.spec.json');
    fs.writeFileSync(bad, JSON.stringify({ ...heatmap, options: { font: 99 } }));
    const out = path.join(dir, 'c');
    const res = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/figures/cli.ts', '--spec', bad, '--out', out], { encoding: 'utf8' });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/bad\.spec\.json: figure spec: invalid input: options\.font/);
    expect(fs.existsSync(out)).toBe(false);
    const notJson = path.join(dir, 'broken.spec.json');
    fs.writeFileSync(notJson, '{"version": 1,');
    const res2 = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/figures/cli.ts', '--spec', notJson, '--out', out], { encoding: 'utf8' });
    expect(res2.status).toBe(2);
    expect(res2.stderr).toMatch(/broken\.spec\.json: .*JSON/);
  });
});
