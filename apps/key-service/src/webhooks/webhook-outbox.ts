// The webhook outbox: a change enqueues one delivery row per subscribed webhook in its own transaction, so
// an event is sent if and only if its change committed, and survives any restart of the sender.
import { Inject, Injectable } from '@nestjs/common';
import type { OwnerRef, WebhookEventType } from '@gw/contracts';
import type { EntityManager } from 'typeorm';
import { WebhookDeliveryEntity, WebhookEntity } from '../db/entities/index.js';
import { CLOCK, type Clock } from '../tokens.js';

/** Postgres channel the sender LISTENs on; a NOTIFY inside the transaction is delivered at its commit. */
export const DELIVERIES_CHANNEL = 'keys_webhook_deliveries';

@Injectable()
export class WebhookOutbox {
  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  /**
   * Queues `type` for every enabled webhook of `owner` subscribed to it. A `dedupeKey` makes the event
   * at-most-once per webhook (e.g. one key.expiring per key and expiry). Returns the rows queued.
   */
  async enqueue(
    em: EntityManager,
    owner: OwnerRef,
    type: WebhookEventType,
    data: Record<string, unknown>,
    dedupeKey: string | null = null,
  ): Promise<number> {
    const hooks = await em
      .getRepository(WebhookEntity)
      .createQueryBuilder('w')
      .select(['w.id'])
      .where('w.owner_type = :t AND w.owner_id = :o AND w.enabled AND :type = ANY(w.events)', {
        t: owner.type,
        o: owner.id,
        type,
      })
      .getMany();
    if (!hooks.length) return 0;
    const now = this.clock.now();
    const payload = { type, timestamp: now.toISOString(), data };
    const res = await em
      .createQueryBuilder()
      .insert()
      .into(WebhookDeliveryEntity)
      .values(
        hooks.map((h) => ({
          webhookId: h.id,
          eventType: type,
          payload,
          dedupeKey,
          status: 'pending' as const,
          attempts: 0,
          // next_attempt_at: the column's default, the database's now(), which the sender's claims compare.
        })),
      )
      .orIgnore()
      .execute();
    await em.query(`SELECT pg_notify($1, '')`, [DELIVERIES_CHANNEL]);
    return res.identifiers.filter(Boolean).length;
  }
}
