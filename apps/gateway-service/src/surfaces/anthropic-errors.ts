// Errors on Anthropic's routes in Anthropic's envelope, so its SDK raises its own error classes:
// {"type":"error","error":{"type","message"}}, the type chosen by the HTTP status as Anthropic's API does.
import { type ApiError, errorStatus } from '@gw/contracts';

const TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  503: 'overloaded_error',
  504: 'timeout_error',
};

export function anthropicErrorType(status: number): string {
  return TYPES[status] ?? 'api_error';
}

export function anthropicEnvelope(error: ApiError): string {
  return JSON.stringify({
    type: 'error',
    error: { type: anthropicErrorType(errorStatus(error.code)), message: error.message },
  });
}
