// metering-service's consumer: how fast one replica drains a backlog (events/s, priced and written with
// its totals and Redis counters), and the lag from publish to commit when it keeps up. It runs on a pipeline
// of its own (consumer + subject), so the gateway runs' events do not mix in.
import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
// The gateway's own usage ids (time-ordered), so the drain writes the index as production does.
import { usageId } from '../apps/gateway-service/dist/usage/usage-id.js';

const BACKLOG = Number(process.env.BENCH_METERING_EVENTS ?? 50_000);
const BURST = Number(process.env.BENCH_METERING_BURST ?? 100);

function event(keyId, ownerId, i) {
  return {
    requestId: usageId(),
    keyId,
    owner: { type: 'account', id: ownerId },
    group: 'default',
    model: 'gpt-4o-mini',
    endpoint: 'chat.completions',
    upstream: 'demo',
    promptTokens: 10 + (i % 100),
    completionTokens: 64,
    status: 200,
    stream: false,
    estimated: false,
    latencyMs: 1,
    at: new Date().toISOString(),
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** `startMetering(env)` starts a metering-service process and resolves when it is healthy. */
export async function benchMetering(startMetering) {
  const name = `bench-${randomUUID().slice(0, 8)}`;
  const subject = `usage.${name}`;
  // Publishes as a gateway would; the private consumer is metering's to remove (NATS identities, .stack/env).
  const as = (name, envName) => ({
    servers: process.env.NATS_URL,
    user: process.env[`NATS_${envName}_USER`],
    pass: process.env[`NATS_${envName}_PASSWORD`],
    inboxPrefix: `_INBOX.${name}`,
  });
  const nc = await connect(as('gateway', 'GATEWAY'));
  const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  const js = jetstream(nc);
  const count = async (keyId) =>
    Number(
      (await db.query('SELECT count(*) AS n FROM metering.usage_records WHERE key_id = $1', [keyId])).rows[0]
        .n,
    );
  try {
    // 1. Throughput: a backlog of BACKLOG events (100 keys of 10 owners), then one replica drains it. Published
    //    as gateways do under load: bursts of BURST events per message (BENCH_METERING_BURST=1: one each).
    const owners = Array.from({ length: 10 }, () => randomUUID());
    const keys = Array.from({ length: 100 }, (_, i) => ({ id: randomUUID(), owner: owners[i % 10] }));
    const backlog = Array.from({ length: BACKLOG }, (_, i) => {
      const k = keys[i % keys.length];
      return event(k.id, k.owner, i);
    });
    const bursts = [];
    for (let i = 0; i < BACKLOG; i += BURST) bursts.push(backlog.slice(i, i + BURST));
    for (let i = 0; i < bursts.length; i += 100)
      await Promise.all(
        bursts
          .slice(i, i + 100)
          .map((b) =>
            BURST === 1
              ? js.publish(subject, JSON.stringify(b[0]), { msgID: b[0].requestId })
              : js.publish(subject, JSON.stringify(b)),
          ),
      );
    await startMetering({ METERING_CONSUMER: name, METERING_FILTER_SUBJECT: subject });
    const all = async () =>
      Number(
        (
          await db.query('SELECT count(*) AS n FROM metering.usage_records WHERE key_id = ANY($1::uuid[])', [
            keys.map((k) => k.id),
          ])
        ).rows[0].n,
      );
    // From the first commit seen to the last: the replica's start-up is not counted.
    let first;
    let firstCount = 0;
    for (let n = 0; n < BACKLOG; await sleep(20)) {
      n = await all();
      if (first === undefined && n > 0) [first, firstCount] = [performance.now(), n];
    }
    const seconds = (performance.now() - first) / 1000;
    const eventsPerSecond = (BACKLOG - firstCount) / seconds;

    // 2. Lag: events published one every 5 ms to the idle replica; the request's time to its batch's
    //    transaction (recorded_at is the transaction's start; the commit adds a few ms).
    const lagKey = randomUUID();
    const sent = [];
    for (let i = 0; i < 400; i++) {
      const e = event(lagKey, owners[0], i);
      sent.push(e.requestId);
      await js.publish(subject, JSON.stringify(e), { msgID: e.requestId });
      await sleep(5);
    }
    while ((await count(lagKey)) < sent.length) await sleep(20);
    const { rows } = await db.query(
      'SELECT extract(epoch FROM (recorded_at - at)) * 1000 AS ms FROM metering.usage_records WHERE key_id = $1',
      [lagKey],
    );
    const lags = rows.map((r) => Number(r.ms)).sort((a, b) => a - b);
    return {
      backlog: BACKLOG,
      eventsPerSecond,
      drainSeconds: seconds,
      lagMs: { p50: percentile(lags, 50), p99: percentile(lags, 99), max: lags[lags.length - 1] },
    };
  } finally {
    const owner = await connect(as('metering', 'METERING'));
    const jsm = await jetstreamManager(owner);
    await jsm.consumers.delete('USAGE', name).catch(() => undefined);
    await owner.close();
    await db.end();
    await nc.close();
  }
}
