// A provider's 4xx in the catalogue's terms. Bodies of 401/403 (which can quote a fragment of the operator's
// provider key) and of 5xx never reach the client; other 4xx messages explain the client's own mistake, so
// they pass, with anything that looks like a credential removed.
import { apiError, type ApiError, type ErrorCode } from '@gw/contracts';

const MAX_MESSAGE = 500;
const PARAM = /^[\w.[\]-]{1,64}$/;
const SECRETS = [
  /\bBearer\s+\S+/gi,
  // sk-…, sk-proj-…, gw-sk-…, rk_live_…, also masked forms such as sk-abc****wxyz
  /\b(?:[a-z]{1,8}[-_])?(?:sk|pk|rk|key|token|secret)[-_][\w*.-]{4,}/gi,
  // Any long opaque token (keys without a known prefix: AIza…, hex, base64url).
  /[\w+/=*-]{24,}/g,
];

export function redactSecrets(text: string): string {
  let out = text.length > MAX_MESSAGE ? text.slice(0, MAX_MESSAGE) + '…' : text;
  for (const re of SECRETS) out = out.replace(re, '[redacted]');
  return out;
}

const GENERIC: Record<number, { code: ErrorCode; message: (provider: string) => string }> = {
  401: { code: 'upstream_error', message: (p) => `Upstream ${p} rejected the gateway's credentials.` },
  403: { code: 'upstream_error', message: (p) => `Upstream ${p} refused the gateway's request.` },
  404: { code: 'model_not_found', message: (p) => `Upstream ${p} does not serve this model.` },
  408: { code: 'upstream_timeout', message: (p) => `Upstream ${p} timed out.` },
};

export function upstreamClientError(status: number, body: string, provider: string): ApiError {
  const generic = GENERIC[status];
  if (generic) return apiError(generic.code, generic.message(provider));
  if (status >= 500 || status < 400)
    return apiError('upstream_error', `Upstream ${provider} answered ${status}.`);
  const code: ErrorCode = status === 413 ? 'request_too_large' : 'invalid_request';
  let message = `Upstream ${provider} answered ${status}.`;
  let param: string | null = null;
  try {
    const error = (JSON.parse(body) as { error?: { message?: unknown; param?: unknown } } | null)?.error;
    if (typeof error?.message === 'string' && error.message) message = redactSecrets(error.message);
    if (typeof error?.param === 'string' && PARAM.test(error.param)) param = error.param;
  } catch {
    /* not JSON: keep the generic message */
  }
  return apiError(code, message, param);
}
