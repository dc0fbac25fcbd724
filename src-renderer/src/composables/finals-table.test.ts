import { describe, expect, it } from 'vitest';
import type { RunFinals } from '../../../src-main/common/types';
import { finalsColumns, finalsCsv, formatCell, sortFinals } from './finals-table';

const run = (id: number, name: string, clm: number | null, decay: number | null, extra: Partial<RunFinals> = {}): RunFinals => ({
  id, name, sweep: 's', status: 'finished', phaseLoss: [{ phase: id === 3 ? 'mlm' : 'clm', loss: clm }, { phase: 'decay', loss: decay }],
  heldOutLoss: null, lastStep: 22, tokens: 2816, wallS: 12.34, ...extra,
});
const rows = [run(1, 'clm-detour · seed 1', 5.5, 4.25), run(2, 'clm-detour, "low" · seed 1', 6, null), run(3, 'mlm-baseline · seed 1', 7, 4.0)];

describe('final-metrics table', () => {
  it('has one loss column per phase name, in the order the runs name them', () => {
    expect(finalsColumns(rows).map((c) => c.label)).toEqual(['Run', 'Status', 'clm loss', 'decay loss', 'mlm loss', 'held-out loss', 'tokens', 'wall time (s)']);
  });

  it('sorts by a column either way, runs without the value last', () => {
    const decay = finalsColumns(rows).find((c) => c.key === 'loss:decay')!;
    expect(sortFinals(rows, decay, 'asc').map((r) => r.id)).toEqual([3, 1, 2]);
    expect(sortFinals(rows, decay, 'desc').map((r) => r.id)).toEqual([1, 3, 2]);
    const name = finalsColumns(rows)[0];
    expect(sortFinals(rows, name, 'desc').map((r) => r.id)).toEqual([3, 2, 1]);
  });

  it('exports CSV with full precision, empty missing cells and quoted names', () => {
    const cols = finalsColumns(rows);
    const csv = finalsCsv(rows, cols).split('\r\n');
    expect(csv[0]).toBe('Run,Status,clm loss,decay loss,mlm loss,held-out loss,tokens,wall time (s)');
    expect(csv[1]).toBe('clm-detour · seed 1,finished,5.5,4.25,,,2816,12.34');
    expect(csv[2]).toBe('"clm-detour, ""low"" · seed 1",finished,6,,,,2816,12.34');
    expect(csv[4]).toBe('');
    expect(formatCell(cols[3], rows[1])).toBe('—');
    expect(formatCell(cols[2], rows[0])).toBe('5.5000');
  });
});
