// A multi-panel figure (divergence + ratio + L×L) exports as one SVG / PDF / PNG at full ACL width.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { figureGallery } from '../../test/charts/figure-gallery';
import { exportFigure } from './export';

describe('multi-panel figures', () => {
  it('one file holding every panel, lettered in order, 16 cm wide', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-panels-'));
    try {
      const spec = figureGallery().find((f) => f.name === 'compare-panels-abc')!.spec;
      const r = await exportFigure(spec, dir, 'abc');
      const svg = fs.readFileSync(r.files.svg!, 'utf8');
      expect(svg.match(/<svg[^>]*class="panel"/g)).toHaveLength(3);
      expect([...svg.matchAll(/class="panel-letter"[^>]*>([^<]*)</g)].map((m) => m[1])).toEqual(['(a)', '(b)', '(c)']);
      expect(svg).toMatch(/^<\?xml[^>]*>\s*<svg[^>]*width="453\.54pt"/);
      const pdf = fs.readFileSync(r.files.pdf!);
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      expect(pdf.toString('latin1')).toMatch(/\/MediaBox \[0 0 453\.5/);
      expect(fs.statSync(r.files.png!).size).toBeGreaterThan(10_000);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
