// Every HTTP error leaves in OpenAI's envelope with a catalogue code. Unexpected errors are logged in full
// and answered with only a request id.
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import { apiError, type ApiError, type ErrorCode, errorStatus, toEnvelope } from '@gw/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ApiException } from './api-exception.js';

const BY_STATUS: Record<number, ErrorCode> = {
  400: 'invalid_request',
  401: 'missing_api_key',
  403: 'insufficient_permissions',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'request_too_large',
  415: 'invalid_request',
  429: 'rate_limit_exceeded',
  503: 'service_unavailable',
};

function describe(err: unknown): ApiError | undefined {
  if (err instanceof ApiException) return err.error;
  const status =
    err instanceof HttpException ? err.getStatus() : (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status !== 'number' || status >= 500 || !BY_STATUS[status]) return undefined;
  const code = BY_STATUS[status];
  // Fastify's own 4xx (bad JSON, wrong content type, body too large) carry a useful message.
  const message = code === 'not_found' ? undefined : (err as Error).message;
  return apiError(code, message);
}

@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(err: unknown, host: ArgumentsHost) {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const req = ctx.getRequest<FastifyRequest>();
    let error = describe(err);
    if (!error) {
      this.logger.error(
        { err, reqId: req.id, method: req.method, route: req.routeOptions?.url },
        'unhandled error',
      );
      error = apiError('internal_error', `Internal error (request id ${req.id}).`);
    }
    void reply
      .status(errorStatus(error.code))
      .header('content-type', 'application/json')
      .send(toEnvelope(error));
  }
}
