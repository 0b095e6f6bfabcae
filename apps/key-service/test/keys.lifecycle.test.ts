// Keys: create, read, list, update, disable/enable, regenerate (with and without grace), delete, expiry.
import { collect, type KeyService, noSpendYet, sleep, startKeyService } from './harness.js';

let ks: KeyService;
let accountId: string;
let writer: string; // a write key of the account: the caller of most calls here

beforeAll(async () => {
  ks = await startKeyService();
  accountId = await ks.newAccount();
  writer = (await ks.newKey({ type: 'account', id: accountId }, { permissions: ['read', 'write'] })).secret;
});
afterAll(() => ks.close());

describe('create', () => {
  it('returns 201 with the plaintext once and the masked key object', async () => {
    const res = await ks.call('POST', '/v1/keys', writer, {
      name: 'ci-bot',
      permissions: ['read'],
      allowedModels: ['gpt-4o-mini'],
      ipAllowlist: ['10.0.0.0/8', '2001:db8::/32', '192.168.1.7'],
      quota: { type: 'monthly', limit: 45.5 },
      rpm: 60,
      tpm: 100000,
    });
    expect(res.status).toBe(201);
    const body = res.body;
    expect(body.key).toMatch(/^gw-sk-[0-9A-Za-z]{49}$/);
    expect(body).toMatchObject({
      name: 'ci-bot',
      maskedKey: `gw-sk-****${body.key.slice(-4)}`,
      owner: { type: 'account', id: accountId },
      status: 'active',
      permissions: ['read'],
      allowedModels: ['gpt-4o-mini'],
      ipAllowlist: ['10.0.0.0/8', '2001:db8::/32', '192.168.1.7'],
      quota: { type: 'monthly', limit: 45.5, used: noSpendYet, period: new Date().toISOString().slice(0, 7) },
      group: 'default',
      rpm: 60,
      tpm: 100000,
      expiresAt: null,
      lastUsedAt: null,
    });
    const read = await ks.call('GET', `/v1/keys/${body.id}`, writer);
    expect(read.status).toBe(200);
    expect(read.body.key).toBeUndefined();
    const { key: _secret, ...view } = body;
    expect(read.body).toEqual({ ...view, quota: { ...view.quota, used: noSpendYet } });
  });

  it('defaults to no management permission (models only), unlimited quota and the default group', async () => {
    const res = await ks.call('POST', '/v1/keys', writer, { name: 'defaults' });
    expect(res.body).toMatchObject({
      permissions: [],
      quota: { type: 'unlimited', limit: null, used: noSpendYet, period: null },
      group: 'default',
      allowedModels: [],
      ipAllowlist: [],
    });
  });

  it('answers 409 conflict for a duplicate name of the same owner, and allows it for another owner', async () => {
    await ks.call('POST', '/v1/keys', writer, { name: 'dup' });
    const again = await ks.call('POST', '/v1/keys', writer, { name: 'dup' });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'conflict', param: 'name' });
    const other = await ks.newAccount();
    const elsewhere = await ks.call('POST', '/v1/keys', ks.admin, {
      name: 'dup',
      owner: { type: 'account', id: other },
    });
    expect(elsewhere.status).toBe(201);
  });
});

describe('list', () => {
  it('pages with a cursor, newest first, never repeating or skipping, masked', async () => {
    const owner = await ks.newAccount();
    const made: string[] = [];
    for (let i = 0; i < 7; i++) made.push((await ks.newKey({ type: 'account', id: owner })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/v1/keys?ownerType=account&ownerId=${owner}&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await ks.call('GET', q, ks.admin);
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(3);
      for (const k of page.body.data) {
        expect(k.key).toBeUndefined();
        expect(k.maskedKey).toMatch(/^gw-sk-\*{4}.{4}$/);
      }
      seen.push(...page.body.data.map((k: { id: string }) => k.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...made].reverse());
  });

  it('filters by status', async () => {
    const owner = await ks.newAccount();
    const a = await ks.newKey({ type: 'account', id: owner });
    const d = await ks.newKey({ type: 'account', id: owner });
    await ks.call('PATCH', `/v1/keys/${d.id}`, ks.admin, { enabled: false });
    const list = (status: string) =>
      ks
        .call('GET', `/v1/keys?ownerType=account&ownerId=${owner}&status=${status}`, ks.admin)
        .then((r) => r.body.data.map((k: { id: string }) => k.id));
    expect(await list('active')).toEqual([a.id]);
    expect(await list('disabled')).toEqual([d.id]);
    expect(await list('expired')).toEqual([]);
  });

  it('searches names case-insensitively, taking % and _ literally, combined with status', async () => {
    const owner = await ks.newAccount();
    const made: Record<string, string> = {};
    for (const name of ['Prod backend', 'staging', 'PROD 100%', 'prod_x'])
      made[name] = (await ks.newKey({ type: 'account', id: owner }, { name })).id;
    await ks.call('PATCH', `/v1/keys/${made['prod_x']}`, ks.admin, { enabled: false });
    const find = (q: string) =>
      ks
        .call('GET', `/v1/keys?ownerType=account&ownerId=${owner}&${q}`, ks.admin)
        .then((r) => r.body.data.map((k: { name: string }) => k.name).sort());
    expect(await find('search=prod')).toEqual(['PROD 100%', 'Prod backend', 'prod_x']);
    expect(await find(`search=${encodeURIComponent('0%')}`)).toEqual(['PROD 100%']);
    expect(await find('search=d_')).toEqual(['prod_x']);
    expect(await find('search=%25')).toEqual(['PROD 100%']);
    expect(await find('search=prod&status=active')).toEqual(['PROD 100%', 'Prod backend']);
    expect(await find('search=nothing-like-it')).toEqual([]);
    const tooLong = await ks.call(
      'GET',
      `/v1/keys?ownerType=account&ownerId=${owner}&search=${'x'.repeat(65)}`,
      ks.admin,
    );
    expect([tooLong.status, tooLong.body.error.param]).toEqual([400, 'search']);
    // A NUL (which Postgres text refuses) is bad input, not a 500.
    const nul = await ks.call('GET', `/v1/keys?ownerType=account&ownerId=${owner}&search=a%00b`, ks.admin);
    expect([nul.status, nul.body.error.param]).toEqual([400, 'search']);
  });
});

describe('update, disable and enable', () => {
  it('changes settings but never the secret, and keeps configuration across disable/enable', async () => {
    const k = await ks.newKey({ type: 'account', id: accountId }, { permissions: ['read'] });
    const patched = await ks.call('PATCH', `/v1/keys/${k.id}`, writer, {
      name: 'renamed',
      allowedModels: ['gpt-4o'],
      ipAllowlist: ['127.0.0.1', '::1'],
      quota: { type: 'total', limit: 10 },
      rpm: 5,
      tpm: null,
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      name: 'renamed',
      allowedModels: ['gpt-4o'],
      ipAllowlist: ['127.0.0.1', '::1'],
      rpm: 5,
      tpm: null,
    });
    expect(patched.body.quota).toEqual({ type: 'total', limit: 10, used: noSpendYet, period: 'lifetime' });
    expect(patched.body.maskedKey).toBe(k.view.maskedKey);

    const off = await ks.call('PATCH', `/v1/keys/${k.id}`, writer, { enabled: false });
    expect(off.body.status).toBe('disabled');
    // A disabled key cannot be used to authenticate, with its own code.
    const used = await ks.call('GET', `/v1/keys/${k.id}`, k.secret);
    expect(used.status).toBe(403);
    expect(used.body.error.code).toBe('key_disabled');

    const on = await ks.call('PATCH', `/v1/keys/${k.id}`, writer, { enabled: true });
    expect(on.body).toMatchObject({ status: 'active', name: 'renamed', allowedModels: ['gpt-4o'], rpm: 5 });
    expect((await ks.call('GET', `/v1/keys/${k.id}`, k.secret)).status).toBe(200);
  });
});

describe('regenerate', () => {
  it('gives a new secret with the same id and configuration; the old one stops at once', async () => {
    const k = await ks.newKey({ type: 'account', id: accountId }, { permissions: ['read'], rpm: 7 });
    const res = await ks.call('POST', `/v1/keys/${k.id}/regenerate`, writer);
    expect(res.status).toBe(200);
    expect(res.body.key).not.toBe(k.secret);
    expect(res.body).toMatchObject({ id: k.id, name: k.view.name, rpm: 7, permissions: ['read'] });
    const old = await ks.call('GET', `/v1/keys/${k.id}`, k.secret);
    expect(old.status).toBe(403);
    expect(old.body.error.code).toBe('key_revoked');
    expect((await ks.call('GET', `/v1/keys/${k.id}`, res.body.key)).status).toBe(200);
  });

  it('keeps the old secret working for the asked grace period, then revokes it', async () => {
    const k = await ks.newKey({ type: 'account', id: accountId }, { permissions: ['read'] });
    const res = await ks.call('POST', `/v1/keys/${k.id}/regenerate`, writer, { gracePeriodSeconds: 2 });
    expect(res.status).toBe(200);
    // During its grace the old secret serves inference only (keys.lookup: tests in keys.nats and tenancy).
    const during = await ks.call('GET', `/v1/keys/${k.id}`, k.secret);
    expect(during.status).toBe(403);
    expect(during.body.error.code).toBe('key_revoked');
    expect((await ks.call('GET', `/v1/keys/${k.id}`, res.body.key)).status).toBe(200);
    await sleep(2100);
    const old = await ks.call('GET', `/v1/keys/${k.id}`, k.secret);
    expect(old.status).toBe(403);
    expect(old.body.error.code).toBe('key_revoked');
    expect((await ks.call('GET', `/v1/keys/${k.id}`, res.body.key)).status).toBe(200);
  });
});

describe('delete', () => {
  it('answers 204; the key is gone from reads and lists, and its secret answers key_revoked', async () => {
    const k = await ks.newKey({ type: 'account', id: accountId }, { permissions: ['read'] });
    const res = await ks.call('DELETE', `/v1/keys/${k.id}`, writer);
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    expect((await ks.call('GET', `/v1/keys/${k.id}`, writer)).status).toBe(404);
    const list = await ks.call('GET', '/v1/keys?limit=100', writer);
    expect(list.body.data.map((x: { id: string }) => x.id)).not.toContain(k.id);
    const used = await ks.call('GET', '/v1/keys', k.secret);
    expect(used.status).toBe(403);
    expect(used.body.error.code).toBe('key_revoked');
    expect((await ks.call('DELETE', `/v1/keys/${k.id}`, writer)).status).toBe(404);
  });
});

describe('expiry', () => {
  it('derives status expired once expiresAt passes, and the key answers expired_api_key', async () => {
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const k = await ks.newKey({ type: 'account', id: accountId }, { expiresAt, permissions: ['read'] });
    expect(k.view).toMatchObject({ status: 'active', expiresAt });
    expect((await ks.call('GET', `/v1/keys/${k.id}`, k.secret)).status).toBe(200);
    await sleep(1600);
    expect((await ks.call('GET', `/v1/keys/${k.id}`, writer)).body.status).toBe('expired');
    const used = await ks.call('GET', `/v1/keys/${k.id}`, k.secret);
    expect(used.status).toBe(401);
    expect(used.body.error.code).toBe('expired_api_key');
    const list = await ks.call('GET', '/v1/keys?status=expired&limit=100', writer);
    expect(list.body.data.map((x: { id: string }) => x.id)).toContain(k.id);
  });
});

describe('exhaustion', () => {
  it('derives status exhausted from keys.events.quota_exhausted; a raised limit reactivates', async () => {
    const k = await ks.newKey({ type: 'account', id: accountId }, { quota: { type: 'total', limit: 1 } });
    // As a gateway: it may announce exhaustion (so may metering).
    const bus = await collect('keys.events.>', 'gateway');
    try {
      bus.nc.publish(
        'keys.events.quota_exhausted',
        JSON.stringify({
          keyId: k.id,
          owner: { type: 'account', id: accountId },
          period: 'lifetime',
          at: new Date().toISOString(),
        }),
      );
      let status = '';
      for (let i = 0; i < 50 && status !== 'exhausted'; i++) {
        status = (await ks.call('GET', `/v1/keys/${k.id}`, writer)).body.status;
        await sleep(20);
      }
      expect(status).toBe('exhausted');
      const raised = await ks.call('PATCH', `/v1/keys/${k.id}`, writer, {
        quota: { type: 'total', limit: 5 },
      });
      expect(raised.body.status).toBe('active');
    } finally {
      await bus.close();
    }
  });
});
