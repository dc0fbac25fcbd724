// The busy flag and error message of a panel that makes one API call at a time: `run(f)` sets busy,
// clears the last error, and turns a rejection into the message shown beside the panel.
import { ref } from 'vue';

export function useBusy() {
  const busy = ref(false);
  const error = ref<string | null>(null);
  async function run(f: () => Promise<void>): Promise<void> {
    busy.value = true;
    error.value = null;
    try {
      await f();
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      busy.value = false;
    }
  }
  return { busy, error, run };
}
