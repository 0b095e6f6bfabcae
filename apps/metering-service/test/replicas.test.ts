// metering-service as real processes: killed in the middle of its work and restarted, and two replicas
// sharing one durable consumer. Either way every request counts exactly once, in Postgres and in Redis.
import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { ownerTag, SPEND_KEYS } from '@gw/contracts';
import { connectAs, pollUntil, type RunningService, startService, tcpProxy } from '@gw/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { deadLettersSince, event, keyTotals, metric, miniCost, privatePipeline, publish } from './events.js';

let keyService: RunningService;
let db: pg.Client;
let nc: NatsConnection;
let redis: Redis;

beforeAll(async () => {
  keyService = await startService('key-service');
  db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  nc = await connectAs('gateway'); // publishes usage as gateways do
  redis = new Redis(process.env.REDIS_URL!);
}, 30_000);
afterAll(async () => {
  redis.disconnect();
  await nc.close();
  await db.end();
  await keyService.stop();
});

const recordedOf = async (keyId: string) =>
  Number(
    (await db.query('SELECT count(*) AS n FROM metering.usage_records WHERE key_id = $1', [keyId])).rows[0].n,
  );
const recordedMetric = (svc: RunningService) =>
  metric(svc, 'metering_usage_events_total{outcome="recorded"}');

async function expectExact(keyId: string, ownerId: string, events: ReturnType<typeof event>[]) {
  const lifetime = (await keyTotals(db, keyId)).find((r) => r.period === 'lifetime');
  expect(lifetime).toMatchObject({ requests: events.length, cost: miniCost(events), unpriced: 0 });
  // Redis (what the gateway's quota check reads) agrees with Postgres once the replica settled.
  const tag = ownerTag('account', ownerId);
  const { value } = await pollUntil(
    () => redis.get(SPEND_KEYS.key(tag, keyId, 'lifetime')),
    (v) => Number(v) === miniCost(events),
    10_000,
    50,
  );
  expect(Number(value)).toBe(miniCost(events));
}

it('killed in the middle of its work and restarted: totals exact, nothing lost or doubled', async () => {
  const pipeline = privatePipeline();
  const env = { METERING_BATCH_SIZE: '50', METERING_ACK_WAIT_MS: '2000', ...pipeline.env };
  const keyId = randomUUID();
  const ownerId = randomUUID();
  const events = Array.from({ length: 10_000 }, (_, i) => event(keyId, ownerId, i % 50));
  // A backlog first, so the replica is surely in the middle of it when killed.
  await publish(nc, events, pipeline.subject);
  let metering: RunningService | undefined = await startService('metering-service', env);
  try {
    await pollUntil(
      () => recordedOf(keyId),
      (n) => n >= 200,
      20_000,
      5,
    );
    await metering.stop('SIGKILL');
    metering = undefined;
    const atKill = await recordedOf(keyId);
    // Killed with work left: some batches committed, some fetched and not acked, the rest not fetched.
    expect(atKill).toBeLessThan(events.length);
    metering = await startService('metering-service', env);
    await pollUntil(
      () => recordedOf(keyId),
      (n) => n >= events.length,
      60_000,
      50,
    );
    await new Promise((r) => setTimeout(r, 2500)); // past ack_wait: any redelivery has arrived
    expect(await recordedOf(keyId)).toBe(events.length);
    await expectExact(keyId, ownerId, events);
  } finally {
    await metering?.stop();
    await pipeline.remove();
  }
}, 120_000);

it('two replicas share the work with no double count', async () => {
  const pipeline = privatePipeline();
  const env = { METERING_BATCH_SIZE: '20', ...pipeline.env };
  const [a, b] = await Promise.all([
    startService('metering-service', env),
    startService('metering-service', env),
  ]);
  try {
    const [beforeA, beforeB] = await Promise.all([recordedMetric(a), recordedMetric(b)]);
    const keyId = randomUUID();
    const ownerId = randomUUID();
    const events = Array.from({ length: 3000 }, (_, i) => event(keyId, ownerId, i % 50));
    await publish(nc, events, pipeline.subject);
    await pollUntil(
      () => recordedOf(keyId),
      (n) => n >= events.length,
      60_000,
      50,
    );
    await expectExact(keyId, ownerId, events);
    const [doneA, doneB] = await Promise.all([recordedMetric(a), recordedMetric(b)]);
    // Both took part, and between them recorded each event once.
    expect(doneA - beforeA).toBeGreaterThan(0);
    expect(doneB - beforeB).toBeGreaterThan(0);
    expect(doneA - beforeA + (doneB - beforeB)).toBe(events.length);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await pipeline.remove();
  }
}, 120_000);

it('one replica writes METERING_WRITERS batches at once, and its writers share totals rows exactly', async () => {
  const pipeline = privatePipeline();
  // Its own application name: its connections are told apart from other suites' replicas in pg_stat_activity.
  const appName = `metering-${pipeline.subject.slice('usage.'.length)}`;
  const env = { METERING_BATCH_SIZE: '20', METERING_WRITERS: '2', PGAPPNAME: appName, ...pipeline.env };
  const keyId = randomUUID();
  const ownerId = randomUUID();
  const events = Array.from({ length: 101 }, (_, i) => event(keyId, ownerId, i % 50));
  const metering = await startService('metering-service', env);
  const lock = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await lock.connect();
  try {
    await publish(nc, events.slice(0, 1), pipeline.subject);
    await pollUntil(
      () => recordedOf(keyId),
      (n) => n === 1,
      10_000,
      20,
    );
    // Every batch ends on this key's and owner's totals rows: while they are locked, each writer's transaction
    // waits (on the rows, or queued behind the other writer or a spend-counter rebuild), so this replica's
    // waiting writes count its writes in flight (its own rebuild, if one ran, is not a write).
    await lock.query('BEGIN');
    await lock.query(`SELECT 1 FROM metering.usage_totals WHERE scope_id = ANY ($1::uuid[]) FOR UPDATE`, [
      [keyId, ownerId],
    ]);
    await publish(nc, events.slice(1), pipeline.subject);
    const waiting = () =>
      db
        .query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE application_name = $1 AND wait_event_type = 'Lock'
             AND (query LIKE 'INSERT INTO metering.usage_totals%' OR query LIKE '%pg_advisory_lock_shared%')`,
          [appName],
        )
        .then((r) => r.rows[0].n as number);
    const { value } = await pollUntil(waiting, (n) => n >= 2, 10_000, 20);
    expect(value).toBe(2);
    await lock.query('COMMIT');
    await pollUntil(
      () => recordedOf(keyId),
      (n) => n >= events.length,
      20_000,
      50,
    );
    expect(await recordedOf(keyId)).toBe(events.length);
    await expectExact(keyId, ownerId, events);
  } finally {
    await lock.query('ROLLBACK').catch(() => undefined);
    await lock.end();
    await metering.stop();
    await pipeline.remove();
  }
}, 60_000);

it('Postgres unreachable for 30 s while usage flows: afterwards every event counted once, none dead-lettered', async () => {
  // Postgres goes away for this replica only (a relay in front of the stack's server is cut), so the other
  // test files keep their database.
  const dbUrl = new URL(process.env.DATABASE_URL!);
  const relay = await tcpProxy({ host: dbUrl.hostname, port: Number(dbUrl.port) });
  dbUrl.port = String(relay.port);
  const pipeline = privatePipeline();
  // A worker only: while its database is cut it must not take other suites' usage queries.
  const env = {
    DATABASE_URL: dbUrl.toString(),
    METERING_BATCH_SIZE: '20',
    METERING_QUERIES: 'false',
    ...pipeline.env,
  };
  const keyId = randomUUID();
  const ownerId = randomUUID();
  const events = Array.from({ length: 50 }, (_, i) => event(keyId, ownerId, i));
  const metering = await startService('metering-service', env);
  const since = new Date();
  try {
    await publish(nc, events.slice(0, 5), pipeline.subject);
    await pollUntil(
      () => recordedOf(keyId),
      (n) => n === 5,
      10_000,
      20,
    );
    await relay.cut();
    const outageEnds = Date.now() + 30_000;
    // 45 events spread over the outage, as requests would keep arriving.
    for (let i = 5; i < events.length; i++) {
      await publish(nc, [events[i]], pipeline.subject);
      await new Promise((r) => setTimeout(r, 600));
    }
    await new Promise((r) => setTimeout(r, Math.max(0, outageEnds - Date.now())));
    expect(await recordedOf(keyId)).toBe(5);
    expect(await metric(metering, 'metering_write_retries_total')).toBeGreaterThan(0);
    await relay.restore();
    await pollUntil(
      () => recordedOf(keyId),
      (n) => n >= events.length,
      30_000,
      50,
    );
    expect(await recordedOf(keyId)).toBe(events.length);
    await expectExact(keyId, ownerId, events);
    expect(await metric(metering, 'metering_usage_events_total{outcome="dead_letter"}')).toBe(0);
    const dead = await deadLettersSince(since);
    expect(dead.filter((d) => d.body?.keyId === keyId)).toEqual([]);
  } finally {
    await metering.stop();
    await relay.close();
    await pipeline.remove();
  }
}, 120_000);
