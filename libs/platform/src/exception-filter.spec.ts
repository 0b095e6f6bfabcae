import { NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import type { ArgumentsHost } from '@nestjs/common';
import { pino } from 'pino';
import { ApiException } from './api-exception.js';
import { ApiExceptionFilter } from './exception-filter.js';

function run(err: unknown) {
  const sent: { status?: number; body?: unknown } = {};
  const reply = {
    status(s: number) {
      sent.status = s;
      return reply;
    },
    header() {
      return reply;
    },
    send(b: unknown) {
      sent.body = b;
      return reply;
    },
  };
  const host = {
    switchToHttp: () => ({ getResponse: () => reply, getRequest: () => ({ id: 'req-1', method: 'GET' }) }),
  } as unknown as ArgumentsHost;
  new ApiExceptionFilter(pino({ level: 'silent' })).catch(err, host);
  return sent;
}

describe('ApiExceptionFilter', () => {
  it('answers catalogue errors in the OpenAI envelope with their status', () => {
    expect(run(ApiException.of('key_disabled'))).toEqual({
      status: 403,
      body: {
        error: {
          message: 'This API key is disabled.',
          type: 'permission_error',
          code: 'key_disabled',
          param: null,
        },
      },
    });
    expect(run(ApiException.of('insufficient_quota')).body).toMatchObject({
      error: { type: 'insufficient_quota' },
    });
  });

  it('maps framework and Fastify 4xx errors to catalogue codes', () => {
    expect(run(new NotFoundException()).body).toMatchObject({ error: { code: 'not_found' } });
    expect(run(new PayloadTooLargeException()).status).toBe(413);
    expect(run(Object.assign(new Error('Unexpected token'), { statusCode: 400 })).body).toMatchObject({
      error: { code: 'invalid_request', message: 'Unexpected token' },
    });
  });

  it('answers anything else with 500 internal_error and only the request id', () => {
    const sent = run(new Error('db password is hunter2'));
    expect(sent.status).toBe(500);
    expect(JSON.stringify(sent.body)).not.toContain('hunter2');
    expect(sent.body).toMatchObject({
      error: { code: 'internal_error', message: 'Internal error (request id req-1).' },
    });
  });
});
