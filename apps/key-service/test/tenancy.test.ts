// Issue #9's escapes, one test each: no action by a tenant raises what that tenant may spend, call or
// reach. Each of these passed (the escape worked) before the invariants were built.
import pg from 'pg';
import { hashKey } from '@gw/key-format';
import { collect, type KeyService, startKeyService } from './harness.js';

let ks: KeyService;
let bus: Awaited<ReturnType<typeof collect>>;
let account: string;

beforeAll(async () => {
  ks = await startKeyService();
  // As auth-service: it reads key events and may ask keys.lookup.
  bus = await collect('keys.events.>', 'auth-service');
  account = await ks.newAccount('pro');
});
afterAll(async () => {
  await bus.close();
  await ks.close();
});

const owner = () => ({ type: 'account' as const, id: account });
const inAWeek = () => new Date(Date.now() + 7 * 86_400_000).toISOString();

async function lookup(secret: string): Promise<any> {
  const msg = await bus.nc.request('keys.lookup', JSON.stringify({ hash: hashKey(secret) }), {
    timeout: 3000,
  });
  return msg.json<any>().data;
}

/** A write key restricted in what it reaches (addresses, models, time), usable from loopback. */
async function restrictedWriter() {
  return ks.newKey(owner(), {
    permissions: ['read', 'write'],
    ipAllowlist: ['127.0.0.1', '::1'],
    allowedModels: ['gpt-4o-mini'],
    expiresAt: inAWeek(),
  });
}

/** A write key with limits of its own: a monthly quota and an rpm. */
async function limitedWriter() {
  return ks.newKey(owner(), {
    permissions: ['read', 'write'],
    ipAllowlist: ['127.0.0.1', '::1'],
    quota: { type: 'monthly', limit: 5 },
    rpm: 10,
  });
}

describe('a key creates and edits keys only within itself', () => {
  it('a child key made without settings inherits every restriction of its maker', async () => {
    const writer = await restrictedWriter();
    const res = await ks.call('POST', '/v1/keys', writer.secret, { name: 'child' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      permissions: [],
      ipAllowlist: ['127.0.0.1', '::1'],
      allowedModels: ['gpt-4o-mini'],
      quota: { type: 'unlimited' },
      expiresAt: writer.view.expiresAt,
    });
  });

  it.each([
    ['ipAllowlist', { ipAllowlist: ['0.0.0.0/0'] }],
    ['ipAllowlist', { ipAllowlist: ['::ffff:0.0.0.0/96'] }],
    ['allowedModels', { allowedModels: ['gpt-4o'] }],
    ['allowedModels', { allowedModels: [] }],
    ['expiresAt', { expiresAt: null }],
    ['permissions', { permissions: ['admin'] }],
  ])('a child key with a wider %s is refused (%j)', async (param, settings) => {
    const writer = await restrictedWriter();
    const res = await ks.call('POST', '/v1/keys', writer.secret, { name: 'wider', ...settings });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'insufficient_permissions', param });
  });

  it('a key with its own quota or rpm cannot create keys (fresh counters would escape its quota)', async () => {
    const writer = await limitedWriter();
    for (const body of [{ name: 'c1' }, { name: 'c2', quota: { type: 'monthly', limit: 1 }, rpm: 1 }]) {
      const res = await ks.call('POST', '/v1/keys', writer.secret, body);
      expect(res.status).toBe(403);
      expect(res.body.error).toMatchObject({ code: 'insufficient_permissions', param: 'quota' });
    }
  });

  it('a key with its own limits cannot widen another key, even within its own limits', async () => {
    const writer = await limitedWriter();
    const sibling = await ks.newKey(owner(), {
      ipAllowlist: ['127.0.0.1'],
      quota: { type: 'monthly', limit: 1 },
      rpm: 2,
    });
    for (const patch of [{ quota: { type: 'monthly', limit: 5 } }, { rpm: 10 }]) {
      const res = await ks.call('PATCH', `/v1/keys/${sibling.id}`, writer.secret, patch);
      expect([res.status, res.body.error?.code]).toEqual([403, 'insufficient_permissions']);
    }
    const narrower = await ks.call('PATCH', `/v1/keys/${sibling.id}`, writer.secret, { rpm: 1 });
    expect(narrower.status).toBe(200);
  });

  it('a key cannot relax its own restrictions', async () => {
    const writer = await limitedWriter();
    for (const patch of [
      { ipAllowlist: [] },
      { quota: { type: 'unlimited' } },
      { quota: { type: 'monthly', limit: 6 } },
      { rpm: null },
      { rpm: 1000 },
    ]) {
      const res = await ks.call('PATCH', `/v1/keys/${writer.id}`, writer.secret, patch);
      expect([res.status, res.body.error?.code]).toEqual([403, 'insufficient_permissions']);
    }
    const restricted = await restrictedWriter();
    for (const patch of [{ allowedModels: [] }, { expiresAt: null }]) {
      const res = await ks.call('PATCH', `/v1/keys/${restricted.id}`, restricted.secret, patch);
      expect([res.status, res.body.error?.code]).toEqual([403, 'insufficient_permissions']);
    }
    // Tightening is fine.
    const tighter = await ks.call('PATCH', `/v1/keys/${writer.id}`, writer.secret, { rpm: 5 });
    expect(tighter.status).toBe(200);
  });

  it('a restricted key cannot change, regenerate or delete a broader key of its owner', async () => {
    const writer = await restrictedWriter();
    const broad = await ks.newKey(owner(), { permissions: ['read'] });
    for (const [method, path, body] of [
      ['PATCH', `/v1/keys/${broad.id}`, { name: 'mine-now' }],
      ['POST', `/v1/keys/${broad.id}/regenerate`, {}],
      ['DELETE', `/v1/keys/${broad.id}`, undefined],
    ] as const) {
      const res = await ks.call(method, path, writer.secret, body);
      expect([method, res.status]).toEqual([method, 403]);
      expect(JSON.stringify(res.body)).not.toMatch(/gw-sk-[A-Za-z0-9]{20}/);
    }
  });

  it('a restricted key acts for its own owner only: no org keys, no members', async () => {
    const org = await ks.call('POST', '/v1/organizations', ks.admin, {
      name: 'team',
      ownerAccountId: account,
    });
    expect(org.status).toBe(201);
    const writer = await restrictedWriter();
    const orgKey = await ks.call('POST', '/v1/keys', writer.secret, {
      name: 'org-child',
      owner: { type: 'organization', id: org.body.id },
    });
    expect([orgKey.status, orgKey.body.error.code]).toEqual([403, 'insufficient_permissions']);
    const stranger = await ks.newAccount('pro');
    const member = await ks.call('POST', `/v1/organizations/${org.body.id}/members`, writer.secret, {
      accountId: stranger,
      role: 'owner',
    });
    expect([member.status, member.body.error.code]).toEqual([403, 'insufficient_permissions']);
  });
});

describe("a key's own restrictions apply to its management calls", () => {
  it('outside its IP allow-list: 403 ip_not_allowed on every management call', async () => {
    const k = await ks.newKey(owner(), { permissions: ['admin'], ipAllowlist: ['10.0.0.0/8'] });
    for (const [method, path, body] of [
      ['GET', '/v1/keys', undefined],
      ['POST', '/v1/keys', { name: 'from-elsewhere' }],
      ['PATCH', `/v1/keys/${k.id}`, { ipAllowlist: [] }],
    ] as const) {
      const res = await ks.call(method, path, k.secret, body);
      expect([method, res.status, res.body.error.code]).toEqual([method, 403, 'ip_not_allowed']);
    }
  });

  it('a key without management permissions calls models and nothing else', async () => {
    const created = await ks.call('POST', '/v1/keys', ks.admin, { name: 'models-only', owner: owner() });
    expect(created.body.permissions).toEqual([]);
    for (const [method, path] of [
      ['GET', '/v1/keys'],
      ['GET', `/v1/keys/${created.body.id}`],
      ['GET', `/v1/accounts/${account}`],
      ['GET', '/v1/audit-events'],
    ] as const) {
      const res = await ks.call(method, path, created.body.key);
      expect([path, res.status]).toEqual([path, 403]);
    }
    expect((await lookup(created.body.key)).record.state).toBe('active');
  });
});

describe('pricing groups are the operator’s', () => {
  beforeAll(async () => {
    const res = await ks.call('PUT', '/v1/pricing/groups/discount-other', ks.admin, { multiplier: 0.5 });
    expect(res.status).toBe(200);
  });

  it('a write key cannot put keys into a group the operator did not allow for its owner', async () => {
    const writer = await ks.newKey(owner(), { permissions: ['write'] });
    const create = await ks.call('POST', '/v1/keys', writer.secret, {
      name: 'cheap',
      group: 'discount-other',
    });
    expect(create.status).toBe(403);
    expect(create.body.error.param).toBe('group');
    const patch = await ks.call('PATCH', `/v1/keys/${writer.id}`, writer.secret, { group: 'discount-other' });
    expect(patch.status).toBe(403);
  });

  it('once the operator allows the group for the owner, the owner may choose it', async () => {
    const other = await ks.newAccount('pro');
    const writer = await ks.newKey({ type: 'account', id: other }, { permissions: ['write'] });
    const allowed = await ks.call('PATCH', `/v1/accounts/${other}`, ks.admin, {
      pricingGroups: ['discount-other'],
    });
    expect(allowed.body.pricingGroups).toEqual(['discount-other']);
    const create = await ks.call('POST', '/v1/keys', writer.secret, {
      name: 'cheap',
      group: 'discount-other',
    });
    expect(create.status).toBe(201);
    expect(create.body.group).toBe('discount-other');
  });

  it("the acting key's group is its own owner's: it does not carry over to an organization's keys", async () => {
    const org = await ks.call('POST', '/v1/organizations', ks.admin, {
      name: 'grouped',
      ownerAccountId: account,
    });
    const admin = await ks.newKey(owner(), { permissions: ['admin'], group: 'discount-other' });
    const orgOwner = { type: 'organization', id: org.body.id };
    const made = await ks.call('POST', '/v1/keys', admin.secret, { name: 'org-k', owner: orgOwner });
    expect([made.status, made.body.group]).toEqual([201, 'default']);
    const chosen = await ks.call('POST', '/v1/keys', admin.secret, {
      name: 'org-k2',
      owner: orgOwner,
      group: 'discount-other',
    });
    expect([chosen.status, chosen.body.error?.param]).toEqual([403, 'group']);
  });

  it('a key the operator put in a group keeps it when its owner edits other fields', async () => {
    const k = await ks.newKey(owner(), { permissions: ['write'], group: 'discount-other' });
    const patch = await ks.call('PATCH', `/v1/keys/${k.id}`, k.secret, { name: 'renamed-in-group' });
    expect(patch.status).toBe(200);
    expect(patch.body.group).toBe('discount-other');
  });
});

describe('organizations cannot escape their creator’s limits', () => {
  it('an account key cannot create an organization; only the operator does, and sets its limits', async () => {
    const capped = await ks.newAccount('basic', { creditLimit: 1 });
    const writer = await ks.newKey({ type: 'account', id: capped }, { permissions: ['admin'] });
    const res = await ks.call('POST', '/v1/organizations', writer.secret, {
      name: 'escape',
      ownerAccountId: capped,
    });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('insufficient_permissions');
    const byOperator = await ks.call('POST', '/v1/organizations', ks.admin, {
      name: 'sanctioned',
      ownerAccountId: capped,
      tier: 'basic',
      creditLimit: 1,
    });
    expect(byOperator.status).toBe(201);
    expect(byOperator.body).toMatchObject({
      creditLimit: 1,
      members: [{ accountId: capped, role: 'owner' }],
    });
  });
});

describe('regenerate and retired secrets', () => {
  it('a zero-grace regenerate ends every open grace period', async () => {
    const k = await ks.newKey(owner(), { permissions: ['write'] });
    const first = await ks.call('POST', `/v1/keys/${k.id}/regenerate`, ks.admin, {
      gracePeriodSeconds: 86_400,
    });
    expect((await lookup(k.secret)).record.state).toBe('active');
    const second = await ks.call('POST', `/v1/keys/${k.id}/regenerate`, ks.admin, { gracePeriodSeconds: 0 });
    expect(second.status).toBe(200);
    for (const secret of [k.secret, first.body.key])
      expect((await lookup(secret)).record.state).toBe('revoked');
    expect((await lookup(second.body.key)).record.state).toBe('active');
    const event = await bus.waitFor(
      (m) =>
        m.data.keyId === k.id &&
        m.data.reason === 'regenerated' &&
        m.data.hashes.includes(hashKey(second.body.key)),
    );
    // The event names the secrets it ended, so every cache evicts them.
    expect(event.data.hashes).toEqual(expect.arrayContaining([hashKey(k.secret), hashKey(first.body.key)]));
  });

  it('a secret in its grace period serves inference only: it cannot regenerate the key and take it over', async () => {
    const k = await ks.newKey(owner(), { permissions: ['write'] });
    const res = await ks.call('POST', `/v1/keys/${k.id}/regenerate`, k.secret, { gracePeriodSeconds: 3600 });
    expect(res.status).toBe(200);
    expect((await lookup(k.secret)).record.state).toBe('active');
    const takeover = await ks.call('POST', `/v1/keys/${k.id}/regenerate`, k.secret, {});
    expect(takeover.status).toBe(403);
    expect(takeover.body.error.code).toBe('key_revoked');
  });

  it('key events carry only live hashes however often a key is regenerated', async () => {
    const k = await ks.newKey(owner(), { permissions: ['write'] });
    let last: any;
    for (let i = 0; i < 15; i++) {
      last = await ks.call('POST', `/v1/keys/${k.id}/regenerate`, ks.admin, { gracePeriodSeconds: 3600 });
      expect(last.status).toBe(200);
    }
    const event = await bus.waitFor(
      (m) => m.data.keyId === k.id && m.data.hashes?.includes(hashKey(last.body.key)),
    );
    // The new secret, the one just retired, and at most 10 open grace periods.
    expect(event.data.hashes.length).toBeLessThanOrEqual(12);
    await ks.call('PATCH', `/v1/keys/${k.id}`, ks.admin, { name: 'after-many' });
    const updated = await bus.waitFor((m) => m.data.keyId === k.id && m.data.reason === 'updated');
    expect(updated.data.hashes.length).toBeLessThanOrEqual(11);
  });
});

describe('changes to one key are serialized', () => {
  it('a DELETE racing PATCHes and regenerates is never undone', async () => {
    for (let round = 0; round < 5; round++) {
      const k = await ks.newKey(owner(), { permissions: ['read'] });
      const replies = await Promise.all([
        ks.call('PATCH', `/v1/keys/${k.id}`, ks.admin, { name: `race-${round}-a` }),
        ks.call('POST', `/v1/keys/${k.id}/regenerate`, ks.admin, {}),
        ks.call('DELETE', `/v1/keys/${k.id}`, ks.admin),
        ks.call('PATCH', `/v1/keys/${k.id}`, ks.admin, { rpm: 3 }),
      ]);
      for (const r of replies) expect([200, 204, 404, 409]).toContain(r.status);
      expect((await ks.call('GET', `/v1/keys/${k.id}`, ks.admin)).status).toBe(404);
      expect((await lookup(k.secret)).record.state).toBe('revoked');
      const regenerated = replies[1];
      if (regenerated.status === 200)
        expect((await lookup(regenerated.body.key)).record.state).toBe('revoked');
    }
  });

  it('concurrent regenerates: each answers 200 or 409, never 500, and only the last secret works', async () => {
    const k = await ks.newKey(owner(), { permissions: ['read'] });
    const replies = await Promise.all(
      Array.from({ length: 6 }, () => ks.call('POST', `/v1/keys/${k.id}/regenerate`, ks.admin, {})),
    );
    for (const r of replies) expect([200, 409]).toContain(r.status);
    const won = replies.filter((r) => r.status === 200);
    expect(won.length).toBeGreaterThanOrEqual(1);
    const states = await Promise.all(won.map(async (r) => (await lookup(r.body.key)).record.state));
    expect(states.filter((s) => s === 'active')).toHaveLength(1);
    const conflict = replies.find((r) => r.status === 409);
    if (conflict) expect(conflict.body.error.code).toBe('conflict');
  });
});

describe('forgiving where it costs nothing', () => {
  it('DELETE with Content-Type: application/json and no body answers 204', async () => {
    const k = await ks.newKey(owner());
    const res = await fetch(`${ks.url}/v1/keys/${k.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ks.admin}`, 'content-type': 'application/json' },
    });
    expect(res.status).toBe(204);
  });

  it('a route that needs a body still refuses an empty one, naming it', async () => {
    const res = await fetch(`${ks.url}/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ks.admin}`, 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.code).toBe('invalid_request');
  });
});

describe('the audit log', () => {
  it("records one key's whole life with actor, changes, request id and address — never a secret", async () => {
    const writer = await ks.newKey(owner(), { permissions: ['admin'] });
    const created = await ks.call('POST', '/v1/keys', writer.secret, { name: 'audited', rpm: 5 });
    const id = created.body.id;
    await ks.call('PATCH', `/v1/keys/${id}`, writer.secret, { rpm: 4 });
    await ks.call('PATCH', `/v1/keys/${id}`, writer.secret, { enabled: false });
    const regen = await ks.call('POST', `/v1/keys/${id}/regenerate`, ks.admin, { gracePeriodSeconds: 60 });
    await ks.call('DELETE', `/v1/keys/${id}`, writer.secret);

    const res = await ks.call('GET', `/v1/audit-events?targetId=${id}`, writer.secret);
    expect(res.status).toBe(200);
    expect(res.body.data.map((e: any) => e.action)).toEqual([
      'key.deleted',
      'key.regenerated',
      'key.disabled',
      'key.updated',
      'key.created',
    ]);
    const [deleted, regenerated, disabled, updated, createdEvent] = res.body.data;
    expect(createdEvent).toMatchObject({
      actor: { type: 'key', id: writer.id },
      via: 'rest',
      target: { type: 'key', id },
      owner: owner(),
      changes: { name: { after: 'audited' }, rpm: { after: 5 }, permissions: { after: [] } },
      requestId: expect.any(String),
      clientIp: expect.stringMatching(/127\.0\.0\.1|::1/),
    });
    expect(updated.changes).toEqual({ rpm: { before: 5, after: 4 } });
    expect(disabled.changes).toEqual({ enabled: { before: true, after: false } });
    expect(regenerated).toMatchObject({
      actor: { type: 'operator', id: null },
      changes: { gracePeriodSeconds: { after: 60 } },
    });
    expect(deleted.actor).toEqual({ type: 'key', id: writer.id });
    const text = JSON.stringify(res.body);
    for (const secret of [created.body.key, regen.body.key, writer.secret]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(hashKey(secret));
      expect(text).not.toContain(secret.slice(-4) + '"');
    }
  });

  it('filters by action and time, pages newest first, and shows a tenant only its own', async () => {
    const a = await ks.newKey(owner(), { permissions: ['read'] });
    const other = await ks.newAccount('pro');
    const otherReader = await ks.newKey({ type: 'account', id: other }, { permissions: ['read'] });
    const since = new Date().toISOString();
    for (let i = 0; i < 3; i++)
      await ks.call('POST', '/v1/keys', ks.admin, { name: `page-${i}`, owner: owner() });

    const first = await ks.call('GET', `/v1/audit-events?action=key.created&from=${since}&limit=2`, a.secret);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.data[0].changes.name.after).toBe('page-2');
    const second = await ks.call(
      'GET',
      `/v1/audit-events?action=key.created&from=${since}&limit=2&cursor=${first.body.nextCursor}`,
      a.secret,
    );
    expect(second.body.data.map((e: any) => e.changes.name.after)).toEqual(['page-0']);
    expect(second.body.nextCursor).toBeNull();

    const theirs = await ks.call('GET', `/v1/audit-events?targetId=${a.id}`, otherReader.secret);
    expect(theirs.body.data).toEqual([]);
    const operator = await ks.call('GET', `/v1/audit-events?targetId=${a.id}`, ks.admin);
    expect(operator.body.data.map((e: any) => e.action)).toEqual(['key.created']);
  });

  it('refuses times Postgres cannot hold, and cursors it did not write, with 400', async () => {
    const forged = Buffer.from(JSON.stringify(['1', '-'.repeat(36)])).toString('base64url');
    for (const query of ['from=0000-01-01T00:00:00Z', `cursor=${forged}`]) {
      const res = await ks.call('GET', `/v1/audit-events?${query}`, ks.admin);
      expect([query, res.status, res.body.error.code]).toEqual([query, 400, 'invalid_request']);
    }
  });

  it('is append-only in the database itself', async () => {
    const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    try {
      await expect(db.query(`UPDATE keys.audit_events SET action = 'x'`)).rejects.toThrow(/append-only/);
      await expect(db.query(`DELETE FROM keys.audit_events`)).rejects.toThrow(/append-only/);
    } finally {
      await db.end();
    }
  });
});
