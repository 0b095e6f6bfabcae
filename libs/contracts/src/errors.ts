// The error catalogue: the single source of codes, their HTTP status and OpenAI error `type`.
// Used by every HTTP exception filter, every NATS reply and Swagger. Do not rename codes: clients match on them.
export const ERROR_CATALOGUE = {
  invalid_request: { status: 400, type: 'invalid_request_error', message: 'The request is invalid.' },
  missing_api_key: {
    status: 401,
    type: 'authentication_error',
    message: 'Missing API key: send it as "Authorization: Bearer <key>".',
  },
  invalid_api_key: { status: 401, type: 'authentication_error', message: 'Incorrect API key provided.' },
  expired_api_key: { status: 401, type: 'authentication_error', message: 'This API key has expired.' },
  key_revoked: { status: 403, type: 'permission_error', message: 'This API key has been revoked.' },
  key_disabled: { status: 403, type: 'permission_error', message: 'This API key is disabled.' },
  account_restricted: {
    status: 403,
    type: 'permission_error',
    message: 'The account owning this key is suspended.',
  },
  insufficient_permissions: {
    status: 403,
    type: 'permission_error',
    message: 'This API key lacks the permission this request needs.',
  },
  model_not_allowed: {
    status: 403,
    type: 'permission_error',
    message: 'This API key may not call this model.',
  },
  ip_not_allowed: {
    status: 403,
    type: 'permission_error',
    message: 'Requests from this address are not allowed.',
  },
  not_found: { status: 404, type: 'invalid_request_error', message: 'Not found.' },
  model_not_found: { status: 404, type: 'invalid_request_error', message: 'The model does not exist.' },
  method_not_allowed: { status: 405, type: 'invalid_request_error', message: 'Method not allowed.' },
  conflict: {
    status: 409,
    type: 'invalid_request_error',
    message: 'The request conflicts with the current state.',
  },
  request_too_large: {
    status: 413,
    type: 'invalid_request_error',
    message: 'The request body is too large.',
  },
  headers_too_large: {
    status: 431,
    type: 'invalid_request_error',
    message: 'The request headers are too large.',
  },
  rate_limit_exceeded: { status: 429, type: 'rate_limit_error', message: 'Rate limit reached. Retry later.' },
  insufficient_quota: {
    status: 429,
    type: 'insufficient_quota',
    message: 'You exceeded your current quota.',
  },
  internal_error: { status: 500, type: 'server_error', message: 'Internal error.' },
  upstream_error: { status: 502, type: 'server_error', message: 'Every upstream provider failed.' },
  service_unavailable: {
    status: 503,
    type: 'server_error',
    message: 'A dependency needed for a safe answer is unavailable.',
  },
  upstream_timeout: { status: 504, type: 'server_error', message: 'The upstream provider timed out.' },
} as const satisfies Record<string, { status: number; type: string; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;
export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

/** An expected failure as a value (NATS replies, service results), not an exception. */
export interface ApiError {
  code: ErrorCode;
  message: string;
  param: string | null;
}

export interface ErrorEnvelope {
  error: { message: string; type: string; code: ErrorCode; param: string | null };
}

export function apiError(code: ErrorCode, message?: string, param: string | null = null): ApiError {
  return { code, message: message ?? ERROR_CATALOGUE[code].message, param };
}

export function errorStatus(code: ErrorCode): number {
  return ERROR_CATALOGUE[code].status;
}

export function toEnvelope(err: ApiError): ErrorEnvelope {
  return {
    error: { message: err.message, type: ERROR_CATALOGUE[err.code].type, code: err.code, param: err.param },
  };
}

/** Either a value or an expected error: what services return instead of throwing. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };
export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(
  code: ErrorCode,
  message?: string,
  param: string | null = null,
): Result<T> => ({
  ok: false,
  error: apiError(code, message, param),
});
