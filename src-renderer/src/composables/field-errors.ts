// Messages beside fields: the form's checks produce a map from field key (sweep coordinates, e.g.
// `recipes[0].phases[1].mask_rate`) to messages; each field looks up its own key.
import { inject, provide, type InjectionKey, type Ref } from 'vue';

export type FieldErrors = Map<string, string[]>;
const KEY: InjectionKey<Ref<FieldErrors>> = Symbol('field-errors');

export function provideFieldErrors(errors: Ref<FieldErrors>): void {
  provide(KEY, errors);
}

/** errorsFor(key) = messages of exactly that field; errorsFor(key, true) also those of its sub-fields. */
export function useFieldErrors(): (key: string, withChildren?: boolean) => string[] {
  const errors = inject(KEY, null);
  return (key, withChildren = false) => {
    const m = errors?.value;
    if (!m) return [];
    if (!withChildren) return m.get(key) ?? [];
    const out: string[] = [];
    for (const [k, v] of m) if (k === key || k.startsWith(`${key}.`) || k.startsWith(`${key}[`)) out.push(...v);
    return [...new Set(out)];
  };
}

/** DOM id of a field's control, so the summary can move focus to it. */
export function fieldId(key: string): string {
  return `f-${key.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}
