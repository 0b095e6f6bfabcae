// Accounts, organizations, pricing and tiers; Swagger; the monthly quota month boundary (injected clock).
import { randomUUID } from 'node:crypto';
import { apiError } from '@gw/contracts';
import { connectAs } from '@gw/testing';
import { collect, type KeyService, sleep, startKeyService, TestClock } from './harness.js';

let ks: KeyService;
beforeAll(async () => {
  ks = await startKeyService();
});
afterAll(() => ks.close());

describe('accounts', () => {
  it('the operator creates, reads and changes accounts, with credit limits in credits', async () => {
    const made = await ks.call('POST', '/v1/accounts', ks.admin, {
      name: 'Team A',
      tier: 'basic',
      creditLimit: 250.5,
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ name: 'Team A', tier: 'basic', creditLimit: 250.5, status: 'active' });
    const changed = await ks.call('PATCH', `/v1/accounts/${made.body.id}`, ks.admin, {
      tier: 'enterprise',
      creditLimit: null,
    });
    expect(changed.body).toMatchObject({ tier: 'enterprise', creditLimit: null });
    expect((await ks.call('GET', `/v1/accounts/${made.body.id}`, ks.admin)).body.tier).toBe('enterprise');
  });

  it('validates tier, limit, status and unknown fields', async () => {
    const cases: [unknown, string][] = [
      [{ name: 'x', tier: 'platinum' }, 'tier'],
      [{ name: 'x', creditLimit: -5 }, 'creditLimit'],
      [{ name: 'x', creditLimit: 1.0000001 }, 'creditLimit'],
      [{ name: 'x', owner: 'me' }, 'owner'],
      [{ tier: 'free' }, 'name'],
    ];
    for (const [body, param] of cases) {
      const res = await ks.call('POST', '/v1/accounts', ks.admin, body);
      expect([param, res.status, res.body.error.param]).toEqual([param, 400, param]);
    }
    const id = await ks.newAccount();
    const bad = await ks.call('PATCH', `/v1/accounts/${id}`, ks.admin, { status: 'banned' });
    expect(bad.body.error.param).toBe('status');
    expect((await ks.call('GET', '/v1/accounts/00000000-0000-4000-8000-00000000abcd', ks.admin)).status).toBe(
      404,
    );
  });
});

describe('the operator lists accounts; a caller reads itself', () => {
  it('lists accounts newest first, by name and status, in pages', async () => {
    const tag = randomUUID().slice(0, 8);
    const ids: string[] = [];
    for (const n of ['one', 'two', 'three']) {
      const made = await ks.call('POST', '/v1/accounts', ks.admin, { name: `List ${tag} ${n}` });
      ids.push(made.body.id);
    }
    await ks.call('PATCH', `/v1/accounts/${ids[1]}`, ks.admin, { status: 'suspended' });
    const first = await ks.call('GET', `/v1/accounts?search=${tag}&limit=2`, ks.admin);
    expect(first.body.data.map((a: { id: string }) => a.id)).toEqual([ids[2], ids[1]]);
    const rest = await ks.call(
      'GET',
      `/v1/accounts?search=${tag}&limit=2&cursor=${first.body.nextCursor}`,
      ks.admin,
    );
    expect([rest.body.data.map((a: { id: string }) => a.id), rest.body.nextCursor]).toEqual([[ids[0]], null]);
    const suspended = await ks.call('GET', `/v1/accounts?search=${tag}&status=suspended`, ks.admin);
    expect(suspended.body.data.map((a: { id: string }) => a.id)).toEqual([ids[1]]);
  });

  it('GET /v1/me: the account of the key, its organizations and role; none for the operator token', async () => {
    const account = await ks.newAccount();
    const other = await ks.newAccount();
    const org = await ks.call('POST', '/v1/organizations', ks.admin, {
      name: 'Me Org',
      ownerAccountId: other,
    });
    await ks.call('POST', `/v1/organizations/${org.body.id}/members`, ks.admin, {
      accountId: account,
      role: 'admin',
    });
    const key = await ks.newKey({ type: 'account', id: account }, { permissions: ['read'] });
    const me = await ks.call('GET', '/v1/me', key.secret);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      account: { id: account },
      operator: false,
      organizations: [{ id: org.body.id, name: 'Me Org', role: 'admin' }],
    });
    expect(JSON.stringify(me.body)).not.toContain(other);
    expect((await ks.call('GET', '/v1/me', ks.admin)).body).toEqual({
      account: null,
      operator: true,
      organizations: [],
    });
  });
});

describe('organizations', () => {
  it('the operator creates an org for an account, which becomes its owner', async () => {
    const owner = await ks.newAccount();
    const made = await ks.call('POST', '/v1/organizations', ks.admin, {
      name: 'Org',
      tier: 'pro',
      creditLimit: 100,
      ownerAccountId: owner,
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      tier: 'pro',
      creditLimit: 100,
      members: [{ accountId: owner, role: 'owner' }],
    });
    const missing = await ks.call('POST', '/v1/organizations', ks.admin, { name: 'Org' });
    expect(missing.body.error.param).toBe('ownerAccountId');
    const suspended = await ks.call('PATCH', `/v1/organizations/${made.body.id}`, ks.admin, {
      status: 'suspended',
    });
    expect(suspended.body.status).toBe('suspended');
  });

  it('only the operator creates organizations (an account key cannot, whatever it asks for)', async () => {
    const account = await ks.newAccount('basic');
    const key = (await ks.newKey({ type: 'account', id: account }, { permissions: ['admin'] })).secret;
    for (const body of [
      { name: 'Mine', ownerAccountId: account },
      { name: 'x', ownerAccountId: account, tier: 'basic' },
    ]) {
      const res = await ks.call('POST', '/v1/organizations', key, body);
      expect([res.status, res.body.error.code]).toEqual([403, 'insufficient_permissions']);
    }
    const made = await ks.call('POST', '/v1/organizations', ks.admin, {
      name: 'Theirs',
      ownerAccountId: account,
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ tier: 'free', creditLimit: null, pricingGroups: [] });
  });
});

describe('pricing and tiers', () => {
  it('has the seeded defaults', async () => {
    const tiers = (await ks.call('GET', '/v1/tiers', ks.admin)).body;
    const byName = Object.fromEntries(tiers.map((t: { name: string }) => [t.name, t]));
    expect(byName.free).toMatchObject({ rpm: 10, priority: false });
    expect(byName.basic).toMatchObject({ rpm: 50 });
    expect(byName.pro).toMatchObject({ rpm: 100, models: ['*'] });
    expect(byName.enterprise).toMatchObject({ rpm: null, priority: true, models: ['*'] });
    const group = (await ks.call('GET', '/v1/pricing/groups/default', ks.admin)).body;
    expect(group.multiplier).toBe(1);
    const models = (await ks.call('GET', '/v1/pricing/models', ks.admin)).body.map(
      (m: { model: string }) => m.model,
    );
    expect(models).toEqual(expect.arrayContaining(['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small']));
  });

  it('the operator sets model prices, groups and tiers; any key with read may read them', async () => {
    const put = await ks.call('PUT', '/v1/pricing/models/test-model-x', ks.admin, {
      inputPrice: 1_250_000,
      outputPrice: 5_000_000,
    });
    expect(put.body).toMatchObject({ model: 'test-model-x', inputPrice: 1_250_000, outputPrice: 5_000_000 });
    const group = await ks.call('PUT', '/v1/pricing/groups/discount', ks.admin, { multiplier: 0.8 });
    expect(group.body.multiplier).toBe(0.8);
    const tier = await ks.call('PUT', '/v1/tiers/startup', ks.admin, { rpm: 30, models: ['gpt-4o-mini'] });
    expect(tier.body).toMatchObject({ name: 'startup', rpm: 30, priority: false, models: ['gpt-4o-mini'] });
    const account = await ks.newAccount('startup');
    const reader = (
      await ks.newKey({ type: 'account', id: account }, { group: 'discount', permissions: ['read'] })
    ).secret;
    expect((await ks.call('GET', '/v1/pricing/models/test-model-x', reader)).body.inputPrice).toBe(1_250_000);
    expect((await ks.call('GET', '/v1/pricing/models/unknown-model', reader)).status).toBe(404);
  });

  it('validates prices, multipliers and tiers', async () => {
    const cases: [string, unknown, string][] = [
      ['/v1/pricing/models/m', { inputPrice: 1.5, outputPrice: 1 }, 'inputPrice'],
      ['/v1/pricing/models/m', { inputPrice: -1, outputPrice: 1 }, 'inputPrice'],
      ['/v1/pricing/models/m', { inputPrice: 1 }, 'outputPrice'],
      ['/v1/pricing/groups/g', { multiplier: 0 }, 'multiplier'],
      ['/v1/pricing/groups/g', { multiplier: 1.0000001 }, 'multiplier'],
      ['/v1/pricing/groups/Bad Name', { multiplier: 1 }, 'name'],
      ['/v1/tiers/t', { rpm: 0, models: [] }, 'rpm'],
      ['/v1/tiers/t', { rpm: 5, models: ['*', '*'] }, 'models'],
    ];
    for (const [path, body, param] of cases) {
      const res = await ks.call('PUT', path.replace(' ', '%20'), ks.admin, body);
      expect([path, res.status, res.body.error.param]).toEqual([path, 400, param]);
    }
  });
});

describe('monthly quota and the calendar month', () => {
  it('an exhausted monthly quota is active again when the UTC month turns, with no job', async () => {
    const clock = new TestClock();
    const local = await startKeyService({ clock });
    // As a gateway: it may announce exhaustion (so may metering).
    const bus = await collect('keys.events.>', 'gateway');
    try {
      const account = await local.newAccount();
      const k = await local.newKey(
        { type: 'account', id: account },
        { quota: { type: 'monthly', limit: 3 } },
      );
      const month = clock.now().toISOString().slice(0, 7);
      bus.nc.publish(
        'keys.events.quota_exhausted',
        JSON.stringify({
          keyId: k.id,
          owner: { type: 'account', id: account },
          period: month,
          at: clock.now().toISOString(),
        }),
      );
      let status = '';
      for (let i = 0; i < 50 && status !== 'exhausted'; i++) {
        status = (await local.call('GET', `/v1/keys/${k.id}`, local.admin)).body.status;
        await sleep(20);
      }
      expect(status).toBe('exhausted');
      // Jump to the first instant of the next UTC month.
      const now = clock.now();
      const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
      clock.advance(next - now.getTime() + 1);
      const after = await local.call('GET', `/v1/keys/${k.id}`, local.admin);
      expect(after.body.status).toBe('active');
      expect(after.body.quota.period).toBe(new Date(next).toISOString().slice(0, 7));
    } finally {
      await bus.close();
      await local.close();
    }
  });
});

describe('usage when metering fails', () => {
  it('answers 503 service_unavailable, not 500, when metering answers with an internal error', async () => {
    // A metering replica whose database is down answers internal_error; key-service must not pass it on.
    const metering = await connectAs('metering');
    try {
      metering.subscribe('metering.usage.query', {
        queue: `q-${randomUUID()}`,
        callback: (_e, m) => void m.respond(JSON.stringify({ ok: false, error: apiError('internal_error') })),
      });
      await metering.flush();
      const account = await ks.newAccount();
      const res = await ks.call('GET', `/v1/accounts/${account}/usage`, ks.admin);
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('service_unavailable');
    } finally {
      await metering.close();
    }
  });
});

describe('operability', () => {
  it('serves Swagger UI at /docs and the OpenAPI document at /docs-json', async () => {
    const ui = await fetch(`${ks.adminUrl}/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
    const spec: any = await (await fetch(`${ks.adminUrl}/docs-json`)).json();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        '/v1/keys',
        '/v1/keys/{id}',
        '/v1/keys/{id}/regenerate',
        '/v1/accounts',
        '/v1/organizations/{id}/members',
      ]),
    );
    expect(
      spec.paths['/v1/keys'].post.requestBody.content['application/json'].schema.additionalProperties,
    ).toBe(false);
  });

  it('reports readiness of Postgres and NATS, and Prometheus metrics', async () => {
    const ready = await (await fetch(`${ks.adminUrl}/readyz`)).json();
    // Not Redis, even with console sign-in configured: bearer calls are served without it.
    expect(ready).toEqual({ ready: true, checks: { postgres: 'up', nats: 'up' } });
    const metrics = await (await fetch(`${ks.adminUrl}/metrics`)).text();
    expect(metrics).toContain('http_request_duration_seconds');
    expect(metrics).toContain('key_events_published_total');
  });

  it('refuses to start with a clear message when config is invalid', async () => {
    const { loadKeyServiceConfig } = await import('../src/config.js');
    expect(() =>
      loadKeyServiceConfig({ DATABASE_URL: 'mysql://x', NATS_URL: 'nats://x:1', ADMIN_TOKEN: 'short' }),
    ).toThrow(
      /DATABASE_URL: must be a postgres: or postgresql:\/\/ URL[\s\S]*ADMIN_TOKEN: must be at least 16 characters/,
    );
  });

  it('refuses console settings that would leak sessions or serve nothing', async () => {
    const { loadKeyServiceConfig } = await import('../src/config.js');
    const base = {
      DATABASE_URL: 'postgres://x@127.0.0.1/x',
      NATS_URL: 'nats://127.0.0.1:1',
      NATS_USER: 'key-service',
      NATS_PASSWORD: 'p'.repeat(20),
      ADMIN_TOKEN: 'a'.repeat(32),
      OIDC_ISSUER: 'https://idp.example.test',
      OIDC_CLIENT_ID: 'console',
      OIDC_CLIENT_SECRET: 'secret',
      REDIS_URL: 'redis://127.0.0.1:1',
    };
    expect(() =>
      loadKeyServiceConfig({
        ...base,
        OIDC_REDIRECT_URI: 'https://console.example.test/auth/callback',
        CONSOLE_DIR: '/nonexistent',
      }),
    ).toThrow(/CONSOLE_DIR: must be a directory holding index.html/);
    expect(() =>
      loadKeyServiceConfig({
        ...base,
        OIDC_REDIRECT_URI: 'http://console.example.test/auth/callback',
        OIDC_POST_LOGOUT_REDIRECT_URI: 'javascript:alert(1)',
      }),
    ).toThrow(
      /OIDC_REDIRECT_URI: https, or http on loopback only[\s\S]*OIDC_POST_LOGOUT_REDIRECT_URI: https, or http on loopback only/,
    );
    const fine = loadKeyServiceConfig({
      ...base,
      OIDC_REDIRECT_URI: 'https://console.example.test/auth/callback',
      OIDC_POST_LOGOUT_REDIRECT_URI: 'http://127.0.0.1:8081/console/',
    });
    expect(fine.consoleAuth?.postLogoutRedirectUri).toBe('http://127.0.0.1:8081/console/');
  });

  it('accepts ADMIN_TOKEN_PREVIOUS beside ADMIN_TOKEN during a rotation, and the old token no more after it', async () => {
    const old = ks.admin;
    const fresh = `rotated-${randomUUID()}`;
    const rotating = await startKeyService({ overrides: { adminToken: fresh, adminTokenPrevious: old } });
    const rotated = await startKeyService({ overrides: { adminToken: fresh } });
    try {
      expect((await rotating.call('GET', '/v1/tiers', fresh)).status).toBe(200);
      expect((await rotating.call('GET', '/v1/tiers', old)).status).toBe(200);
      expect((await rotating.call('GET', '/v1/tiers', `${old}x`)).status).toBe(401);
      expect((await rotated.call('GET', '/v1/tiers', fresh)).status).toBe(200);
      expect((await rotated.call('GET', '/v1/tiers', old)).status).toBe(401);
    } finally {
      await Promise.all([rotating.close(), rotated.close()]);
    }
  });
});
