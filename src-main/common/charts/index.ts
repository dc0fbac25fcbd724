// One entry point for every chart kind: the renderer and headless export both call renderFigure.
import { renderHeatmap } from './heatmap';
import { renderLines } from './lines';
import { renderPanels } from './panels';
import { figureSpecSchema, type FigureSpec, type FigureSpecInput } from './spec';

export * from './spec';

/** Validate a spec (throws a ZodError naming the bad field) and fill in option defaults. */
export function parseFigureSpec(input: unknown): FigureSpec {
  return figureSpecSchema.parse(input);
}

export function renderFigure(doc: Document, spec: FigureSpec | FigureSpecInput): SVGSVGElement {
  const s = figureSpecSchema.parse(spec);
  switch (s.kind) {
    case 'heatmap':
      return renderHeatmap(doc, s);
    case 'lines':
      return renderLines(doc, s);
    case 'panels':
      return renderPanels(doc, s);
  }
}
