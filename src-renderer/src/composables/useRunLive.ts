// A run and its metrics, kept live: loaded once through the API, then extended by run events
// (progress points are appended; status and checkpoint changes reload the run).
import { onBeforeUnmount, ref, watch, type Ref } from 'vue';
import { api } from '../api';
import type { LogLine, MetricSeries, RunDetail, RunEvent } from '../../../src-main/common/types';
import { mergeLive } from './merge-live';

const MAX_POINTS = 1500;

export function useRunLive(runId: Ref<number>) {
  const run = ref<RunDetail | null>(null);
  const metrics = ref<Record<string, MetricSeries>>({});
  const log = ref<LogLine[]>([]);
  const live = ref<{ step: number; totalSteps: number | null; tokensPerS: number; etaS: number | null; phase: string } | null>(null);
  const error = ref<string | null>(null);
  let off: (() => void) | null = null;
  let reloadTimer: ReturnType<typeof setTimeout> | null = null;

  async function load(id: number) {
    try {
      const [r, m, l] = await Promise.all([api.getRun({ id }), api.runMetrics({ id, maxPoints: MAX_POINTS }), api.runLog({ id, tail: 300 })]);
      run.value = r;
      // Points that came live after the database's last step stay: no point vanishes on a reload.
      metrics.value = mergeLive(m, metrics.value); // (a new run id starts from {}: see the watch below)
      log.value = l;
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  function append(name: string, step: number, value: number) {
    const s = metrics.value[name] ?? (metrics.value[name] = { steps: [], values: [] });
    if (s.steps.length && s.steps[s.steps.length - 1] >= step) return;
    s.steps.push(step);
    s.values.push(value);
  }

  function onEvent(e: RunEvent) {
    if (e.type === 'run-progress') {
      live.value = { step: e.step, totalSteps: e.totalSteps, tokensPerS: e.tokensPerS, etaS: e.etaS, phase: e.phase };
      append('loss', e.step, e.loss);
      append('lr', e.step, e.lr);
      append('grad_norm', e.step, e.gradNorm);
      if (run.value) run.value.lastStep = e.step;
    } else if (e.type === 'run-log') {
      log.value = [...log.value.slice(-299), { t: new Date().toISOString(), level: e.level, text: e.message }];
    } else {
      // status or checkpoint: reload (debounced) for the authoritative state, per-layer metrics included
      if (reloadTimer) clearTimeout(reloadTimer);
      reloadTimer = setTimeout(() => void load(runId.value), 300);
    }
  }

  watch(
    runId,
    (id) => {
      off?.();
      run.value = null;
      metrics.value = {};
      live.value = null;
      void load(id);
      off = api.onRunEvent({ runId: id }, onEvent);
    },
    { immediate: true },
  );
  onBeforeUnmount(() => {
    off?.();
    if (reloadTimer) clearTimeout(reloadTimer);
  });
  return { run, metrics, log, live, error, reload: () => load(runId.value) };
}
