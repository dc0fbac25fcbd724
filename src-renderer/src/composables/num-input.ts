// Number inputs edit config fields in place: an empty box removes the field (the runner's schema
// then says it is required, or applies its default); anything else is stored as typed.
export function numberFrom(e: Event): number | undefined {
  const el = e.target as HTMLInputElement;
  if (el.value.trim() === '') return undefined;
  const v = el.valueAsNumber;
  return Number.isNaN(v) ? Number(el.value) : v;
}

export function setNumber(obj: Record<string, unknown>, key: string, e: Event): void {
  const v = numberFrom(e);
  if (v === undefined) delete obj[key];
  else obj[key] = v;
}

/**
 * For fields the runner would otherwise fill with a default (Peak LR, mask rate, warmup…): an empty
 * box stores null, which the schema refuses ("required: enter a number"), instead of silently
 * training with the default the user just deleted.
 */
export function setRequiredNumber(obj: Record<string, unknown>, key: string, e: Event): void {
  const v = numberFrom(e);
  obj[key] = v === undefined ? null : v;
}
