// Starts the real key-service on a free port against the stack's Postgres and NATS, and talks to it over HTTP.
import { Writable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { bootstrap } from '../src/bootstrap.js';
import type { KeyServiceConfig } from '../src/config.js';
import type { Clock } from '../src/tokens.js';

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export class TestClock implements Clock {
  private offsetMs = 0;
  now() {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number) {
    this.offsetMs += ms;
  }
}

export async function startKeyService(opts: { clock?: Clock; overrides?: Partial<KeyServiceConfig> } = {}) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  // Everything the service would log, at the most verbose level, kept for assertions.
  const logger = pino(
    { level: 'trace', redact: { paths: ['authorization', '*.authorization'], censor: '[redacted]' } },
    sink,
  );
  const started = await bootstrap({
    overrides: { port: 0, host: '127.0.0.1', ...opts.overrides },
    logger,
    clock: opts.clock,
  });
  const admin = process.env.ADMIN_TOKEN!;

  async function call<T = any>(
    method: string,
    path: string,
    token: string | null,
    body?: unknown,
  ): Promise<Reply<T>> {
    const headers: Record<string, string> = {};
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(started.url + path, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  }

  async function newAccount(tier = 'pro', extra: Record<string, unknown> = {}): Promise<string> {
    const res = await call('POST', '/v1/accounts', admin, {
      name: `acct-${randomUUID().slice(0, 8)}`,
      tier,
      ...extra,
    });
    if (res.status !== 201) throw new Error(`account: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id;
  }

  /** A key made by the operator for an owner; returns the plaintext and the key object. */
  async function newKey(
    owner: { type: 'account' | 'organization'; id: string },
    extra: Record<string, unknown> = {},
  ) {
    const res = await call('POST', '/v1/keys', admin, {
      name: `k-${randomUUID().slice(0, 8)}`,
      owner,
      ...extra,
    });
    if (res.status !== 201) throw new Error(`key: ${res.status} ${JSON.stringify(res.body)}`);
    return { secret: res.body.key as string, id: res.body.id as string, view: res.body };
  }

  return {
    ...started,
    admin,
    call,
    newAccount,
    newKey,
    logs: () => lines.join(''),
    close: () => started.app.close(),
  };
}

export type KeyService = Awaited<ReturnType<typeof startKeyService>>;

export { collect } from '@gw/testing';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * quota.used of a key nothing was spent with: 0 when a metering-service answers on the bus, null when none
 * runs (key-service tests do not need one; other packages' tests may start one meanwhile).
 */
export const noSpendYet = {
  asymmetricMatch: (v: unknown) => v === null || v === 0,
  toAsymmetricMatcher: () => 'null or 0',
};
