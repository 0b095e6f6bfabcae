// auth.verify against a real key-service process, real Redis and NATS.
import { hashKey } from '@gw/key-format';
import { adminClient, collect, pollUntil, type RunningService, startService } from '@gw/testing';
import { Redis } from 'ioredis';
import { bootstrap } from '../src/bootstrap.js';

let keyService: RunningService;
let auth: Awaited<ReturnType<typeof bootstrap>>;
let admin: ReturnType<typeof adminClient>;
let bus: Awaited<ReturnType<typeof collect>>;
let lookups: Awaited<ReturnType<typeof collect>>;
/** keys.lookup requests for these hashes (other tests on the same bus ask for theirs). */
const lookupsOf = (...hashes: string[]) => lookups.seen.filter((m) => hashes.includes(m.data?.hash)).length;
let redis: Redis;
let account: string;

const verify = async (payload: Record<string, unknown>): Promise<any> =>
  (await bus.nc.request('auth.verify', JSON.stringify(payload), { timeout: 3000 })).json();

beforeAll(async () => {
  keyService = await startService('key-service');
  admin = adminClient(keyService.url);
  auth = await bootstrap({ overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent' } });
  // As a gateway (asks auth.verify, reads key events) and as key-service (sees keys.lookup).
  bus = await collect('keys.events.>', 'gateway');
  lookups = await collect('keys.lookup', 'key-service');
  redis = new Redis(process.env.REDIS_URL!);
  account = await admin.account('basic');
}, 30000);
afterAll(async () => {
  await Promise.all([bus.close(), lookups.close()]);
  redis.disconnect();
  await auth.app.close();
  await keyService.stop();
});

describe('auth.verify', () => {
  it('answers the principal by hash, then from the Redis cache without asking key-service', async () => {
    const k = await admin.key(account, { rpm: 5, allowedModels: ['gpt-4o-mini'] });
    const hash = hashKey(k.key);
    const first = await verify({ hash });
    expect(first).toMatchObject({
      ok: true,
      data: {
        principal: {
          id: k.id,
          state: 'active',
          tier: { name: 'basic', rpm: 50 },
          rpm: 5,
          allowedModels: ['gpt-4o-mini'],
        },
      },
    });
    expect(await redis.exists(`auth:rec:${hash}`)).toBe(1);
    const asked = lookupsOf(hash);
    expect((await verify({ hash })).ok).toBe(true);
    expect(lookupsOf(hash)).toBe(asked);
  });

  it('rejects a bad format or checksum without touching Redis or key-service', async () => {
    const k = await admin.key(account);
    const broken = k.key.slice(0, -1) + (k.key.endsWith('a') ? 'b' : 'a');
    for (const key of ['nonsense', broken]) {
      expect(await verify({ key })).toMatchObject({ ok: false, error: { code: 'invalid_api_key' } });
      expect(await redis.exists(`auth:rec:${hashKey(key)}`)).toBe(0);
    }
    expect(lookupsOf(hashKey('nonsense'), hashKey(broken))).toBe(0);
    expect((await verify({ key: k.key })).ok).toBe(true);
  });

  it('caches unknown hashes negatively, so a flood of wrong keys asks key-service once', async () => {
    const hash = hashKey(`unknown-${Date.now()}`);
    for (let i = 0; i < 20; i++) expect((await verify({ hash })).error.code).toBe('invalid_api_key');
    expect(lookupsOf(hash)).toBe(1);
    expect(await redis.get(`auth:rec:${hash}`)).toBe('0');
  });

  it('checks IP, permission and model when the caller gives them', async () => {
    const k = await admin.key(account, {
      ipAllowlist: ['10.0.0.0/8', '2001:db8::/32'],
      permissions: ['read'],
    });
    const hash = hashKey(k.key);
    expect((await verify({ hash, clientIp: '10.9.8.7', model: 'gpt-4o', permission: 'read' })).ok).toBe(true);
    expect((await verify({ hash, clientIp: '2001:db8::1' })).ok).toBe(true);
    expect((await verify({ hash, clientIp: '192.168.0.1' })).error.code).toBe('ip_not_allowed');
    expect((await verify({ hash, permission: 'write' })).error.code).toBe('insufficient_permissions');
    // basic tier: no gpt-4.1
    expect((await verify({ hash, model: 'gpt-4.1' })).error.code).toBe('model_not_allowed');
  });

  it('validates its input', async () => {
    expect((await verify({})).error.code).toBe('invalid_request');
    expect((await verify({ hash: 'xyz' })).error).toMatchObject({ code: 'invalid_request', param: 'hash' });
    expect((await verify({ hash: 'a'.repeat(64), model: 5 })).error.param).toBe('model');
  });
});

describe('eviction on key events', () => {
  it('disable, enable, delete, regenerate, owner suspension and tier changes take effect at once', async () => {
    const k = await admin.key(account);
    const hash = hashKey(k.key);
    expect((await verify({ hash })).ok).toBe(true);
    const code = async () => (await verify({ hash })).error?.code ?? 'ok';

    await admin.must('PATCH', `/v1/keys/${k.id}`, { enabled: false });
    expect((await pollUntil(code, (c) => c === 'key_disabled', 2000)).value).toBe('key_disabled');
    await admin.must('PATCH', `/v1/keys/${k.id}`, { enabled: true });
    await pollUntil(code, (c) => c === 'ok', 2000);

    await admin.must('PATCH', `/v1/accounts/${account}`, { status: 'suspended' });
    await pollUntil(code, (c) => c === 'account_restricted', 2000);
    await admin.must('PATCH', `/v1/accounts/${account}`, { status: 'active' });
    await pollUntil(code, (c) => c === 'ok', 2000);

    const regen = await admin.must('POST', `/v1/keys/${k.id}/regenerate`, {});
    await pollUntil(code, (c) => c === 'key_revoked', 2000);
    expect((await verify({ key: regen.key })).ok).toBe(true);

    await admin.must('DELETE', `/v1/keys/${regen.id}`);
    await pollUntil(
      async () => (await verify({ key: regen.key })).error?.code,
      (c) => c === 'key_revoked',
      2000,
    );
  });

  it('a tier change reaches cached records of that tier', async () => {
    await admin.must('PUT', '/v1/tiers/auth-test-tier', { rpm: 7, models: ['gpt-4o-mini'] });
    const owner = await admin.account('auth-test-tier');
    const k = await admin.key(owner);
    expect((await verify({ key: k.key })).data.principal.tier.rpm).toBe(7);
    await admin.must('PUT', '/v1/tiers/auth-test-tier', { rpm: 8, models: ['gpt-4o-mini'] });
    await pollUntil(
      async () => (await verify({ key: k.key })).data.principal.tier.rpm,
      (rpm) => rpm === 8,
      2000,
    );
  });
});

describe('when Redis is down', () => {
  it('still answers, from key-service', async () => {
    const degraded = await bootstrap({
      overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent', redis: { url: 'redis://127.0.0.1:1' } },
    });
    try {
      const ready: any = await (await fetch(`${degraded.adminUrl}/readyz`)).json();
      expect(ready.checks.redis).toBe('down');
      const k = await admin.key(account);
      // Both replicas answer in the same queue group; ask until the degraded one has answered too.
      for (let i = 0; i < 10; i++) expect((await verify({ key: k.key })).ok).toBe(true);
    } finally {
      await degraded.app.close();
    }
  });
});
