// Transport-independent call dispatch: validate the payload against the contract, run the service,
// and turn every failure into a structured {name, message} error. Both the Electron IPC handlers
// and the serve transport go through here, so validation cannot differ between them.
import { contract, describeZodError, type ApiOutputs, type Method } from '../common/contract';
import type { ApiErrorShape } from '../common/types';
import type { Services } from '../services';
import { isBusyError, WORKSPACE_BUSY_MESSAGE } from '../store/busy';

export type CallResult = { ok: true; value: unknown } | { ok: false; error: ApiErrorShape };

export { NotFoundError } from '../errors';

function isMethod(m: unknown): m is Method {
  return typeof m === 'string' && Object.prototype.hasOwnProperty.call(contract, m);
}

export async function dispatch(services: Services, method: unknown, payload: unknown): Promise<CallResult> {
  if (!isMethod(method)) {
    return { ok: false, error: { name: 'UnknownMethodError', message: `unknown method ${JSON.stringify(method)}; known: ${Object.keys(contract).join(', ')}` } };
  }
  const parsed = contract[method].input.safeParse(payload === undefined ? {} : payload);
  if (!parsed.success) return { ok: false, error: { name: 'ValidationError', message: describeZodError(method, parsed.error) } };
  try {
    const fn = services[method] as (input: unknown) => Promise<ApiOutputs[Method]> | ApiOutputs[Method];
    return { ok: true, value: await fn(parsed.data) };
  } catch (err) {
    return { ok: false, error: toErrorShape(err) };
  }
}

export function toErrorShape(err: unknown): ApiErrorShape {
  if (isBusyError(err)) return { name: 'WorkspaceBusy', message: WORKSPACE_BUSY_MESSAGE };
  if (err instanceof Error) {
    const known = err.name === 'NotFoundError' || err.name === 'ValidationError' || err.name === 'ConflictError';
    return { name: known ? err.name : 'InternalError', message: err.message };
  }
  return { name: 'InternalError', message: String(err) };
}
