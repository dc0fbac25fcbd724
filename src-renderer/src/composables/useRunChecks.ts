// The form's validation: the runner's own schema (parseRunConfig) on every run of the sweep at each
// edit, for instant messages, then validateRunConfig on the main side (it also reads HF directories),
// debounced. Messages are mapped back to the field that set them (sweep.ts issueField).
import { computed, ref, watch, type Ref } from 'vue';
import { api } from '../api';
import type { ModelFacts, RunConfig } from '../../../native-runner/protocol';
import { expandSweep, sweepIssues, type SweepRun, type SweepSpec } from '../../../src-main/common/sweep';
import type { FieldErrors } from './field-errors';
import { clientCheck, collectIssues, fieldErrorsOf, type Issue } from './run-checks';

export type { Issue } from './run-checks';

export interface RunCheck {
  run: SweepRun;
  parsed: RunConfig | null;    // the runner's view of the config, when it is valid client-side
  issues: string[];            // client and server issues, "field.path: message"
  server: 'pending' | 'ok' | 'failed' | 'skipped';
}

const SERVER_DELAY_MS = 400;

export function useRunChecks(spec: Ref<SweepSpec>, seedError: Ref<string | null>, facts: Ref<ModelFacts | null>) {
  const sweepProblems = computed(() => sweepIssues(spec.value));
  const runs = computed<SweepRun[]>(() => (sweepProblems.value.length ? [] : expandSweep(spec.value)));
  const client = computed(() => runs.value.map((run) => clientCheck(run, facts.value)));

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

  const issues = computed<Issue[]>(() => collectIssues(spec.value, seedError.value, sweepProblems.value, checks.value));
  const fieldErrors = computed<FieldErrors>(() => fieldErrorsOf(issues.value));

  const pending = computed(() => checks.value.some((c) => c.server === 'pending'));
  const canLaunch = computed(() => runs.value.length > 0 && issues.value.length === 0 && !pending.value && checks.value.every((c) => c.server === 'ok'));
  return { runs, checks, issues, fieldErrors, pending, canLaunch, serverError };
}
