// The form's validation: the runner's own schema (parseRunConfig) on every run of the sweep at each
// edit, for instant messages, then validateRunConfig on the main side (it also reads HF directories),
// debounced. Messages are mapped back to the field that set them (sweep.ts issueField).
import { computed, ref, watch, type Ref } from 'vue';
import { api } from '../api';
import { parseRunConfig, RunConfigError, type ModelFacts, type RunConfig } from '../../../native-runner/protocol';
import { expandSweep, issueField, sweepIssues, type SweepRun, type SweepSpec } from '../../../src-main/common/sweep';
import type { FieldErrors } from './field-errors';

export interface RunCheck {
  run: SweepRun;
  parsed: RunConfig | null;    // the runner's view of the config, when it is valid client-side
  issues: string[];            // client and server issues, "field.path: message"
  server: 'pending' | 'ok' | 'failed' | 'skipped';
}
export interface Issue { key: string; message: string; runs: string[] }

const SERVER_DELAY_MS = 400;

export function useRunChecks(spec: Ref<SweepSpec>, seedError: Ref<string | null>, facts: Ref<ModelFacts | null>) {
  const sweepProblems = computed(() => sweepIssues(spec.value));
  const runs = computed<SweepRun[]>(() => (sweepProblems.value.length ? [] : expandSweep(spec.value)));
  const client = computed(() =>
    runs.value.map((run) => {
      try {
        return { run, parsed: parseRunConfig(run.config, { model: facts.value ?? undefined }), issues: [] as string[] };
      } catch (e) {
        if (e instanceof RunConfigError) return { run, parsed: null, issues: e.issues };
        return { run, parsed: null, issues: [`(root): ${(e as Error).message}`] };
      }
    }),
  );

  // Server answers, by config text; kept across edits so undoing a change needs no new request.
  const server = ref(new Map<string, { ok: boolean; errors: string[] }>());
  const serverError = ref<string | null>(null);
  let timer: ReturnType<typeof setTimeout> | null = null;
  watch(client, (list) => {
    if (timer) clearTimeout(timer);
    const todo = list.filter((c) => c.parsed && !server.value.has(JSON.stringify(c.run.config)));
    if (!todo.length) return;
    timer = setTimeout(async () => {
      try {
        const answers = await Promise.all(todo.map((c) => api.validateRunConfig({ config: c.run.config })));
        const next = new Map(server.value);
        todo.forEach((c, i) => next.set(JSON.stringify(c.run.config), { ok: answers[i].ok, errors: answers[i].errors }));
        server.value = next;
        serverError.value = null;
      } catch (e) {
        serverError.value = (e as Error).message;
      }
    }, SERVER_DELAY_MS);
  }, { immediate: true });

  const checks = computed<RunCheck[]>(() =>
    client.value.map((c) => {
      if (!c.parsed) return { ...c, server: 'skipped' as const };
      const s = server.value.get(JSON.stringify(c.run.config));
      if (!s) return { ...c, server: 'pending' as const };
      return { ...c, issues: s.errors, server: s.ok ? ('ok' as const) : ('failed' as const) };
    }),
  );

  const issues = computed<Issue[]>(() => {
    const byKey = new Map<string, Issue>();
    const add = (key: string, message: string, run?: string) => {
      const id = `${key}\u0000${message}`;
      const it = byKey.get(id) ?? { key, message, runs: [] };
      if (run && !it.runs.includes(run)) it.runs.push(run);
      byKey.set(id, it);
    };
    if (seedError.value) add('seeds', seedError.value);
    for (const p of sweepProblems.value) {
      const cut = p.indexOf(': ');
      add(p.slice(0, cut), p.slice(cut + 2));
    }
    for (const c of checks.value) for (const i of c.issues) {
      const f = issueField(spec.value, c.run, i);
      add(f.key, f.message, c.run.name);
    }
    return [...byKey.values()];
  });

  const fieldErrors = computed<FieldErrors>(() => {
    const m: FieldErrors = new Map();
    for (const i of issues.value) m.set(i.key, [...(m.get(i.key) ?? []), i.message]);
    return m;
  });

  const pending = computed(() => checks.value.some((c) => c.server === 'pending'));
  const canLaunch = computed(() => runs.value.length > 0 && issues.value.length === 0 && !pending.value && checks.value.every((c) => c.server === 'ok'));
  return { runs, checks, issues, fieldErrors, pending, canLaunch, serverError };
}
