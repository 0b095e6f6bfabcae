// The usage consumer on the real USAGE stream and Postgres: exact totals, each request counted once
// whatever the duplicates, invalid events dead-lettered.
import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import type { UsageEvent } from '@gw/contracts';
import { collect, pollUntil } from '@gw/testing';
import pg from 'pg';
import { bootstrap } from '../src/bootstrap.js';

let metering: Awaited<ReturnType<typeof bootstrap>>;
let db: pg.Client;
let bus: Awaited<ReturnType<typeof collect>>;

beforeAll(async () => {
  metering = await bootstrap({ overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent' } });
  db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  bus = await collect('metering.deadletter');
});
afterAll(async () => {
  await bus.close();
  await db.end();
  await metering.app.close();
});

function event(keyId: string, ownerId: string, i: number, at = new Date()): UsageEvent {
  return {
    requestId: `req-${randomUUID()}`,
    keyId,
    owner: { type: 'account', id: ownerId },
    group: 'default',
    model: 'gpt-4o-mini',
    endpoint: 'chat.completions',
    upstream: 'demo',
    promptTokens: 10 + i,
    completionTokens: 100 + 2 * i,
    status: 200,
    stream: i % 2 === 0,
    estimated: false,
    latencyMs: 5,
    at: at.toISOString(),
  };
}

const totals = async (scope: string, id: string) =>
  (
    await db.query(
      `SELECT period, requests::int, prompt_tokens::int AS prompt, completion_tokens::int AS completion
       FROM metering.usage_totals WHERE scope = $1 AND scope_id = $2 ORDER BY period`,
      [scope, id],
    )
  ).rows;

it('records each request once and keeps exact totals per key and owner, lifetime and month', async () => {
  const keyId = randomUUID();
  const ownerId = randomUUID();
  const js = jetstream(bus.nc);
  const events = Array.from({ length: 40 }, (_, i) => event(keyId, ownerId, i));
  for (const e of events) await js.publish('usage.events', JSON.stringify(e), { msgID: e.requestId });
  // Duplicates: the same message id again (JetStream drops it) and under new ids (the database drops it).
  for (const e of events.slice(0, 5))
    await js.publish('usage.events', JSON.stringify(e), { msgID: e.requestId });
  for (const e of events.slice(0, 7))
    await js.publish('usage.events', JSON.stringify(e), { msgID: `other-${e.requestId}` });

  const prompt = events.reduce((s, e) => s + e.promptTokens, 0);
  const completion = events.reduce((s, e) => s + e.completionTokens, 0);
  const month = events[0].at.slice(0, 7);
  const expected = [
    { period: month, requests: 40, prompt, completion },
    { period: 'lifetime', requests: 40, prompt, completion },
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

it('sends an invalid event to the dead-letter subject and keeps going', async () => {
  const js = jetstream(bus.nc);
  await js.publish('usage.events', JSON.stringify({ requestId: 'broken', promptTokens: -1 }), {
    msgID: `bad-${randomUUID()}`,
  });
  const dead = await bus.waitFor(() => true, 10_000);
  expect(dead.subject).toBe('metering.deadletter');
  const good = event(randomUUID(), randomUUID(), 1);
  await js.publish('usage.events', JSON.stringify(good), { msgID: good.requestId });
  await pollUntil(
    () => totals('key', good.keyId),
    (rows) => rows.length === 2,
    10_000,
    50,
  );
});

it('reports its readiness with Postgres and NATS', async () => {
  const ready: any = await (await fetch(`${metering.url}/readyz`)).json();
  expect(ready).toEqual({ ready: true, checks: { postgres: 'up', nats: 'up' } });
});
