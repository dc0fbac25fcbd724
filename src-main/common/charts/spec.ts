// Figure specs: the data and options of one chart, saved as JSON beside every export so that
// `npm run figures -- --spec FILE --out DIR` re-renders it headless, identically. The same spec
// drives the chart in the renderer (DESIGN.md decision 5). Pure: no DOM, no node.
import { z } from 'zod';

/** Paper sizes: ACL single column 7.7 cm, full width 16 cm. */
export const SIZE_PRESETS = { 'acl-column': 7.7, 'acl-full': 16 } as const;
/** Base font sizes in points. */
export const FONT_PRESETS = { small: 7, paper: 8, large: 10 } as const;

export const CM_PER_PT = 2.54 / 72;

const options = z
  .object({
    size: z.union([z.enum(['acl-column', 'acl-full']), z.object({ widthCm: z.number().min(2).max(60) }).strict()]).default('acl-column'),
    aspect: z.number().min(0.2).max(3).default(0.75),          // height / width
    font: z.union([z.enum(['small', 'paper', 'large']), z.number().min(4).max(24)]).default('paper'),
    palette: z.enum(['okabe-ito', 'tol-bright', 'tol-muted']).default('okabe-ito'), // categorical, colour-blind safe
    grayscale: z.boolean().default(false),
    title: z.string().max(200).optional(),
  })
  .strict();

const layerRegion = z.object({ name: z.string(), from: z.number().int(), to: z.number().int() }).strict();

const heatmapData = z
  .object({
    values: z.array(z.array(z.number().nullable())).min(1),  // values[row][col]
    rowLabel: z.string(),
    colLabel: z.string(),
    rowTicks: z.array(z.string()).optional(),
    colTicks: z.array(z.string()).optional(),
    // viridis01: fixed to [0, 1] (CKA); viridis: over `domain` or the data's range; diverging: RdBu centred on 0
    scale: z.enum(['viridis01', 'viridis', 'diverging']).default('viridis01'),
    domain: z.tuple([z.number(), z.number()]).optional(),  // colour range (vmin, vmax); default: the data's
    bounds: z.tuple([z.number(), z.number()]).optional(),  // the quantity's own range (accuracy: [0, 1]): never left
    valueLabel: z.string().default('CKA'),
    square: z.boolean().default(true),            // square cells (layer x layer); false: fill the plot area
    cellValues: z.boolean().default(false),       // print each cell's value (when it fits at a readable size)
    uprightColTicks: z.boolean().default(false),  // every column keeps its label: upright when too wide to lie
  })
  .strict();

const series = z
  .object({
    name: z.string(),
    x: z.array(z.number()),
    y: z.array(z.number().nullable()),
    lower: z.array(z.number().nullable()).optional(),  // shaded band (e.g. bootstrap CI or seed noise)
    upper: z.array(z.number().nullable()).optional(),
    dashed: z.boolean().optional(),
    bandLabel: z.string().optional(),                  // legend entry of the band ("95% CI"); default "<name>: band"
    points: z.enum(['auto', 'all', 'last', 'none']).optional(), // this series' markers; default: the chart's
  })
  .strict();

const linesData = z
  .object({
    series: z.array(series).min(1),
    xLabel: z.string(),
    yLabel: z.string(),
    logY: z.boolean().default(false),
    regions: z.array(layerRegion).optional(),           // shaded x-ranges (low / mid / deep layers)
    markers: z.array(z.object({ x: z.number(), label: z.string() }).strict()).optional(), // vertical lines (phase changes)
    frozen: z.array(z.object({ name: z.string(), layers: z.array(z.number().int()) }).strict()).optional(), // freeze masks on the layer axis
    yDomain: z.tuple([z.number(), z.number()]).optional(),
    yBounds: z.tuple([z.number(), z.number()]).optional(), // the quantity's own range (accuracy, CKA: [0, 1]): never left
    integerX: z.boolean().default(false),
    // Point markers: 'all', 'last' (training curves: the newest step marked, so a curve of one step is
    // still visible and nothing appears or vanishes as the run grows), 'none'. 'auto' (specs saved
    // before this choice existed, fixed-length charts such as per-layer ones): every point up to 40.
    points: z.enum(['auto', 'all', 'last', 'none']).default('auto'),
  })
  .strict();

const singleSpec = z.discriminatedUnion('kind', [
  z.object({ version: z.literal(1), kind: z.literal('heatmap'), data: heatmapData, options }).strict(),
  z.object({ version: z.literal(1), kind: z.literal('lines'), data: linesData, options }).strict(),
]);

// A multi-panel figure (e.g. divergence + ratio + L×L, labelled a / b / c) exported as one file: the
// panels side by side in `columns` columns across the figure's width; each panel keeps its own aspect.
const panelsData = z.object({ panels: z.array(singleSpec).min(1).max(9), columns: z.number().int().min(1).max(4).default(3) }).strict();

export const figureSpecSchema = z.discriminatedUnion('kind', [
  ...singleSpec.options,
  z.object({ version: z.literal(1), kind: z.literal('panels'), data: panelsData, options }).strict(),
]);

export type FigureSpec = z.output<typeof figureSpecSchema>;
export type PanelsSpec = Extract<FigureSpec, { kind: 'panels' }>;
export type FigureSpecInput = z.input<typeof figureSpecSchema>;
export type HeatmapSpec = Extract<FigureSpec, { kind: 'heatmap' }>;
export type LinesSpec = Extract<FigureSpec, { kind: 'lines' }>;
export type FigureOptions = FigureSpec['options'];

export function widthCm(o: FigureOptions): number {
  return typeof o.size === 'string' ? SIZE_PRESETS[o.size] : o.size.widthCm;
}

export function fontPt(o: FigureOptions): number {
  return typeof o.font === 'number' ? o.font : FONT_PRESETS[o.font];
}

/** Width and height of the figure in points (1 pt = 1/72 in); the SVG's user units are points. */
export function figureSizePt(o: FigureOptions): { width: number; height: number } {
  const width = widthCm(o) / CM_PER_PT;
  return { width, height: width * o.aspect };
}
