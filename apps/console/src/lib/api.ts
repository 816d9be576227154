import { type ApiErrorView, networkError, toApiError } from './api-error';

export type ApiResult<T> = { ok: true; status: number; body: T } | { ok: false; error: ApiErrorView };

/**
 * One call to the gateway's HTTP API (same origin: the gateway serves the console). Bodies go out as JSON with
 * decimal strings exactly as typed; answers come back as parsed JSON, never re-formatted.
 */
export async function callApi<T>(
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  { apiKey, body }: { apiKey?: string; body?: unknown } = {},
): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (apiKey) headers['x-api-key'] = apiKey;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch (err) {
    return { ok: false, error: networkError(err) };
  }
  let parsed: unknown;
  try {
    parsed = await res.json();
  } catch {
    parsed = undefined;
  }
  if (!res.ok) return { ok: false, error: toApiError(res.status, parsed) };
  return { ok: true, status: res.status, body: parsed as T };
}
