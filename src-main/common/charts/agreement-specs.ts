// Figure spec of the agreement panel: hidden states × similarity measures. With a control pair each
// cell is log₁₀ of the divergence ÷ seed-noise ratio on a diverging map centred on 0 (ratio 1: no more
// than seed noise; +1: ten times it), so every measure reads on the same scale whatever its own
// range; without a control pair, each measure's raw divergence (viridis over the data's range). Pure.
import { MEASURE_SHORT_LABELS, type AgreementResult } from '../agreement-types';
import { hiddenLabel } from './compare-specs';
import type { FigureSpecInput } from './spec';

export function agreementHeatmapSpec(r: Pick<AgreementResult, 'layers' | 'measures' | 'control'>, title?: string): FigureSpecInput {
  const withRatio = Boolean(r.control) && r.measures.every((m) => m.ratio);
  const values = r.layers.map((_, i) =>
    r.measures.map((m) => {
      const v = withRatio ? m.ratio![i] : m.divergence[i];
      if (v === null || v === undefined || !Number.isFinite(v)) return null;
      return withRatio ? (v > 0 ? Math.log10(v) : null) : v;
    }),
  );
  return {
    version: 1,
    kind: 'heatmap',
    data: {
      values,
      rowLabel: 'hidden state',
      colLabel: 'measure',
      rowTicks: r.layers.map(hiddenLabel),
      colTicks: r.measures.map((m) => MEASURE_SHORT_LABELS[m.measure]),
      scale: withRatio ? 'diverging' : 'viridis',
      valueLabel: withRatio ? 'log₁₀ (divergence ÷ seed noise)' : 'divergence',
      square: false,
    },
    // full width: at column width the eight measure names do not fit side by side, and the heatmap
    // would thin them out (a named column must never lose its label)
    options: { size: 'acl-full', aspect: 0.5, title },
  };
}
