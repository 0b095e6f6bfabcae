// The usage consumer on the real USAGE stream and Postgres: exact totals and costs, each request counted
// once whatever the duplicates, unpriced events flagged, invalid events dead-lettered.
import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { collect, connectAs, pollUntil, type RunningService, startService } from '@gw/testing';
import type { NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import { bootstrap } from '../src/bootstrap.js';
import { UsagePricer } from '../src/usage/usage-pricer.js';
import { deadLettersSince, event, miniCost, privatePipeline, publish } from './events.js';

let metering: Awaited<ReturnType<typeof bootstrap>>;
let db: pg.Client;
/** As a gateway: the only identity that may publish usage. */
let gw: NatsConnection;
let keyService: RunningService;

beforeAll(async () => {
  // Prices come from key-service.
  keyService = await startService('key-service');
  metering = await bootstrap({ overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent' } });
  db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  gw = await connectAs('gateway');
});
afterAll(async () => {
  await gw.close();
  await db.end();
  await metering.app.close();
  await keyService.stop();
});

const totals = async (scope: string, id: string) =>
  (
    await db.query(
      `SELECT period, requests::int, prompt_tokens::int AS prompt, completion_tokens::int AS completion,
              cost_micros::int AS cost
       FROM metering.usage_totals WHERE scope = $1 AND scope_id = $2 ORDER BY period`,
      [scope, id],
    )
  ).rows;

it('records each request once and keeps exact totals per key and owner, lifetime and month', async () => {
  const keyId = randomUUID();
  const ownerId = randomUUID();
  const js = jetstream(gw);
  const events = Array.from({ length: 40 }, (_, i) => event(keyId, ownerId, i));
  for (const e of events) await js.publish('usage.events', JSON.stringify(e), { msgID: e.requestId });
  // Duplicates: the same message id again (JetStream drops it) and under new ids (the database drops it).
  for (const e of events.slice(0, 5))
    await js.publish('usage.events', JSON.stringify(e), { msgID: e.requestId });
  for (const e of events.slice(0, 7))
    await js.publish('usage.events', JSON.stringify(e), { msgID: `other-${e.requestId}` });

  const prompt = events.reduce((s, e) => s + e.promptTokens, 0);
  const completion = events.reduce((s, e) => s + e.completionTokens, 0);
  const cost = miniCost(events);
  expect(cost).toBeGreaterThan(0);
  const month = events[0].at.slice(0, 7);
  const expected = [
    { period: month, requests: 40, prompt, completion, cost },
    { period: 'lifetime', requests: 40, prompt, completion, cost },
  ].sort((a, b) => (a.period < b.period ? -1 : 1));
  await pollUntil(
    () => totals('key', keyId),
    (rows) => rows[0]?.requests >= 40,
    10_000,
    50,
  );
  // Give the duplicates time to arrive, then check nothing moved.
  await new Promise((r) => setTimeout(r, 500));
  expect(await totals('key', keyId)).toEqual(expected);
  expect(await totals('account', ownerId)).toEqual(expected);
  const rows = await db.query('SELECT count(*)::int AS n FROM metering.usage_records WHERE key_id = $1', [
    keyId,
  ]);
  expect(rows.rows[0].n).toBe(40);
});

it("announces a key's and an owner's limit passing 80 % once each, on metering.events.quota_threshold", async () => {
  // A replica and pipeline of its own: whichever replica records the crossing batch announces it.
  const pipeline = privatePipeline();
  const own = await bootstrap({
    env: { ...process.env, ...pipeline.env },
    overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent' },
  });
  const thresholds = await collect('metering.events.quota_threshold', 'key-service');
  try {
    const keyId = randomUUID();
    const ownerId = randomUUID();
    // Limits at the spend of all ten events: the mark is passed partway, by whichever batch carries it.
    const plain = Array.from({ length: 10 }, (_, i) => event(keyId, ownerId, i));
    const limit = miniCost(plain);
    const limits = { key: { micros: limit, period: 'total' as const }, ownerMicros: limit };
    await publish(
      gw,
      plain.map((e) => ({ ...e, limits })),
      pipeline.subject,
    );
    await pollUntil(
      () => totals('key', keyId),
      (rows) => rows[0]?.requests >= 10,
      10_000,
      50,
    );
    await new Promise((r) => setTimeout(r, 300));
    const mine = thresholds.seen.filter((m) => m.data.owner.id === ownerId).map((m) => m.data);
    expect(mine).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ keyId, period: 'lifetime', percent: 80, limitMicros: limit }),
        expect.objectContaining({ owner: { type: 'account', id: ownerId }, period: 'lifetime', percent: 80 }),
      ]),
    );
    expect(mine).toHaveLength(2);
    for (const m of mine) expect(m.spentMicros).toBeGreaterThanOrEqual(Math.ceil(limit * 0.8));
  } finally {
    await thresholds.close();
    await own.app.close();
    await pipeline.remove();
  }
});

it('keeps an invalid event in USAGE_DEADLETTER with the reason, and keeps going', async () => {
  const js = jetstream(gw);
  const since = new Date();
  const requestId = `broken-${randomUUID()}`;
  await js.publish('usage.events', JSON.stringify({ requestId, promptTokens: -1 }), {
    msgID: `bad-${randomUUID()}`,
  });
  const { value: dead } = await pollUntil(
    () => deadLettersSince(since),
    (all) => all.some((d) => d.body.requestId === requestId),
    10_000,
    50,
  );
  const mine = dead.find((d) => d.body.requestId === requestId)!;
  expect(mine.reason).toMatch(/^invalid event: /);
  expect(mine.source).toMatch(/^USAGE\/\d+$/);
  const good = event(randomUUID(), randomUUID(), 1);
  await js.publish('usage.events', JSON.stringify(good), { msgID: good.requestId });
  await pollUntil(
    () => totals('key', good.keyId),
    (rows) => rows.length === 2,
    10_000,
    50,
  );
});

it('lets a dead-lettered message go from USAGE: it is not delivered again', async () => {
  const pipeline = privatePipeline();
  const own = await bootstrap({
    env: { ...process.env, ...pipeline.env, METERING_ACK_WAIT_MS: '500' },
    overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent' },
  });
  const nc = await connectAs('metering');
  try {
    const since = new Date();
    const requestId = `broken-${randomUUID()}`;
    await jetstream(gw).publish(pipeline.subject, JSON.stringify({ requestId }), { msgID: requestId });
    await pollUntil(
      () => deadLettersSince(since),
      (all) => all.some((d) => d.body.requestId === requestId),
      10_000,
      50,
    );
    // Well past ack_wait: a message terminated for good has nothing pending and was never redelivered.
    await new Promise((r) => setTimeout(r, 2000));
    const info = await (await jetstreamManager(nc)).consumers.info('USAGE', pipeline.env.METERING_CONSUMER);
    expect([info.num_ack_pending, info.num_redelivered]).toEqual([0, 0]);
  } finally {
    await nc.close();
    await own.app.close();
    await pipeline.remove();
  }
});

it('counts by the calendar month of each request, in UTC', async () => {
  const keyId = randomUUID();
  const ownerId = randomUUID();
  const late = event(keyId, ownerId, 1, new Date('2026-10-31T23:59:59.999Z'));
  // Another offset: 20:00 on 31 October in New York is already November in UTC.
  const early = { ...event(keyId, ownerId, 2), at: '2026-10-31T20:00:00.000-04:00' };
  const js = jetstream(gw);
  for (const e of [late, early]) await js.publish('usage.events', JSON.stringify(e), { msgID: e.requestId });
  const { value } = await pollUntil(
    () => totals('key', keyId),
    (rows) => rows.length === 3,
    10_000,
    50,
  );
  expect(value.map((r) => [r.period, r.requests, r.cost])).toEqual([
    ['2026-10', 1, miniCost([late])],
    ['2026-11', 1, miniCost([early])],
    ['lifetime', 2, miniCost([late, early])],
  ]);
});

it('flags and counts an event for a model without a price, with cost 0, never dropping it', async () => {
  const pricer = metering.app.get(UsagePricer);
  await pricer.ready();
  const metric = async () => {
    const text = await (await fetch(`${metering.adminUrl}/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith('metering_unpriced_events_total{model="nobody-priced-me"}'));
    return line ? Number(line.split(' ').pop()) : 0;
  };
  const before = await metric();
  const e = event(randomUUID(), randomUUID(), 1, new Date(), 'nobody-priced-me');
  expect(pricer.price(e)).toMatchObject({ costMicros: 0, unpriced: true, promptTokens: e.promptTokens });
  expect(await metric()).toBe(before + 1);
  expect(pricer.price(event(e.keyId, e.owner.id, 1))).toMatchObject({
    costMicros: miniCost([event(e.keyId, e.owner.id, 1)]),
    unpriced: false,
  });
  // Through the stream: recorded, flagged.
  await jetstream(gw).publish('usage.events', JSON.stringify(e), { msgID: e.requestId });
  const { value } = await pollUntil(
    () =>
      db.query(
        'SELECT cost_micros::int AS cost, unpriced FROM metering.usage_records WHERE request_id = $1',
        [e.requestId],
      ),
    (r) => r.rows.length === 1,
    10_000,
    50,
  );
  expect(value.rows[0]).toEqual({ cost: 0, unpriced: true });
});

it('reports its readiness with Postgres and NATS', async () => {
  const ready: any = await (await fetch(`${metering.adminUrl}/readyz`)).json();
  expect(ready).toEqual({ ready: true, checks: { postgres: 'up', nats: 'up', redis: 'up' } });
});

describe('a gateway’s burst: several events in one message', () => {
  it('records every event of it once, and lets an invalid one go alone to the dead letters', async () => {
    const js = jetstream(gw);
    const since = new Date();
    const keyId = randomUUID();
    const events = Array.from({ length: 6 }, (_, i) => event(keyId, randomUUID(), i));
    const brokenId = `broken-${randomUUID()}`;
    await js.publish(
      'usage.events',
      JSON.stringify([...events.slice(0, 3), { requestId: brokenId }, ...events.slice(3)]),
    );
    // The same burst again (a replay): nothing counted twice.
    await js.publish('usage.events', JSON.stringify(events));
    await pollUntil(
      () => totals('key', keyId),
      (rows) => rows.length === 2 && rows.every((r) => r.requests === 6),
      10_000,
      50,
    );
    expect((await totals('key', keyId))[0]).toMatchObject({ requests: 6, cost: miniCost(events) });
    const { value: dead } = await pollUntil(
      () => deadLettersSince(since),
      (all) => all.some((d) => d.body.requestId === brokenId),
      10_000,
      50,
    );
    const mine = dead.find((d) => d.body.requestId === brokenId)!;
    expect(mine.body).toEqual({ requestId: brokenId });
    expect(mine.source).toMatch(/^USAGE\/\d+#3$/);
    await new Promise((r) => setTimeout(r, 300));
    expect((await totals('key', keyId))[0].requests).toBe(6);
  });

  it('dead-letters alone an event whose text Postgres would not store as sent (a NUL, a lone surrogate)', async () => {
    const js = jetstream(gw);
    const since = new Date();
    const keyId = randomUUID();
    const events = Array.from({ length: 4 }, (_, i) => event(keyId, randomUUID(), i));
    const withNul = { ...event(keyId, randomUUID(), 9), model: 'gpt-4o-mini\u0000' };
    const withSurrogate = { ...event(keyId, randomUUID(), 9), requestId: `req-\ud800-${randomUUID()}` };
    await js.publish(
      'usage.events',
      JSON.stringify([events[0], withNul, events[1], withSurrogate, ...events.slice(2)]),
    );
    await pollUntil(
      () => totals('key', keyId),
      (rows) => rows.length === 2 && rows.every((r) => r.requests === 4),
      10_000,
      50,
    );
    const { value: dead } = await pollUntil(
      () => deadLettersSince(since),
      (all) =>
        all.some((d) => d.body.requestId === withNul.requestId) &&
        all.some((d) => d.body.requestId === withSurrogate.requestId),
      10_000,
      50,
    );
    for (const bad of [withNul, withSurrogate])
      expect(dead.find((d) => d.body.requestId === bad.requestId)!.reason).toMatch(
        /^invalid event: [\s\S]*NUL or a lone surrogate/,
      );
    expect((await totals('key', keyId))[0]).toMatchObject({ requests: 4, cost: miniCost(events) });
  });

  it('dead-letters a message that is an empty or oversized batch, whole', async () => {
    const js = jetstream(gw);
    const since = new Date();
    const marker = `marker-${randomUUID()}`;
    await js.publish('usage.events', JSON.stringify([]));
    await js.publish('usage.events', JSON.stringify(Array.from({ length: 513 }, () => ({ marker }))));
    const { value: dead } = await pollUntil(
      () => deadLettersSince(since),
      (all) => all.filter((d) => Array.isArray(d.body)).length >= 2,
      10_000,
      50,
    );
    const reasons = dead.filter((d) => Array.isArray(d.body)).map((d) => d.reason);
    expect(reasons).toEqual(
      expect.arrayContaining([
        'invalid message: an empty batch',
        'invalid message: a batch of more than 512 events',
      ]),
    );
  });
});

it('gathers events arriving one by one into shared transactions (linger), none lost', async () => {
  const keyId = randomUUID();
  const ownerId = randomUUID();
  const js = jetstream(gw);
  const events = Array.from({ length: 30 }, (_, i) => event(keyId, ownerId, i));
  for (const e of events) {
    await js.publish('usage.events', JSON.stringify(e), { msgID: e.requestId });
    await new Promise((r) => setTimeout(r, 5));
  }
  await pollUntil(
    () => totals('key', keyId),
    (rows) => rows.length === 2 && rows[0].requests === 30,
    10_000,
    50,
  );
  // recorded_at is the transaction's start: 30 events 5 ms apart share a handful of them (the linger).
  const { rows } = await db.query(
    'SELECT count(DISTINCT recorded_at)::int AS n FROM metering.usage_records WHERE key_id = $1',
    [keyId],
  );
  expect(rows[0].n).toBeLessThanOrEqual(10);
});

it('keeps draining when large bursts follow many small messages (the pull never stalls on a size)', async () => {
  // A pull bounded in bytes was topped up by what the small messages had used, so a larger burst did not fit
  // any open pull: it stalled until two heartbeats were missed (30 s), again and again.
  const keyId = randomUUID();
  const ownerId = randomUUID();
  const js = jetstream(gw);
  const small = Array.from({ length: 150 }, (_, i) => event(keyId, ownerId, i));
  await Promise.all(small.map((e) => js.publish('usage.events', JSON.stringify(e), { msgID: e.requestId })));
  const bursts = Array.from({ length: 5 }, (_, b) =>
    Array.from({ length: 200 }, (_, i) => event(keyId, ownerId, 1000 + b * 200 + i)),
  );
  for (const burst of bursts) await js.publish('usage.events', JSON.stringify(burst));
  await pollUntil(
    () => totals('key', keyId),
    (rows) => rows.length === 2 && rows[0].requests === 1150,
    10_000,
    100,
  );
});
