// A sweep's final-metrics table as data: its columns (one "final loss" column per phase name found
// in the runs), sorting, and CSV. Pure, so sorting and the CSV are tested without a browser.
import type { RunFinals } from '../../../src-main/common/types';

export interface FinalsColumn {
  key: string;
  label: string;
  title: string;                         // header tooltip: what the number is
  value: (r: RunFinals) => number | string | null;
  numeric: boolean;
  digits?: number;                       // shown with this many decimals
}

export function finalsColumns(rows: RunFinals[]): FinalsColumn[] {
  const phases = [...new Set(rows.flatMap((r) => r.phaseLoss.map((p) => p.phase)))];
  return [
    { key: 'name', label: 'Run', title: 'The run\'s name', value: (r) => r.name, numeric: false },
    { key: 'status', label: 'Status', title: 'Run status', value: (r) => r.status, numeric: false },
    ...phases.map((p): FinalsColumn => ({
      key: `loss:${p}`, label: `${p} loss`, title: `Training loss at the end of phase “${p}”: mean over its last 10 logged steps`,
      value: (r) => r.phaseLoss.find((x) => x.phase === p)?.loss ?? null, numeric: true, digits: 4,
    })),
    { key: 'heldOut', label: 'held-out loss', title: 'Last held-out (eval) loss, when the run logs one', value: (r) => r.heldOutLoss, numeric: true, digits: 4 },
    { key: 'tokens', label: 'tokens', title: 'Input positions seen: last step × batch size × sequence length', value: (r) => r.tokens, numeric: true, digits: 0 },
    { key: 'wall', label: 'wall time (s)', title: 'From start to finish, seconds', value: (r) => r.wallS, numeric: true, digits: 1 },
  ];
}

/** Rows sorted by one column; empty values last whichever the direction. */
export function sortFinals(rows: RunFinals[], col: FinalsColumn, dir: 'asc' | 'desc'): RunFinals[] {
  const sign = dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = col.value(a);
    const y = col.value(b);
    if (x === null || y === null) return x === null ? (y === null ? 0 : 1) : -1;
    if (typeof x === 'number' && typeof y === 'number') return sign * (x - y);
    return sign * String(x).localeCompare(String(y));
  });
}

export function formatCell(col: FinalsColumn, r: RunFinals): string {
  const v = col.value(r);
  if (v === null) return '—';
  return typeof v === 'number' && col.digits !== undefined ? v.toFixed(col.digits) : String(v);
}

/** RFC 4180 CSV: full precision numbers, empty cells for missing values, quoted text where needed. */
export function finalsCsv(rows: RunFinals[], cols: FinalsColumn[]): string {
  const cell = (v: number | string | null) => {
    if (v === null) return '';
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [cols.map((c) => cell(c.label)).join(','), ...rows.map((r) => cols.map((c) => cell(c.value(r))).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}
