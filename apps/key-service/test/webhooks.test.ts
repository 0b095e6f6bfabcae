// Webhooks end to end: management and tenancy, destination checks, Standard Webhooks signatures, delivery
// from the outbox (NOTIFY-driven, retried, recorded) and across a restart of the sending service.
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { loadKeyServiceConfig } from '../src/config.js';
import { WebhookEventsListener } from '../src/webhooks/webhook-events.listener.js';
import { collect, type KeyService, sleep, startKeyService } from './harness.js';
import { connectAs } from '@gw/testing';
import type { NatsConnection } from '@nats-io/transport-node';

// The same settings as the local stack's defaults (scripts/stack/cli.mjs), which every key-service sharing
// this database's outbox must agree on: loopback receivers over http, retries 300 ms, 600 ms, …
const base = loadKeyServiceConfig(process.env).webhooks;
const LOCAL = {
  ...base,
  allowHttp: true,
  allowedNetworks: ['127.0.0.0/8', '::1/128'],
  retryScheduleMs: [300, 600, 1200, 2400, 4800],
  pollMs: 100,
};

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}
/** A response, or 'hang': the request is never answered (until `releaseHung`). */
type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

let ks: KeyService;
let bus: Awaited<ReturnType<typeof collect>>;
let metering: NatsConnection;
let db: pg.Client;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
const answers = new Map<string, (n: number) => Answer>();
const hung: ServerResponse[] = [];
/** Answers every request left hanging (200). */
const releaseHung = () => {
  for (const res of hung.splice(0)) if (!res.writableEnded) res.writeHead(200).end();
};

let accountA: string;
let accountB: string;
let hookKeyA: string;
let hookKeyB: string;

const owner = (id: string) => ({ type: 'account' as const, id });
/** How the audit log records a webhook's URL: its origin and a fingerprint of the whole URL. */
const AUDIT_URL = /^http:\/\/127\.0\.0\.1:\d+ \(sha256:[0-9a-f]{12}\)$/;
/** Every account this file made webhooks for. */
const accounts: string[] = [];
/** Logs of instances already closed. */
let earlierLogs = '';

/** A fresh account and a key of it with the webhook permission: each delivery test has its own. */
async function tenant(account: Record<string, unknown> = {}) {
  const id = await ks.newAccount('pro', account);
  accounts.push(id);
  const key = (await ks.newKey(owner(id), { permissions: ['webhook'] })).secret;
  return { id, owner: owner(id), key };
}

/** A fresh receiver path; `answer(n)` decides the n-th request's response (default 200). */
function endpoint(answer?: (n: number) => Answer) {
  const path = `/hook/${randomUUID()}`;
  if (answer) answers.set(path, answer);
  return {
    path,
    url: receiverUrl + path,
    got: () => received.filter((r) => r.path === path),
    /** Requests whatever their query string. */
    gotAny: () => received.filter((r) => r.path.split('?')[0] === path),
  };
}

async function until<T>(probe: () => T | Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms: ${JSON.stringify(v)}`);
    await sleep(25);
  }
}

async function createHook(token: string, url: string, events: string[], extra: Record<string, unknown> = {}) {
  const res = await ks.call('POST', '/v1/webhooks', token, { url, events, ...extra });
  if (res.status !== 201) throw new Error(`webhook: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; secret: string; url: string; events: string[] };
}

const deliveries = async (id: string, token: string) =>
  (await ks.call('GET', `/v1/webhooks/${id}/deliveries`, token)).body.data as any[];

/** As metering, which announces quota exhaustion and thresholds. */
const publish = async (subject: string, payload: unknown) => {
  metering.publish(subject, typeof payload === 'string' ? payload : JSON.stringify(payload));
  await metering.flush();
};

/** The Standard Webhooks signature, computed here independently of the service's signing code. */
function expectedSignature(secret: string, r: Received) {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const mac = createHmac('sha256', key)
    .update(`${r.headers['webhook-id']}.${r.headers['webhook-timestamp']}.${r.body}`)
    .digest('base64');
  return `v1,${mac}`;
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const r = { path: req.url!, headers: req.headers, body, at: Date.now() };
      received.push(r);
      const a = answers.get(r.path)?.(received.filter((x) => x.path === r.path).length) ?? { status: 200 };
      if (a === 'hang') return void hung.push(res);
      res.writeHead(a.status, a.headers);
      res.end(a.body ?? '');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  ks = await startKeyService({ overrides: { webhooks: LOCAL } });
  bus = await collect('keys.events.>');
  metering = await connectAs('metering');
  db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  accountA = await ks.newAccount();
  accountB = await ks.newAccount();
  accounts.push(accountA, accountB);
  hookKeyA = (await ks.newKey(owner(accountA), { permissions: ['webhook'] })).secret;
  hookKeyB = (await ks.newKey(owner(accountB), { permissions: ['webhook'] })).secret;
});

afterAll(async () => {
  // Nothing of ours left to retry once this file is done.
  await db?.query(`DELETE FROM keys.webhooks WHERE owner_id = ANY($1::uuid[])`, [accounts]);
  await db?.end();
  releaseHung();
  await bus?.close();
  await metering?.close();
  await ks?.close();
  await new Promise((r) => receiver?.close(r));
});

describe('managing webhooks', () => {
  it('creates with a Standard Webhooks secret shown once; get and list never show it', async () => {
    const ep = endpoint();
    const created = await ks.call('POST', '/v1/webhooks', hookKeyA, {
      url: ep.url,
      events: ['quota.exhausted', 'key.created'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      owner: owner(accountA),
      url: ep.url,
      events: ['quota.exhausted', 'key.created'],
      enabled: true,
    });
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(created.body.secret.slice(6), 'base64')).toHaveLength(32);

    const got = await ks.call('GET', `/v1/webhooks/${created.body.id}`, hookKeyA);
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ ...created.body, secret: undefined, updatedAt: expect.any(String) });
    expect(JSON.stringify(got.body)).not.toContain(created.body.secret.slice(6));
    const listed = await ks.call('GET', '/v1/webhooks?limit=100', hookKeyA);
    expect(listed.body.data.map((w: { id: string }) => w.id)).toContain(created.body.id);
    expect(JSON.stringify(listed.body)).not.toContain('whsec_');

    // Stored sealed, never in the clear.
    const { rows } = await db.query(`SELECT secret_ciphertext FROM keys.webhooks WHERE id = $1`, [
      created.body.id,
    ]);
    expect(rows[0].secret_ciphertext).toMatch(/^v1\./);
    expect(rows[0].secret_ciphertext).not.toContain(created.body.secret.slice(6));
  });

  it('lists newest first with a cursor, and validates the query', async () => {
    const acct = await ks.newAccount();
    accounts.push(acct);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await createHook(ks.admin, endpoint().url, ['key.created'], { owner: owner(acct) })).id);
    const q = `ownerType=account&ownerId=${acct}`;
    const first = await ks.call('GET', `/v1/webhooks?${q}&limit=2`, ks.admin);
    expect(first.status).toBe(200);
    expect(first.body.data.map((w: { id: string }) => w.id)).toEqual([ids[2], ids[1]]);
    const second = await ks.call(
      'GET',
      `/v1/webhooks?${q}&limit=2&cursor=${first.body.nextCursor}`,
      ks.admin,
    );
    expect(second.body).toEqual({ data: [expect.objectContaining({ id: ids[0] })], nextCursor: null });
    expect((await ks.call('GET', `/v1/webhooks?${q}&cursor=nope`, ks.admin)).body.error).toMatchObject({
      param: 'cursor',
    });
    expect((await ks.call('GET', `/v1/webhooks?ownerType=account`, ks.admin)).status).toBe(400);
    expect((await ks.call('GET', `/v1/webhooks?${q}&bogus=1`, ks.admin)).status).toBe(400);
    // The operator must say whose.
    expect((await ks.call('GET', `/v1/webhooks`, ks.admin)).status).toBe(400);
  });

  it('changes url, events and enabled; records created/updated/deleted in the audit log, never the secret', async () => {
    const hook = await createHook(hookKeyA, endpoint().url + '?token=abc', ['key.created']);
    const next = endpoint().url;
    const patched = await ks.call('PATCH', `/v1/webhooks/${hook.id}`, hookKeyA, {
      url: next,
      events: ['key.updated', 'key.revoked'],
      enabled: false,
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ url: next, events: ['key.updated', 'key.revoked'], enabled: false });
    expect((await ks.call('PATCH', `/v1/webhooks/${hook.id}`, hookKeyA, {})).status).toBe(400);
    expect((await ks.call('PATCH', `/v1/webhooks/${hook.id}`, hookKeyA, { secret: 'x' })).status).toBe(400);
    expect((await ks.call('DELETE', `/v1/webhooks/${hook.id}`, hookKeyA)).status).toBe(204);
    expect((await ks.call('GET', `/v1/webhooks/${hook.id}`, hookKeyA)).status).toBe(404);
    expect((await ks.call('DELETE', `/v1/webhooks/${hook.id}`, hookKeyA)).status).toBe(404);

    const { rows } = await db.query(
      `SELECT action, actor_type, changes FROM keys.audit_events WHERE target_id = $1 ORDER BY at`,
      [hook.id],
    );
    expect(rows.map((r) => r.action)).toEqual(['webhook.created', 'webhook.updated', 'webhook.deleted']);
    expect(rows.every((r) => r.actor_type === 'key')).toBe(true);
    // Origin and a fingerprint: no path (Slack-style URLs keep their secret there), no query.
    expect(rows[0].changes.url).toEqual({ after: expect.stringMatching(AUDIT_URL) });
    expect(rows[1].changes.url).toEqual({
      before: expect.stringMatching(AUDIT_URL),
      after: expect.stringMatching(AUDIT_URL),
    });
    expect(rows[1].changes).toMatchObject({
      enabled: { before: true, after: false },
      events: { before: ['key.created'], after: ['key.updated', 'key.revoked'] },
    });
    const all = JSON.stringify(rows);
    expect(all).not.toContain(hook.secret.slice(6));
    expect(all).not.toContain('token=abc');
    expect(all).not.toContain('/hook/');
  });

  it('saves and audits a change of only the query string (a rotated token), without the token', async () => {
    const t = await tenant();
    const ep = endpoint();
    const hook = await createHook(t.key, `${ep.url}?token=old-secret`, ['key.created']);
    const rotated = `${ep.url}?token=new-secret`;
    const patched = await ks.call('PATCH', `/v1/webhooks/${hook.id}`, t.key, { url: rotated });
    expect([patched.status, patched.body.url]).toEqual([200, rotated]);
    // Stored, not just answered.
    expect((await ks.call('GET', `/v1/webhooks/${hook.id}`, t.key)).body.url).toBe(rotated);
    const { rows } = await db.query(
      `SELECT action, changes FROM keys.audit_events WHERE target_id = $1 ORDER BY at`,
      [hook.id],
    );
    expect(rows.map((r) => r.action)).toEqual(['webhook.created', 'webhook.updated']);
    const { before, after } = rows[1].changes.url;
    expect([before, after]).toEqual([expect.stringMatching(AUDIT_URL), expect.stringMatching(AUDIT_URL)]);
    expect(before).not.toBe(after);
    expect(before.split(' ')[0]).toBe(receiverUrl);
    const all = JSON.stringify(rows);
    for (const secret of ['old-secret', 'new-secret', ep.path]) expect(all).not.toContain(secret);
    // And delivered to the new URL.
    await ks.newKey(t.owner);
    const [r] = await until(ep.gotAny, (l) => l.length === 1);
    expect(r.path).toBe(`${ep.path}?token=new-secret`);
  });

  it('needs the webhook or admin permission', async () => {
    const mine = await createHook(hookKeyA, endpoint().url, ['key.created']);
    for (const permissions of [['read'], ['write'], ['read', 'write']]) {
      const key = (await ks.newKey(owner(accountA), { permissions })).secret;
      for (const [method, path, body] of [
        ['POST', '/v1/webhooks', { url: endpoint().url, events: ['key.created'] }],
        ['GET', '/v1/webhooks', undefined],
        ['GET', `/v1/webhooks/${mine.id}`, undefined],
        ['PATCH', `/v1/webhooks/${mine.id}`, { enabled: false }],
        ['DELETE', `/v1/webhooks/${mine.id}`, undefined],
        ['GET', `/v1/webhooks/${mine.id}/deliveries`, undefined],
      ] as const) {
        const res = await ks.call(method, path, key, body);
        expect([permissions, method, path, res.status, res.body?.error?.code]).toEqual([
          permissions,
          method,
          path,
          403,
          'insufficient_permissions',
        ]);
      }
    }
    const admin = (await ks.newKey(owner(accountA), { permissions: ['admin'] })).secret;
    expect(
      (await ks.call('POST', '/v1/webhooks', admin, { url: endpoint().url, events: ['key.created'] })).status,
    ).toBe(201);
    expect((await ks.call('GET', `/v1/webhooks/${mine.id}`, admin)).status).toBe(200);
    expect((await ks.call('GET', `/v1/webhooks/${mine.id}`, null)).status).toBe(401);
    // The operator names the owner.
    const op = await ks.call('POST', '/v1/webhooks', ks.admin, {
      url: endpoint().url,
      events: ['key.created'],
    });
    expect(op.status).toBe(400);
    expect(op.body.error.param).toBe('owner');
  });

  it("answers 404 for another tenant's webhook on every verb", async () => {
    const hookA = await createHook(hookKeyA, endpoint().url, ['key.created']);
    for (const [method, path, body] of [
      ['GET', `/v1/webhooks/${hookA.id}`, undefined],
      ['PATCH', `/v1/webhooks/${hookA.id}`, { enabled: false }],
      ['DELETE', `/v1/webhooks/${hookA.id}`, undefined],
      ['GET', `/v1/webhooks/${hookA.id}/deliveries`, undefined],
      ['GET', `/v1/webhooks?ownerType=account&ownerId=${accountA}`, undefined],
      ['POST', '/v1/webhooks', { url: endpoint().url, events: ['key.created'], owner: owner(accountA) }],
    ] as const) {
      const res = await ks.call(method, path, hookKeyB, body);
      expect([method, path, res.status]).toEqual([method, path, 404]);
    }
    const listB = await ks.call('GET', '/v1/webhooks?limit=100', hookKeyB);
    expect(listB.body.data.map((w: { id: string }) => w.id)).not.toContain(hookA.id);
    expect((await ks.call('GET', `/v1/webhooks/${hookA.id}`, hookKeyA)).body.enabled).toBe(true);
  });
});

describe('destinations', () => {
  let probe: string | undefined;
  it.each([
    ['http://169.254.169.254/latest/meta-data/', 'link-local or metadata'],
    ['http://[::ffff:169.254.169.254]/', 'link-local or metadata'],
    ['http://metadata.google.internal/computeMetadata/v1/', 'metadata'],
    ['http://10.0.0.8/hook', 'private'],
    ['http://192.168.1.1/hook', 'private'],
    ['http://100.64.0.1/hook', 'CGNAT'],
    ['http://0.0.0.0:9/hook', '"this network"'],
    ['http://user:pw@127.0.0.1/hook', 'credentials'],
    ['ftp://127.0.0.1/hook', ''],
  ])('refuses %s at create and update (400 naming url)', async (url, why) => {
    const res = await ks.call('POST', '/v1/webhooks', hookKeyA, { url, events: ['key.created'] });
    expect(res.status).toBe(400);
    expect(res.body.error.param).toBe('url');
    expect(res.body.error.message).toContain(why);
    probe ??= (await createHook(hookKeyA, endpoint().url, ['key.created'])).id;
    const patched = await ks.call('PATCH', `/v1/webhooks/${probe}`, hookKeyA, { url });
    expect([patched.status, patched.body.error.param]).toEqual([400, 'url']);
  });

  it('refuses loopback and plain http when the operator has not allowed them', async () => {
    // Short-lived: its sender would refuse the other tests' loopback deliveries.
    const strict = await startKeyService({
      overrides: { webhooks: { ...LOCAL, allowHttp: false, allowedNetworks: [] } },
    });
    try {
      for (const [url, why] of [
        ['https://127.0.0.1:8443/hook', 'loopback'],
        ['https://[::1]:8443/hook', 'loopback'],
        // A name: what it resolves to is not the tenant's to learn.
        ['https://localhost:8443/hook', 'the host resolves to a non-public address.'],
        ['http://example.com/hook', 'must use https'],
      ]) {
        const res = await strict.call('POST', '/v1/webhooks', hookKeyA, { url, events: ['key.created'] });
        expect([url, res.status, res.body.error.param]).toEqual([url, 400, 'url']);
        expect(res.body.error.message).toContain(why);
        if (url.includes('localhost')) expect(res.body.error.message).not.toMatch(/127\.0\.0\.1|::1/);
      }
    } finally {
      earlierLogs += strict.logs();
      await strict.close();
    }
  });

  it('does not follow a redirect: a 3xx is a failed attempt', async () => {
    const t = await tenant();
    const target = endpoint();
    const ep = endpoint(() => ({ status: 302, headers: { location: target.url } }));
    const hook = await createHook(t.key, ep.url, ['quota.exhausted']);
    const key = await ks.newKey(t.owner);
    await publish('keys.events.quota_exhausted', {
      keyId: key.id,
      owner: t.owner,
      period: 'lifetime',
      at: new Date().toISOString(),
    });
    const [d] = await until(
      () => deliveries(hook.id, t.key),
      (l) => l.length === 1 && l[0].attempts >= 1,
    );
    expect(d).toMatchObject({ status: 'pending', lastStatus: 302 });
    expect(d.lastError).toContain('redirects are not followed');
    await sleep(200);
    expect(target.got()).toHaveLength(0);
    await ks.call('DELETE', `/v1/webhooks/${hook.id}`, t.key);
  });
});

describe('deliveries', () => {
  it('sends quota.exhausted signed the Standard Webhooks way, once per key and period', async () => {
    const t = await tenant();
    const ep = endpoint();
    const hook = await createHook(t.key, ep.url, ['quota.exhausted']);
    const key = await ks.newKey(t.owner, { quota: { type: 'monthly', limit: 5 } });
    const event = { keyId: key.id, owner: t.owner, period: '2026-11', at: new Date().toISOString() };
    const sent = Date.now();
    await publish('keys.events.quota_exhausted', event);
    const [r] = await until(ep.got, (l) => l.length === 1);
    const [d] = await until(
      () => deliveries(hook.id, t.key),
      (l) => l[0]?.status === 'delivered',
    );
    console.log(
      `webhook first-attempt latency: ${r.at - sent} ms from the NATS event, ` +
        `${r.at - Date.parse(d.createdAt)} ms from the outbox row's commit`,
    );

    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['user-agent']).toMatch(/webhooks/);
    expect(r.headers['webhook-id']).toBe(d.id);
    expect(Math.abs(Number(r.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(10);
    expect(r.headers['webhook-signature']).toBe(expectedSignature(hook.secret, r));
    // And the reference implementation agrees.
    const body = new Webhook(hook.secret).verify(r.body, r.headers as Record<string, string>);
    expect(body).toEqual({
      type: 'quota.exhausted',
      timestamp: expect.any(String),
      data: { key: { id: key.id, name: key.view.name }, owner: t.owner, period: '2026-11' },
    });
    expect(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(
        r.body,
        r.headers as Record<string, string>,
      ),
    ).toThrow();

    expect(d).toMatchObject({
      eventType: 'quota.exhausted',
      status: 'delivered',
      attempts: 1,
      lastStatus: 200,
      lastError: null,
      nextAttemptAt: null,
      deliveredAt: expect.any(String),
      payload: body,
    });
    expect(d.lastLatencyMs).toEqual(expect.any(Number));

    // The same key and period again: nothing new.
    await publish('keys.events.quota_exhausted', { ...event, at: new Date().toISOString() });
    await sleep(500);
    expect(ep.got()).toHaveLength(1);
    expect(await deliveries(hook.id, t.key)).toHaveLength(1);
  });

  it('sends quota.threshold; malformed or foreign events are ignored without harm', async () => {
    const t = await tenant({ creditLimit: 10 });
    const ep = endpoint();
    const hook = await createHook(t.key, ep.url, ['quota.threshold']);
    const keyB = await ks.newKey(owner(accountB));
    for (const bad of [
      '{',
      '[]',
      'null',
      '{"owner":{"type":"x"}}',
      JSON.stringify({ owner: t.owner, period: 'soon' }),
    ])
      await publish('metering.events.quota_threshold', bad);
    // B's key named as A's: refused.
    await publish('metering.events.quota_threshold', {
      keyId: keyB.id,
      owner: t.owner,
      period: 'lifetime',
      percent: 80,
      limitMicros: 1_000_000,
      spentMicros: 800_000,
      at: new Date().toISOString(),
    });
    await publish('metering.events.quota_threshold', {
      owner: t.owner,
      period: 'lifetime',
      percent: 80,
      limitMicros: 10_000_000,
      spentMicros: 8_500_000,
      at: new Date().toISOString(),
    });
    const [r] = await until(ep.got, (l) => l.length >= 1);
    expect(JSON.parse(r.body)).toMatchObject({
      type: 'quota.threshold',
      data: { key: null, owner: t.owner, period: 'lifetime', percent: 80, limit: 10, used: 8.5 },
    });
    await sleep(300);
    expect(ep.got()).toHaveLength(1);
    expect(await deliveries(hook.id, t.key)).toHaveLength(1);
  });

  it('ignores forged or stale quota.threshold: another limit, percent or period adds nothing', async () => {
    const t = await tenant({ creditLimit: 10 });
    const ep = endpoint();
    const hook = await createHook(t.key, ep.url, ['quota.threshold']);
    const key = await ks.newKey(t.owner, { quota: { type: 'monthly', limit: 5 } });
    const month = new Date().toISOString().slice(0, 7);
    const ownerEvent = (o: Record<string, unknown>) => ({
      owner: t.owner,
      period: 'lifetime',
      percent: 80,
      limitMicros: 10_000_000,
      spentMicros: 8_000_000,
      at: new Date().toISOString(),
      ...o,
    });
    const keyEvent = (o: Record<string, unknown>) =>
      ownerEvent({ keyId: key.id, period: month, limitMicros: 5_000_000, spentMicros: 4_000_000, ...o });
    const forged = [
      ...[1, 2, 3, 9_999_999, 20_000_000].map((limitMicros) => ownerEvent({ limitMicros })),
      ...[1, 50, 79, 81, 99, 100].map((percent) => ownerEvent({ percent })),
      ownerEvent({ period: month }),
      ...[4_000_000, 6_000_000].map((limitMicros) => keyEvent({ limitMicros })),
      keyEvent({ percent: 90 }),
      ...['lifetime', '2031-01', '1999-12'].map((period) => keyEvent({ period })),
    ];
    for (const e of forged) await publish('metering.events.quota_threshold', e);
    // The genuine ones, each twice (another spend): one delivery each.
    for (const e of [ownerEvent({}), ownerEvent({ spentMicros: 9_000_000 })])
      await publish('metering.events.quota_threshold', e);
    for (const e of [keyEvent({}), keyEvent({ spentMicros: 4_500_000 })])
      await publish('metering.events.quota_threshold', e);
    await until(ep.got, (l) => l.length >= 2);
    await sleep(500);
    const bodies = ep.got().map((r) => JSON.parse(r.body).data);
    expect(bodies).toHaveLength(2);
    expect(bodies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: null, period: 'lifetime', percent: 80, limit: 10 }),
        expect.objectContaining({ key: { id: key.id, name: key.view.name }, period: month, limit: 5 }),
      ]),
    );

    // The limit changes: an event for the old one is stale; one for the new limit is announced (re-armed).
    const raised = await ks.call('PATCH', `/v1/accounts/${t.id}`, ks.admin, { creditLimit: 20 });
    expect(raised.status).toBe(200);
    await publish('metering.events.quota_threshold', ownerEvent({ spentMicros: 9_500_000 }));
    await publish(
      'metering.events.quota_threshold',
      ownerEvent({ limitMicros: 20_000_000, spentMicros: 16_000_000 }),
    );
    await until(ep.got, (l) => l.length >= 3);
    await sleep(300);
    expect(ep.got()).toHaveLength(3);
    expect(JSON.parse(ep.got()[2].body).data).toMatchObject({ key: null, limit: 20, used: 16 });
    expect(await deliveries(hook.id, t.key)).toHaveLength(3);
  });

  it('sends key.created when a key is created (keys.service enqueues it)', async () => {
    const t = await tenant();
    const ep = endpoint();
    await createHook(t.key, ep.url, ['key.created']);
    const key = await ks.newKey(t.owner);
    const [r] = await until(ep.got, (l) => l.length >= 1);
    const body = JSON.parse(r.body);
    expect(body.type).toBe('key.created');
    expect(JSON.stringify(body.data)).toContain(key.id);
    expect(r.body).not.toContain(key.secret);
  });

  it('sends key.expiring once per expiry, re-armed when expiresAt changes', async () => {
    const t = await tenant();
    const acct = t.id;
    const ep = endpoint();
    const hook = await createHook(ks.admin, ep.url, ['key.expiring'], { owner: owner(acct) });
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const key = await ks.newKey(owner(acct), { expiresAt });
    const listener = ks.app.get(WebhookEventsListener);
    await listener.scanExpiring();
    const [r] = await until(ep.got, (l) => l.length === 1);
    expect(JSON.parse(r.body)).toMatchObject({
      type: 'key.expiring',
      data: { key: { id: key.id, name: key.view.name, owner: owner(acct), expiresAt } },
    });
    await listener.scanExpiring();
    await sleep(300);
    expect(ep.got()).toHaveLength(1);

    const later = new Date(Date.now() + 7_200_000).toISOString();
    expect((await ks.call('PATCH', `/v1/keys/${key.id}`, ks.admin, { expiresAt: later })).status).toBe(200);
    await listener.scanExpiring();
    const both = await until(ep.got, (l) => l.length === 2);
    expect(JSON.parse(both[1].body).data.key.expiresAt).toBe(later);
    expect((await deliveries(hook.id, ks.admin)).map((d) => d.eventType)).toEqual([
      'key.expiring',
      'key.expiring',
    ]);
  });

  it('retries with backoff: failing twice, then 200, is delivered at the third attempt', async () => {
    const t = await tenant();
    const ep = endpoint((n) =>
      n <= 2 ? { status: n === 1 ? 503 : 500, body: 'x'.repeat(5000) } : { status: 200 },
    );
    const hook = await createHook(t.key, ep.url, ['quota.exhausted']);
    const key = await ks.newKey(t.owner);
    await publish('keys.events.quota_exhausted', {
      keyId: key.id,
      owner: t.owner,
      period: 'lifetime',
      at: new Date().toISOString(),
    });
    const [d] = await until(
      () => deliveries(hook.id, t.key),
      (l) => l[0]?.status === 'delivered',
    );
    expect(d).toMatchObject({ status: 'delivered', attempts: 3, lastStatus: 200, lastError: null });
    expect(d.lastLatencyMs).toEqual(expect.any(Number));
    const got = ep.got();
    expect(got).toHaveLength(3);
    // One message id across attempts; each attempt signed afresh; spaced by the schedule.
    expect(new Set(got.map((r) => r.headers['webhook-id']))).toEqual(new Set([d.id]));
    for (const r of got) expect(r.headers['webhook-signature']).toBe(expectedSignature(hook.secret, r));
    expect(got[1].at - got[0].at).toBeGreaterThanOrEqual(LOCAL.retryScheduleMs[0] - 50);
    expect(got[2].at - got[1].at).toBeGreaterThanOrEqual(LOCAL.retryScheduleMs[1] - 50);
  });

  it('records a failing attempt (status and a bounded excerpt) and fails after the schedule', async () => {
    const t = await tenant();
    const ep = endpoint(() => ({ status: 500, body: 'boom '.repeat(1000) }));
    const hook = await createHook(t.key, ep.url, ['quota.exhausted']);
    const key = await ks.newKey(t.owner);
    await publish('keys.events.quota_exhausted', {
      keyId: key.id,
      owner: t.owner,
      period: 'lifetime',
      at: new Date().toISOString(),
    });
    const [first] = await until(
      () => deliveries(hook.id, t.key),
      (l) => l[0]?.attempts >= 1,
    );
    expect(first).toMatchObject({ status: 'pending', lastStatus: 500, nextAttemptAt: expect.any(String) });
    expect(first.lastError.startsWith('HTTP 500: boom')).toBe(true);
    expect(first.lastError.length).toBeLessThanOrEqual('HTTP 500: '.length + 200);
    const [last] = await until(
      () => deliveries(hook.id, t.key),
      (l) => l[0]?.status === 'failed',
      20_000,
    );
    expect(last).toMatchObject({
      attempts: LOCAL.retryScheduleMs.length + 1,
      deliveredAt: null,
      nextAttemptAt: null,
    });
    expect(ep.got()).toHaveLength(LOCAL.retryScheduleMs.length + 1);
  }, 30_000);

  it('keeps retrying across a restart of key-service, and delivers', async () => {
    const t = await tenant();
    let up = false;
    const ep = endpoint(() => (up ? { status: 204 } : { status: 503 }));
    const hook = await createHook(t.key, ep.url, ['quota.exhausted']);
    const key = await ks.newKey(t.owner);
    await publish('keys.events.quota_exhausted', {
      keyId: key.id,
      owner: t.owner,
      period: 'lifetime',
      at: new Date().toISOString(),
    });
    const [before] = await until(
      () => deliveries(hook.id, t.key),
      (l) => l[0]?.attempts >= 1,
    );
    expect(before.status).toBe('pending');
    earlierLogs += ks.logs();
    await ks.close();
    const attemptsBeforeRestart = ep.got().length;
    up = true;
    ks = await startKeyService({ overrides: { webhooks: LOCAL } });
    const [after] = await until(
      () => deliveries(hook.id, t.key),
      (l) => l[0]?.status === 'delivered',
    );
    expect(after.id).toBe(before.id);
    expect(after.attempts).toBe(attemptsBeforeRestart + 1);
    expect(ep.got()).toHaveLength(attemptsBeforeRestart + 1);
    expect(new Set(ep.got().map((r) => r.headers['webhook-id']))).toEqual(new Set([before.id]));
    console.log(`webhook retries across a restart: ${attemptsBeforeRestart} failed before, delivered after`);
  }, 30_000);

  it('sends nothing to a disabled webhook, and deleting one deletes its deliveries', async () => {
    const t = await tenant();
    const ep = endpoint();
    const hook = await createHook(t.key, ep.url, ['quota.exhausted']);
    const key = await ks.newKey(t.owner);
    await ks.call('PATCH', `/v1/webhooks/${hook.id}`, t.key, { enabled: false });
    await publish('keys.events.quota_exhausted', {
      keyId: key.id,
      owner: t.owner,
      period: '2026-01',
      at: new Date().toISOString(),
    });
    await sleep(400);
    expect(ep.got()).toHaveLength(0);
    await ks.call('PATCH', `/v1/webhooks/${hook.id}`, t.key, { enabled: true });
    await publish('keys.events.quota_exhausted', {
      keyId: key.id,
      owner: t.owner,
      period: '2026-02',
      at: new Date().toISOString(),
    });
    await until(ep.got, (l) => l.length === 1);
    expect(await deliveries(hook.id, t.key)).toHaveLength(1);
    expect((await ks.call('DELETE', `/v1/webhooks/${hook.id}`, t.key)).status).toBe(204);
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM keys.webhook_deliveries WHERE webhook_id = $1`,
      [hook.id],
    );
    expect(rows[0].n).toBe(0);
  });

  it('a receiver that hangs holds one sender slot, not all: other webhooks are delivered meanwhile', async () => {
    const slow = await tenant();
    let hang = true;
    const stuck = endpoint(() => (hang ? 'hang' : { status: 200 }));
    const stuckHook = await createHook(slow.key, stuck.url, ['key.created']);
    try {
      // Far more due deliveries than the sender has slots (16 per replica), all due now.
      await db.query(
        `INSERT INTO keys.webhook_deliveries (webhook_id, event_type, payload, status, attempts, next_attempt_at)
         SELECT $1, 'key.created', jsonb_build_object('type', 'key.created', 'n', n), 'pending', 0, now()
           FROM generate_series(1, 40) AS n`,
        [stuckHook.id],
      );
      await db.query(`SELECT pg_notify('keys_webhook_deliveries', '')`);
      await until(stuck.got, (l) => l.length >= 1);

      const t = await tenant();
      const ep = endpoint();
      await createHook(t.key, ep.url, ['key.created']);
      const started = Date.now();
      for (let i = 0; i < 3; i++) await ks.newKey(t.owner);
      // Well within one attempt's timeout of the stuck receiver.
      const got = await until(ep.got, (l) => l.length === 3, 4_000);
      expect(got[2].at - started).toBeLessThan(Math.min(3_000, LOCAL.timeoutMs));
      // One attempt of the stuck webhook at a time, however many of its deliveries are due.
      expect(stuck.got()).toHaveLength(1);
      const { rows } = await db.query(
        `SELECT count(*)::int AS n FROM keys.webhook_deliveries
          WHERE webhook_id = $1 AND lease_until > now()`,
        [stuckHook.id],
      );
      expect(rows[0].n).toBe(1);
    } finally {
      hang = false;
      await ks.call('DELETE', `/v1/webhooks/${stuckHook.id}`, slow.key);
      releaseHung();
    }
  });

  it('never logs a signing secret or its sealed form', async () => {
    const { rows } = await db.query(
      `SELECT secret_ciphertext FROM keys.webhooks WHERE owner_id = ANY($1::uuid[])`,
      [accounts],
    );
    const logs = earlierLogs + ks.logs();
    expect(logs).not.toContain('whsec_');
    for (const r of rows) expect(logs).not.toContain(r.secret_ciphertext.slice(3, 40));
  });
});
