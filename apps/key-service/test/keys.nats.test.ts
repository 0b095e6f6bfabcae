// NATS request/reply (keys.*) with the same rules as REST, keys.lookup by hash, events on every change,
// and last-used times applied in bulk.
import { hashKey } from '@gw/key-format';
import { connectAs } from '@gw/testing';
import type { NatsConnection } from '@nats-io/transport-node';
import { collect, type KeyService, sleep, startKeyService } from './harness.js';

let ks: KeyService;
/** As the internal identity: keys.* management calls and key events. */
let bus: Awaited<ReturnType<typeof collect>>;
/** keys.lookup is auth-service's, keys.touch the gateways'. */
let auth: NatsConnection;
let gateway: NatsConnection;
let accountA: string;
let accountB: string;

async function rpc(subject: string, payload: unknown): Promise<any> {
  const nc = subject === 'keys.lookup' ? auth : bus.nc;
  const msg = await nc.request(subject, JSON.stringify(payload), { timeout: 3000 });
  return msg.json();
}

beforeAll(async () => {
  ks = await startKeyService();
  bus = await collect('keys.events.>');
  [auth, gateway] = await Promise.all([connectAs('auth-service'), connectAs('gateway')]);
  accountA = await ks.newAccount();
  accountB = await ks.newAccount();
});
afterAll(async () => {
  await Promise.all([bus.close(), auth.close(), gateway.close()]);
  await ks.close();
});

const actorA = () => ({ type: 'account', id: accountA });

describe('keys.* request/reply', () => {
  it('create, get, list, update, regenerate and delete as an account actor, with events for each change', async () => {
    const created = await rpc('keys.create', {
      actor: actorA(),
      input: { name: 'over-nats', permissions: ['read'] },
    });
    expect(created).toMatchObject({ ok: true });
    const key = created.data;
    expect(key.key).toMatch(/^gw-sk-/);
    expect(key.owner).toEqual({ type: 'account', id: accountA });
    const firstHash = hashKey(key.key);
    await bus.waitFor(
      (m) => m.subject === 'keys.events.changed' && m.data.keyId === key.id && m.data.reason === 'created',
    );

    const got = await rpc('keys.get', { actor: actorA(), id: key.id });
    expect(got).toMatchObject({ ok: true, data: { id: key.id, name: 'over-nats' } });
    expect(got.data.key).toBeUndefined();

    const listed = await rpc('keys.list', { actor: actorA(), query: { limit: 50 } });
    expect(listed.data.data.map((k: { id: string }) => k.id)).toContain(key.id);

    const updated = await rpc('keys.update', { actor: actorA(), id: key.id, input: { enabled: false } });
    expect(updated.data.status).toBe('disabled');
    const disabled = await bus.waitFor((m) => m.data.keyId === key.id && m.data.reason === 'disabled');
    expect(disabled.data).toMatchObject({
      scope: 'key',
      owner: { type: 'account', id: accountA },
      hashes: [firstHash],
    });

    await rpc('keys.update', { actor: actorA(), id: key.id, input: { enabled: true } });
    await bus.waitFor((m) => m.data.keyId === key.id && m.data.reason === 'enabled');
    await rpc('keys.update', { actor: actorA(), id: key.id, input: { rpm: 9 } });
    await bus.waitFor((m) => m.data.keyId === key.id && m.data.reason === 'updated');

    const regenerated = await rpc('keys.regenerate', { actor: actorA(), id: key.id, input: {} });
    expect(regenerated.data.key).not.toBe(key.key);
    const regen = await bus.waitFor((m) => m.data.keyId === key.id && m.data.reason === 'regenerated');
    expect(regen.data.hashes).toEqual(expect.arrayContaining([firstHash, hashKey(regenerated.data.key)]));

    const deleted = await rpc('keys.delete', { actor: actorA(), id: key.id });
    expect(deleted).toEqual({ ok: true, data: { deleted: true } });
    const gone = await bus.waitFor((m) => m.subject === 'keys.events.deleted' && m.data.keyId === key.id);
    // Only hashes a cache may still hold as usable: the first secret ended at the zero-grace regenerate.
    expect(gone.data.hashes).toEqual([hashKey(regenerated.data.key)]);
    expect(gone.data.hashes).not.toContain(firstHash);
  });

  it("applies the same tenancy: account B gets not_found for A's key", async () => {
    const key = (await ks.newKey({ type: 'account', id: accountA })).id;
    const asB = { type: 'account', id: accountB };
    for (const [subject, payload] of [
      ['keys.get', { actor: asB, id: key }],
      ['keys.update', { actor: asB, id: key, input: { name: 'x' } }],
      ['keys.regenerate', { actor: asB, id: key }],
      ['keys.delete', { actor: asB, id: key }],
    ] as [string, unknown][]) {
      const reply = await rpc(subject, payload);
      expect([subject, reply.ok, reply.error?.code]).toEqual([subject, false, 'not_found']);
    }
    const list = await rpc('keys.list', { actor: asB, query: { ownerType: 'account', ownerId: accountA } });
    expect(list.error.code).toBe('not_found');
  });

  it("acts as a key actor with exactly that key's permissions, and as the operator on any owner", async () => {
    const reader = await ks.newKey({ type: 'account', id: accountA }, { permissions: ['read'] });
    const denied = await rpc('keys.create', { actor: { type: 'key', id: reader.id }, input: { name: 'x' } });
    expect(denied.error.code).toBe('insufficient_permissions');
    const operator = await rpc('keys.create', {
      actor: { type: 'operator' },
      input: { name: 'by-operator', owner: { type: 'account', id: accountB } },
    });
    expect(operator.data.owner.id).toBe(accountB);
  });

  it('answers invalid payloads with invalid_request naming the field', async () => {
    const cases: [string, unknown, string][] = [
      ['keys.create', { actor: actorA(), input: { name: '' } }, 'input.name'],
      ['keys.create', { actor: { type: 'god' }, input: { name: 'x' } }, 'actor.type'],
      ['keys.get', { actor: actorA(), id: 'nope' }, 'id'],
      [
        'keys.update',
        { actor: actorA(), id: '00000000-0000-4000-8000-000000000000', input: { bogus: 1 } },
        'input.bogus',
      ],
      ['keys.lookup', { hash: 'short' }, 'hash'],
    ];
    for (const [subject, payload, param] of cases) {
      const reply = await rpc(subject, payload);
      expect([subject, reply.error?.code, reply.error?.param]).toEqual([subject, 'invalid_request', param]);
    }
    const garbage = await bus.nc.request('keys.get', 'not json', { timeout: 3000 });
    expect(garbage.json<any>().error.code).toBe('invalid_request');
  });
});

describe('keys.lookup', () => {
  it('answers the record for a current hash, revoked for deleted and retired ones, not found otherwise', async () => {
    const k = await ks.newKey(
      { type: 'account', id: accountA },
      { ipAllowlist: ['10.0.0.0/8'], rpm: 5, allowedModels: ['gpt-4o'] },
    );
    const found = await rpc('keys.lookup', { hash: hashKey(k.secret) });
    expect(found.data).toMatchObject({
      found: true,
      record: {
        id: k.id,
        state: 'active',
        owner: { type: 'account', id: accountA, status: 'active', creditLimitMicros: null },
        tier: { name: 'pro', rpm: 100, priority: false, models: ['*'] },
        permissions: [],
        allowedModels: ['gpt-4o'],
        ipAllowlist: ['10.0.0.0/8'],
        quota: { type: 'unlimited', limitMicros: null, exhaustedPeriod: null },
        group: { name: 'default', multiplierPpm: 1_000_000 },
        rpm: 5,
        secretValidUntil: null,
      },
    });
    expect(JSON.stringify(found)).not.toContain(k.secret);

    const regen = await ks.call('POST', `/v1/keys/${k.id}/regenerate`, ks.admin, { gracePeriodSeconds: 30 });
    const graced = await rpc('keys.lookup', { hash: hashKey(k.secret) });
    expect(graced.data.record.state).toBe('active');
    expect(Date.parse(graced.data.record.secretValidUntil)).toBeGreaterThan(Date.now() + 25_000);

    await ks.call('DELETE', `/v1/keys/${k.id}`, ks.admin);
    for (const secret of [k.secret, regen.body.key]) {
      expect((await rpc('keys.lookup', { hash: hashKey(secret) })).data.record.state).toBe('revoked');
    }
    expect((await rpc('keys.lookup', { hash: hashKey('gw-sk-unknown') })).data).toEqual({ found: false });
  });
});

describe('keys.touch', () => {
  it('advances last_used_at for a batch in one go, never backwards', async () => {
    const a = await ks.newKey({ type: 'account', id: accountA });
    const b = await ks.newKey({ type: 'account', id: accountA });
    const t1 = new Date(Date.now() - 60_000).toISOString();
    const t2 = new Date(Date.now() - 30_000).toISOString();
    gateway.publish(
      'keys.touch',
      JSON.stringify({
        touches: [
          { keyId: a.id, at: t1 },
          { keyId: a.id, at: t2 },
          { keyId: b.id, at: t1 },
          { keyId: 'junk', at: 'x' },
        ],
      }),
    );
    let lastA = null;
    for (let i = 0; i < 100 && !lastA; i++) {
      lastA = (await ks.call('GET', `/v1/keys/${a.id}`, ks.admin)).body.lastUsedAt;
      if (!lastA) await sleep(20);
    }
    expect(lastA).toBe(t2);
    expect((await ks.call('GET', `/v1/keys/${b.id}`, ks.admin)).body.lastUsedAt).toBe(t1);
    // An older time does not move it back.
    gateway.publish('keys.touch', JSON.stringify({ touches: [{ keyId: a.id, at: t1 }] }));
    await gateway.flush();
    await sleep(200);
    expect((await ks.call('GET', `/v1/keys/${a.id}`, ks.admin)).body.lastUsedAt).toBe(t2);
  });
});

describe('owner, tier and pricing events', () => {
  it('publishes owner-scoped, tier-scoped and pricing events', async () => {
    const pricing = await collect('pricing.events.changed', 'gateway');
    try {
      await ks.call('PATCH', `/v1/accounts/${accountB}`, ks.admin, { tier: 'basic' });
      await bus.waitFor((m) => m.data.scope === 'owner' && m.data.owner.id === accountB);
      const tier = (await ks.call('GET', '/v1/tiers/basic', ks.admin)).body;
      await ks.call('PUT', '/v1/tiers/basic', ks.admin, {
        rpm: tier.rpm,
        priority: tier.priority,
        models: tier.models,
      });
      await bus.waitFor((m) => m.data.scope === 'tier' && m.data.tier === 'basic');
      await ks.call('PUT', '/v1/pricing/groups/nats-test', ks.admin, { multiplier: 1.25 });
      await pricing.waitFor((m) => m.data.kind === 'group' && m.data.name === 'nats-test');
    } finally {
      await pricing.close();
    }
  });
});
