// Usage events as gateways publish them, and reads of what metering made of them.
import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { costMicros, type ModelPrice, type UsageEvent } from '@gw/contracts';
import { connectAs, type RunningService } from '@gw/testing';
import type pg from 'pg';

/** gpt-4o-mini as seeded by the bootstrap (micro-credits per 1M tokens). */
export const MINI: ModelPrice = { inputPrice: 150_000, outputPrice: 600_000 };

export function event(
  keyId: string,
  ownerId: string,
  i: number,
  at = new Date(),
  model = 'gpt-4o-mini',
): UsageEvent {
  return {
    requestId: `req-${randomUUID()}`,
    keyId,
    owner: { type: 'account', id: ownerId },
    group: 'default',
    model,
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

export const miniCost = (events: UsageEvent[]) =>
  events.reduce((s, e) => s + costMicros(e.promptTokens, e.completionTokens, MINI, 1_000_000), 0);

/** `nc` as the gateway identity (only gateways may publish usage). */
export async function publish(nc: NatsConnection, events: UsageEvent[], subject = 'usage.events') {
  const js = jetstream(nc);
  // Pipelined: every ack awaited together.
  await Promise.all(events.map((e) => js.publish(subject, JSON.stringify(e), { msgID: e.requestId })));
}

/**
 * A pipeline of its own (durable + subject) for tests that must know which replicas did the work: the
 * shared `metering` durable may have replicas from other test runs. Deleted by `remove`.
 */
export function privatePipeline() {
  const name = `test-${randomUUID().slice(0, 8)}`;
  return {
    subject: `usage.${name}`,
    env: { METERING_CONSUMER: name, METERING_FILTER_SUBJECT: `usage.${name}` },
    /** As metering, the stream's owner. */
    remove: async () => {
      const nc = await connectAs('metering');
      try {
        const jsm = await jetstreamManager(nc);
        await jsm.consumers.delete('USAGE', name).catch(() => undefined);
      } finally {
        await nc.close();
      }
    },
  };
}

export async function keyTotals(db: pg.Client, keyId: string) {
  const { rows } = await db.query(
    `SELECT period, requests::int, prompt_tokens::int AS prompt, completion_tokens::int AS completion,
            cost_micros::bigint::text AS cost, unpriced_requests::int AS unpriced
     FROM metering.usage_totals WHERE scope = 'key' AND scope_id = $1 ORDER BY period`,
    [keyId],
  );
  return rows.map((r) => ({ ...r, cost: Number(r.cost) }));
}

/** USAGE_DEADLETTER's messages stored since `since`, read as metering (the stream's owner). */
export async function deadLettersSince(since: Date) {
  const nc = await connectAs('metering');
  try {
    const consumer = await jetstream(nc).consumers.get('USAGE_DEADLETTER', {
      opt_start_time: since.toISOString(),
    });
    const out: { body: any; reason: string | undefined; source: string | undefined }[] = [];
    for (let done = false; !done;) {
      const batch = await consumer.fetch({ max_messages: 100, expires: 1000 });
      done = true;
      for await (const m of batch) {
        let body: unknown;
        try {
          body = m.json();
        } catch {
          body = m.string();
        }
        out.push({
          body,
          reason: m.headers?.get('Metering-Error'),
          source: m.headers?.get('Metering-Source'),
        });
        done = m.info.pending === 0;
        if (done) break;
      }
    }
    return out;
  } finally {
    await nc.close();
  }
}

/** A series' value on a running replica's /metrics (0 before it is first counted). */
export async function metric(svc: RunningService, series: string) {
  const text = await (await fetch(`${svc.adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.split(' ').pop()) : 0;
}
