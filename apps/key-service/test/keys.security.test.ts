// Authentication on every route, tenancy (404 for what a caller may not see), org roles, permissions,
// and the plaintext key never stored or logged.
import pg from 'pg';
import { createKeyFormat } from '@gw/key-format';
import { type KeyService, startKeyService } from './harness.js';

let ks: KeyService;
const format = createKeyFormat();
const UNKNOWN = '00000000-0000-4000-8000-00000000ffff';

beforeAll(async () => {
  ks = await startKeyService();
});
afterAll(() => ks.close());

const ROUTES: [string, string, unknown?][] = [
  ['POST', '/v1/keys', { name: 'x' }],
  ['GET', '/v1/keys'],
  ['GET', `/v1/keys/${UNKNOWN}`],
  ['PATCH', `/v1/keys/${UNKNOWN}`, { name: 'x' }],
  ['POST', `/v1/keys/${UNKNOWN}/regenerate`, {}],
  ['DELETE', `/v1/keys/${UNKNOWN}`],
  ['POST', '/v1/accounts', { name: 'x' }],
  ['GET', `/v1/accounts/${UNKNOWN}`],
  ['PATCH', `/v1/accounts/${UNKNOWN}`, { name: 'x' }],
  ['POST', '/v1/organizations', { name: 'x' }],
  ['GET', `/v1/organizations/${UNKNOWN}`],
  ['PATCH', `/v1/organizations/${UNKNOWN}`, { name: 'x' }],
  ['POST', `/v1/organizations/${UNKNOWN}/members`, { accountId: UNKNOWN }],
  ['DELETE', `/v1/organizations/${UNKNOWN}/members/${UNKNOWN}`],
  ['GET', '/v1/pricing/models'],
  ['GET', '/v1/pricing/models/gpt-4o'],
  ['PUT', '/v1/pricing/models/gpt-4o', { inputPrice: 1, outputPrice: 1 }],
  ['GET', '/v1/pricing/groups'],
  ['GET', '/v1/pricing/groups/default'],
  ['PUT', '/v1/pricing/groups/default', { multiplier: 1 }],
  ['GET', '/v1/tiers'],
  ['GET', '/v1/tiers/free'],
  ['PUT', '/v1/tiers/free', { rpm: 10, models: ['*'] }],
];

describe.each(ROUTES)('authentication on %s %s', (method, path, body) => {
  it('401 missing_api_key without a bearer token', async () => {
    const res = await ks.call(method, path, null, body);
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: 'missing_api_key', type: 'authentication_error' });
  });

  it('401 invalid_api_key for a malformed, a checksum-broken and an unknown key', async () => {
    const real = format.generate();
    const broken = real.slice(0, 20) + (real[20] === 'a' ? 'b' : 'a') + real.slice(21);
    for (const token of ['nonsense', broken, format.generate(), 'gw-admin-wrong-token-000000']) {
      const res = await ks.call(method, path, token, body);
      expect([token, res.status, res.body.error.code]).toEqual([token, 401, 'invalid_api_key']);
    }
  });
});

describe('tenancy between accounts', () => {
  let aKey: string;
  let bKey: string;
  let aTarget: string;
  let accountA: string;

  beforeAll(async () => {
    accountA = await ks.newAccount();
    const accountB = await ks.newAccount();
    aKey = (await ks.newKey({ type: 'account', id: accountA }, { permissions: ['read', 'write'] })).secret;
    bKey = (await ks.newKey({ type: 'account', id: accountB }, { permissions: ['read', 'write'] })).secret;
    aTarget = (await ks.newKey({ type: 'account', id: accountA })).id;
  });

  it("B gets 404 for A's key on read, update, regenerate and delete", async () => {
    const calls: [string, string, unknown?][] = [
      ['GET', `/v1/keys/${aTarget}`],
      ['PATCH', `/v1/keys/${aTarget}`, { name: 'stolen' }],
      ['POST', `/v1/keys/${aTarget}/regenerate`, {}],
      ['DELETE', `/v1/keys/${aTarget}`],
    ];
    for (const [method, path, body] of calls) {
      const res = await ks.call(method, path, bKey, body);
      expect([method, res.status, res.body.error.code]).toEqual([method, 404, 'not_found']);
    }
    // Nothing changed.
    const still = await ks.call('GET', `/v1/keys/${aTarget}`, aKey);
    expect(still.status).toBe(200);
    expect(still.body.name).not.toBe('stolen');
  });

  it("B never sees A's keys in a list, and cannot list or create for A", async () => {
    const own = await ks.call('GET', '/v1/keys?limit=100', bKey);
    expect(own.status).toBe(200);
    expect(own.body.data.every((k: { owner: { id: string } }) => k.owner.id !== accountA)).toBe(true);
    const other = await ks.call('GET', `/v1/keys?ownerType=account&ownerId=${accountA}`, bKey);
    expect(other.status).toBe(404);
    const create = await ks.call('POST', '/v1/keys', bKey, {
      name: 'x',
      owner: { type: 'account', id: accountA },
    });
    expect(create.status).toBe(404);
  });

  it("B cannot read A's account", async () => {
    expect((await ks.call('GET', `/v1/accounts/${accountA}`, bKey)).status).toBe(404);
    expect((await ks.call('GET', `/v1/accounts/${accountA}`, aKey)).status).toBe(200);
  });
});

describe('organization keys', () => {
  let org: string;
  const keys: Record<'owner' | 'admin' | 'member' | 'stranger', string> = {
    owner: '',
    admin: '',
    member: '',
    stranger: '',
  };

  beforeAll(async () => {
    const ids: Record<string, string> = {};
    for (const who of ['owner', 'admin', 'member', 'stranger'] as const) {
      ids[who] = await ks.newAccount();
      keys[who] = (
        await ks.newKey({ type: 'account', id: ids[who] }, { permissions: ['read', 'write'] })
      ).secret;
    }
    const created = await ks.call('POST', '/v1/organizations', ks.admin, {
      name: 'Acme',
      ownerAccountId: ids.owner,
    });
    expect(created.status).toBe(201);
    org = created.body.id;
    expect(
      (
        await ks.call('POST', `/v1/organizations/${org}/members`, keys.owner, {
          accountId: ids.admin,
          role: 'admin',
        })
      ).status,
    ).toBe(201);
    expect(
      (await ks.call('POST', `/v1/organizations/${org}/members`, keys.admin, { accountId: ids.member }))
        .status,
    ).toBe(201);
  });

  it('an org admin creates, reads, lists, updates, regenerates and deletes org keys', async () => {
    const owner = { type: 'organization', id: org };
    const made = await ks.call('POST', '/v1/keys', keys.admin, { name: 'org-key', owner });
    expect(made.status).toBe(201);
    expect(made.body.owner).toEqual(owner);
    const id = made.body.id;
    expect((await ks.call('GET', `/v1/keys/${id}`, keys.admin)).status).toBe(200);
    expect((await ks.call('GET', `/v1/keys/${id}`, keys.owner)).status).toBe(200);
    const list = await ks.call('GET', `/v1/keys?ownerType=organization&ownerId=${org}`, keys.admin);
    expect(list.body.data.map((k: { id: string }) => k.id)).toContain(id);
    expect((await ks.call('PATCH', `/v1/keys/${id}`, keys.admin, { rpm: 3 })).status).toBe(200);
    expect((await ks.call('POST', `/v1/keys/${id}/regenerate`, keys.admin, {})).status).toBe(200);
    expect((await ks.call('DELETE', `/v1/keys/${id}`, keys.admin)).status).toBe(204);
  });

  it('a plain member cannot manage org keys: 403 where it knows the org, 404 for key ids', async () => {
    const owner = { type: 'organization', id: org };
    const id = (await ks.newKey(owner as { type: 'organization'; id: string })).id;
    const create = await ks.call('POST', '/v1/keys', keys.member, { name: 'nope', owner });
    expect(create.status).toBe(403);
    expect(create.body.error.code).toBe('insufficient_permissions');
    expect((await ks.call('GET', `/v1/keys?ownerType=organization&ownerId=${org}`, keys.member)).status).toBe(
      403,
    );
    for (const [method, path, body] of [
      ['GET', `/v1/keys/${id}`],
      ['PATCH', `/v1/keys/${id}`, { name: 'x' }],
      ['POST', `/v1/keys/${id}/regenerate`, {}],
      ['DELETE', `/v1/keys/${id}`],
    ] as [string, string, unknown?][]) {
      expect((await ks.call(method, path, keys.member, body)).status).toBe(404);
    }
    // A member can read the org itself, but not add members.
    expect((await ks.call('GET', `/v1/organizations/${org}`, keys.member)).status).toBe(200);
    const add = await ks.call('POST', `/v1/organizations/${org}/members`, keys.member, {
      accountId: UNKNOWN,
    });
    expect(add.status).toBe(403);
  });

  it('a stranger sees nothing of the org', async () => {
    const owner = { type: 'organization', id: org };
    expect((await ks.call('POST', '/v1/keys', keys.stranger, { name: 'x', owner })).status).toBe(404);
    expect((await ks.call('GET', `/v1/organizations/${org}`, keys.stranger)).status).toBe(404);
    expect(
      (await ks.call('GET', `/v1/keys?ownerType=organization&ownerId=${org}`, keys.stranger)).status,
    ).toBe(404);
  });

  it('an org key with write manages its own org keys', async () => {
    const orgKey = (await ks.newKey({ type: 'organization', id: org }, { permissions: ['read', 'write'] }))
      .secret;
    const made = await ks.call('POST', '/v1/keys', orgKey, { name: 'made-by-org-key' });
    expect(made.status).toBe(201);
    expect(made.body.owner).toEqual({ type: 'organization', id: org });
  });

  it('an admin cannot make owners, and the last owner cannot be removed', async () => {
    const someone = await ks.newAccount();
    const res = await ks.call('POST', `/v1/organizations/${org}/members`, keys.admin, {
      accountId: someone,
      role: 'owner',
    });
    expect(res.status).toBe(403);
    const orgView = await ks.call('GET', `/v1/organizations/${org}`, keys.owner);
    const ownerId = orgView.body.members.find((m: { role: string }) => m.role === 'owner').accountId;
    const remove = await ks.call('DELETE', `/v1/organizations/${org}/members/${ownerId}`, keys.owner);
    expect(remove.status).toBe(409);
    expect(remove.body.error.code).toBe('conflict');
  });
});

describe('permissions', () => {
  let account: string;
  beforeAll(async () => {
    account = await ks.newAccount();
  });

  it('a read key reads its own data but cannot create or change keys', async () => {
    const reader = await ks.newKey({ type: 'account', id: account }, { permissions: ['read'] });
    expect((await ks.call('GET', '/v1/keys', reader.secret)).status).toBe(200);
    const create = await ks.call('POST', '/v1/keys', reader.secret, { name: 'x' });
    expect(create.status).toBe(403);
    expect(create.body.error).toMatchObject({ code: 'insufficient_permissions', type: 'permission_error' });
    expect((await ks.call('PATCH', `/v1/keys/${reader.id}`, reader.secret, { name: 'y' })).status).toBe(403);
    expect((await ks.call('DELETE', `/v1/keys/${reader.id}`, reader.secret)).status).toBe(403);
  });

  it('a webhook-only key cannot read keys', async () => {
    const hook = await ks.newKey({ type: 'account', id: account }, { permissions: ['webhook'] });
    expect((await ks.call('GET', '/v1/keys', hook.secret)).status).toBe(403);
  });

  it('a write key cannot grant admin, nor change a key that holds admin', async () => {
    const writer = (await ks.newKey({ type: 'account', id: account }, { permissions: ['read', 'write'] }))
      .secret;
    const escalate = await ks.call('POST', '/v1/keys', writer, { name: 'x', permissions: ['admin'] });
    expect(escalate.status).toBe(403);
    expect(escalate.body.error.param).toBe('permissions');
    const adminKey = await ks.newKey({ type: 'account', id: account }, { permissions: ['admin'] });
    expect((await ks.call('DELETE', `/v1/keys/${adminKey.id}`, writer)).status).toBe(403);
    // The admin key may do all of it.
    const granted = await ks.call('POST', '/v1/keys', adminKey.secret, {
      name: 'granted',
      permissions: ['admin', 'webhook'],
    });
    expect(granted.status).toBe(201);
  });

  it('operator-only routes answer 403 to keys', async () => {
    const adminKey = (await ks.newKey({ type: 'account', id: account }, { permissions: ['admin'] })).secret;
    for (const [method, path, body] of [
      ['POST', '/v1/accounts', { name: 'x' }],
      ['PATCH', `/v1/accounts/${account}`, { tier: 'enterprise' }],
      ['PUT', '/v1/pricing/models/gpt-4o', { inputPrice: 0, outputPrice: 0 }],
      ['PUT', '/v1/pricing/groups/default', { multiplier: 0.5 }],
      ['PUT', '/v1/tiers/free', { rpm: null, models: ['*'] }],
    ] as [string, string, unknown][]) {
      const res = await ks.call(method, path, adminKey, body);
      expect([path, res.status]).toEqual([path, 403]);
    }
  });

  it("a suspended owner's keys answer account_restricted", async () => {
    const owner = await ks.newAccount();
    const k = await ks.newKey({ type: 'account', id: owner }, { permissions: ['read'] });
    expect((await ks.call('PATCH', `/v1/accounts/${owner}`, ks.admin, { status: 'suspended' })).status).toBe(
      200,
    );
    const res = await ks.call('GET', '/v1/keys', k.secret);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('account_restricted');
  });
});

describe('the plaintext key', () => {
  it('appears only in the create and regenerate responses: not in the tables, not in the logs', async () => {
    const account = await ks.newAccount();
    const created = await ks.call('POST', '/v1/keys', ks.admin, {
      name: 'secret-check',
      owner: { type: 'account', id: account },
    });
    const regenerated = await ks.call('POST', `/v1/keys/${created.body.id}/regenerate`, ks.admin, {
      gracePeriodSeconds: 60,
    });
    const secrets = [created.body.key as string, regenerated.body.key as string];
    // Use both secrets, including a failing call, so any logging of presented keys would show.
    await ks.call('GET', '/v1/keys', secrets[0]);
    await ks.call('GET', `/v1/keys/${UNKNOWN}`, secrets[1]);
    await ks.call('GET', '/v1/keys', secrets[1].slice(0, -1) + 'x');

    const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    try {
      const dump = await db.query(`
        SELECT (SELECT coalesce(json_agg(k), '[]')::text FROM keys.api_keys k) AS keys,
               (SELECT coalesce(json_agg(r), '[]')::text FROM keys.retired_secrets r) AS retired`);
      const text: string = dump.rows[0].keys + dump.rows[0].retired;
      expect(text).toContain(created.body.id);
      for (const s of secrets) {
        const body = s.slice('gw-sk-'.length, -6);
        expect(text).not.toContain(body);
        expect(ks.logs()).not.toContain(body);
      }
      expect(ks.logs()).toContain('"route":"/v1/keys"');
    } finally {
      await db.end();
    }
    const read = await ks.call('GET', `/v1/keys/${created.body.id}`, ks.admin);
    expect(JSON.stringify(read.body)).not.toContain(secrets[1].slice(6, -6));
  });
});
