// Usage events as gateways publish them, and reads of what metering made of them.
import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { costMicros, type ModelPrice, type UsageEvent } from '@gw/contracts';
import { ensureUsageStream } from '@gw/platform';
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

export async function publish(nc: NatsConnection, events: UsageEvent[], subject = 'usage.events') {
  // On a fresh NATS nothing may have created the stream yet (gateways and metering do at start).
  await ensureUsageStream(nc);
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
    remove: async (nc: NatsConnection) => {
      const jsm = await jetstreamManager(nc);
      await jsm.consumers.delete('USAGE', name).catch(() => undefined);
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
