// PNG export is capped in pixels (refused up front, naming what fits) and rasterises off the event
// loop, so a large figure cannot freeze the server.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FigureSpecInput } from '../common/charts';
import { exportFigure } from './export';
import { MAX_PNG_PIXELS, pngSize } from './render';
import { parseFigureSpec } from '../common/charts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-pngcap-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const spec: FigureSpecInput = {
  version: 1, kind: 'lines',
  data: { series: [{ name: 'a', x: [0, 1, 2], y: [0.1, 0.3, 0.2] }], xLabel: 'layer', yLabel: 'divergence' },
  options: { size: 'acl-full', aspect: 0.6 },
};

describe('PNG export cap (item 18)', () => {
  it('refuses a full-width figure at dpi 2400 before rendering, naming the size and a dpi that fits', async () => {
    const { width, height } = pngSize(parseFigureSpec(spec), 2400);
    expect(width * height).toBeGreaterThan(MAX_PNG_PIXELS);
    const t0 = Date.now();
    const err = await exportFigure(spec, dir, 'huge', { formats: ['png'], dpi: 2400 }).then(() => null, (e: Error) => e);
    expect(err?.name).toBe('ValidationError');
    expect(err?.message).toMatch(new RegExp(`^dpi 2400: the PNG would be ${width}×${height} px \\(\\d+\\.\\d MP\\), over the 40 MP limit; use dpi (\\d+) or less`));
    const fits = Number(/use dpi (\d+)/.exec(err!.message)![1]);
    const ok = pngSize(parseFigureSpec(spec), fits);
    expect(ok.width * ok.height).toBeLessThanOrEqual(MAX_PNG_PIXELS);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('keeps the event loop turning while a large PNG renders', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const t0 = Date.now();
    const r = await exportFigure(spec, dir, 'large', { formats: ['png'], dpi: 900 });
    const ms = Date.now() - t0;
    clearInterval(timer);
    expect(fs.statSync(r.files.png!).size).toBeGreaterThan(0);
    // Rendering blocked the loop before: no tick at all until it finished.
    expect(ticks).toBeGreaterThan(Math.min(5, ms / 40));
  });
});
