// The console's only way to the server: key-service's own REST API, with the session cookie (HttpOnly, never
// readable here) and the CSRF token on state-changing calls. Nothing is kept in local or session storage.
import { t } from './strings';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null,
    readonly param: string | null,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;
let onSignedOut: () => void = () => {};

export function setCsrfToken(token: string | null) {
  csrfToken = token;
}
/** Called when the server says the session is gone (expired, revoked, signed out elsewhere). */
export function whenSignedOut(handler: () => void) {
  onSignedOut = handler;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(t.unexpected, 0, null, null);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (res.ok) return parsed as T;
  const error = (parsed as { error?: { message?: string; code?: string; param?: string } } | undefined)
    ?.error;
  if (res.status === 401) onSignedOut();
  throw new ApiError(error?.message ?? t.unexpected, res.status, error?.code ?? null, error?.param ?? null);
}

/** `?a=1&b=2` from the defined entries (empty string when none). */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const messageOf = (err: unknown) => (err instanceof Error ? err.message : t.unexpected);
