// Every error code of the hot path, with its HTTP status and the openai SDK's matching error class.
import OpenAI from 'openai';
import { pollUntil } from '@gw/testing';
import {
  client,
  startGateway,
  startUpstream,
  startWorld,
  type Upstream,
  upstreamsFile,
  type World,
} from './harness.js';

let world: World;
let upstream: Upstream;
let gw: Awaited<ReturnType<typeof startGateway>>;
let account: string;
const messages = [{ role: 'user' as const, content: 'hi' }];

beforeAll(async () => {
  [world, upstream] = await Promise.all([startWorld(), startUpstream()]);
  gw = await startGateway({
    upstreamsFile: upstreamsFile([{ name: 'demo', url: upstream.url, extra: { timeoutMs: 500 } }]),
    trustedProxies: ['127.0.0.1', '::1'],
  });
  account = await world.admin.account('basic');
}, 60_000);
afterAll(async () => {
  await gw.close();
  await Promise.all([world.stop(), upstream.stop()]);
});

async function expectError(
  p: Promise<unknown>,
  cls: new (...a: any[]) => InstanceType<typeof OpenAI.APIError>,
  status: number,
  code: string,
) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(cls);
  const e = err as InstanceType<typeof OpenAI.APIError>;
  expect([e.status, e.code]).toEqual([status, code]);
  expect((e.error as { type?: string }).type).toEqual(expect.any(String));
  return e;
}

const chat = (sdk: OpenAI, model = 'gpt-4o-mini') => sdk.chat.completions.create({ model, messages });
// A fresh owner per key: the basic tier's per-owner RPM must not couple the tests to each other.
const key = async (extra: Record<string, unknown> = {}) => {
  account = await world.admin.account('basic');
  return world.admin.key(account, extra);
};

describe('error codes', () => {
  it('401 missing_api_key and invalid_api_key (format, checksum, unknown)', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).error.code).toBe('missing_api_key');
    const real = (await key()).key;
    for (const bad of [
      'sk-nope',
      real.slice(0, -1) + (real.endsWith('a') ? 'b' : 'a'),
      'gw-sk-' + 'A'.repeat(43) + real.slice(-6),
    ]) {
      await expectError(chat(client(gw.url, bad)), OpenAI.AuthenticationError, 401, 'invalid_api_key');
    }
  });

  it('401 expired_api_key', async () => {
    const k = await key({ expiresAt: new Date(Date.now() + 800).toISOString() });
    await chat(client(gw.url, k.key));
    await new Promise((r) => setTimeout(r, 900));
    await expectError(chat(client(gw.url, k.key)), OpenAI.AuthenticationError, 401, 'expired_api_key');
  });

  it('403 key_disabled, key_revoked and account_restricted', async () => {
    const disabled = await key();
    await world.admin.must('PATCH', `/v1/keys/${disabled.id}`, { enabled: false });
    await expectError(chat(client(gw.url, disabled.key)), OpenAI.PermissionDeniedError, 403, 'key_disabled');
    const deleted = await key();
    await world.admin.must('DELETE', `/v1/keys/${deleted.id}`);
    await expectError(chat(client(gw.url, deleted.key)), OpenAI.PermissionDeniedError, 403, 'key_revoked');
    const other = await world.admin.account('basic');
    const suspended = await world.admin.key(other);
    await world.admin.must('PATCH', `/v1/accounts/${other}`, { status: 'suspended' });
    await expectError(
      chat(client(gw.url, suspended.key)),
      OpenAI.PermissionDeniedError,
      403,
      'account_restricted',
    );
  });

  it('403 model_not_allowed; 404 model_not_found; calling models needs no permission', async () => {
    // Permissions are management rights (DESIGN "Keys"): a key with none, or only webhook, calls models.
    for (const permissions of [[], ['webhook']]) {
      expect((await chat(client(gw.url, (await key({ permissions })).key))).choices).toHaveLength(1);
    }
    const narrow = client(gw.url, (await key({ allowedModels: ['gpt-4o-mini'] })).key);
    await expectError(chat(narrow, 'gpt-4o'), OpenAI.PermissionDeniedError, 403, 'model_not_allowed');
    // basic tier: no such model in its list either
    const plain = client(gw.url, (await key()).key);
    await expectError(chat(plain, 'gpt-5-ultra'), OpenAI.PermissionDeniedError, 403, 'model_not_allowed');
    const pro = client(gw.url, (await world.admin.key(await world.admin.account('pro'))).key);
    await expectError(chat(pro, 'gpt-5-ultra'), OpenAI.NotFoundError, 404, 'model_not_found');
  });

  it('403 ip_not_allowed for v4, v6 and CIDR allow-lists', async () => {
    const k = (await key({ ipAllowlist: ['10.0.0.0/8', '2001:db8::/32', '192.168.1.7'] })).key;
    const from = (ip: string) => client(gw.url, k, { defaultHeaders: { 'x-forwarded-for': ip } });
    for (const ok of ['10.20.30.40', '2001:db8::5', '192.168.1.7'])
      expect((await chat(from(ok))).choices).toHaveLength(1);
    for (const no of ['11.0.0.1', '2001:db9::5', '192.168.1.8']) {
      await expectError(chat(from(no)), OpenAI.PermissionDeniedError, 403, 'ip_not_allowed');
    }
  });

  it('400 invalid_request naming the field', async () => {
    const sdk = client(gw.url, (await key()).key);
    const e = await expectError(
      sdk.chat.completions.create({ model: 'gpt-4o-mini', messages: [] }),
      OpenAI.BadRequestError,
      400,
      'invalid_request',
    );
    expect(e.param).toBe('messages');
    const e2 = await expectError(
      sdk.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: -5 }),
      OpenAI.BadRequestError,
      400,
      'invalid_request',
    );
    expect(e2.param).toBe('max_tokens');
    const raw = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${(await key()).key}`, 'content-type': 'application/json' },
      body: '{"model": ',
    });
    expect([raw.status, ((await raw.json()) as any).error.code]).toEqual([400, 'invalid_request']);
    const gen = await sdk
      .post('/generate', { body: { prompt: 'x', model: 'gpt-4o-mini', temperature: 1 } })
      .catch((x: unknown) => x);
    expect((gen as InstanceType<typeof OpenAI.APIError>).param).toBe('temperature');
  });

  it('429 rate_limit_exceeded with Retry-After and x-ratelimit headers', async () => {
    const sdk = client(gw.url, (await key({ rpm: 2 })).key);
    const { response } = await chat(sdk).withResponse();
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    expect(response.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(\.\d)?s$|^\d+ms$/);
    await chat(sdk);
    const e = await expectError(chat(sdk), OpenAI.RateLimitError, 429, 'rate_limit_exceeded');
    expect(Number(e.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(e.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
  });

  it('429 rate_limit_exceeded on tokens per minute, with the -tokens headers', async () => {
    const sdk = client(gw.url, (await key({ tpm: 6000 })).key);
    const { response } = await sdk.chat.completions
      .create({ model: 'gpt-4o-mini', messages, max_tokens: 2000 })
      .withResponse();
    expect(response.headers.get('x-ratelimit-limit-tokens')).toBe('6000');
    await sdk.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 2000 });
    const e = await expectError(
      sdk.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 2000 }),
      OpenAI.RateLimitError,
      429,
      'rate_limit_exceeded',
    );
    expect(e.headers?.get('x-ratelimit-remaining-tokens')).toBe('0');
  });

  it('429 insufficient_quota once the key is exhausted', async () => {
    // Enterprise: no RPM, so polling cannot trip a rate limit before the event arrives.
    account = await world.admin.account('enterprise');
    const k = await world.admin.key(account, { quota: { type: 'total', limit: 1 } });
    const sdk = client(gw.url, k.key);
    await chat(sdk);
    // As a gateway: one of the identities that announce exhaustion (metering is the other).
    const bus = await import('@gw/testing').then((t) => t.collect('keys.events.>', 'gateway'));
    try {
      bus.nc.publish(
        'keys.events.quota_exhausted',
        JSON.stringify({
          keyId: k.id,
          owner: { type: 'account', id: account },
          period: 'lifetime',
          at: new Date().toISOString(),
        }),
      );
      await pollUntil(
        () =>
          chat(sdk).then(
            () => 'ok',
            (e: InstanceType<typeof OpenAI.APIError>) => e.code ?? 'x',
          ),
        (c) => c === 'insufficient_quota',
        5000,
        20,
      );
      const e = await expectError(chat(sdk), OpenAI.RateLimitError, 429, 'insufficient_quota');
      expect((e.error as { type: string }).type).toBe('insufficient_quota');
    } finally {
      await bus.close();
    }
  });

  it('502 upstream_error and 504 upstream_timeout', async () => {
    const sdk = client(gw.url, (await key()).key);
    await upstream.control({ failStatus: 500, failCount: -1 });
    try {
      await expectError(chat(sdk), OpenAI.InternalServerError, 502, 'upstream_error');
    } finally {
      await upstream.control({ reset: true });
    }
    await upstream.control({ latencyMs: 3000 });
    try {
      await expectError(chat(sdk), OpenAI.InternalServerError, 504, 'upstream_timeout');
    } finally {
      await upstream.control({ reset: true });
    }
  });
});
