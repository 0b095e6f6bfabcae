// Turns what other services announce, and what time brings, into webhook deliveries: quota.exhausted and
// quota.threshold from metering's events, and key.expiring from a periodic scan of keys.
import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import {
  microsToCredits,
  type OwnerRef,
  QUOTA_THRESHOLD_PERCENT,
  type QuotaExhaustedEvent,
  type QuotaThresholdEvent,
  type QuotaType,
  SUBJECTS,
  type WebhookEventType,
} from '@gw/contracts';
import { counter, type Logger } from '@gw/platform';
import { DataSource } from 'typeorm';
import { OwnersRepository } from '../access/owners.repository.js';
import type { KeyServiceConfig } from '../config.js';
import { ApiKeyEntity } from '../db/entities/index.js';
import { CLOCK, type Clock, CONFIG, LOGGER } from '../tokens.js';
import { WebhookOutbox } from './webhook-outbox.js';

const SCAN_MS = 60_000;
const SCAN_BATCH = 100;

// Payloads arrive parsed with the contract's schemas (before IncomingEventsController): no second shape check.

const queued = counter('webhook_events_total', 'Events turned into webhook deliveries (rows queued)', [
  'type',
]);
const ignored = counter(
  'webhook_events_ignored_total',
  'Event messages ignored (an unknown key or owner, or a stale or foreign limit)',
  ['subject'],
);

@Injectable()
export class WebhookEventsListener implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private scanning?: Promise<number>;

  constructor(
    private readonly ds: DataSource,
    private readonly outbox: WebhookOutbox,
    private readonly owners: OwnersRepository,
    @Inject(CONFIG) private readonly config: KeyServiceConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** quota.exhausted webhooks (received by IncomingEventsController); never throws. */
  exhausted(e: QuotaExhaustedEvent) {
    return this.safely(SUBJECTS.events.quotaExhausted, () => this.onExhausted(e));
  }

  /** quota.threshold webhooks; never throws. */
  threshold(e: QuotaThresholdEvent) {
    return this.safely(SUBJECTS.events.quotaThreshold, () => this.onThreshold(e));
  }

  onApplicationBootstrap() {
    void this.scanExpiring();
    this.timer = setInterval(() => void this.scanExpiring(), SCAN_MS).unref();
  }

  async beforeApplicationShutdown() {
    clearInterval(this.timer);
    await this.scanning?.catch(() => undefined);
  }

  /** A handler's failure is logged and counted, never thrown back into the NATS client. */
  private async safely(subject: string, handle: () => Promise<void>) {
    try {
      await handle();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, subject }, 'webhook event not queued');
    }
  }

  private async onExhausted(e: QuotaExhaustedEvent) {
    const target = await this.target(e.owner, e.keyId);
    if (!target) return void ignored.inc({ subject: SUBJECTS.events.quotaExhausted });
    await this.enqueue(
      e.owner,
      'quota.exhausted',
      { key: target.key, owner: e.owner, period: e.period },
      // Once per key (or owner) and period, re-armed when the limit changes.
      `quota.exhausted:${e.keyId ?? 'owner'}:${e.period}:${target.limitMicros ?? '-'}`,
    );
  }

  /**
   * Announced for the limit stored here, not the one the message names: a message whose limit is not the
   * key's quota (or the owner's credit limit) now, whose percent is not QUOTA_THRESHOLD_PERCENT, or whose period
   * cannot be the limit's, is forged or stale and ignored, so varying them cannot multiply deliveries past
   * the dedupe key.
   */
  private async onThreshold(e: QuotaThresholdEvent) {
    if (e.percent !== QUOTA_THRESHOLD_PERCENT)
      return void ignored.inc({ subject: SUBJECTS.events.quotaThreshold });
    const target = await this.target(e.owner, e.keyId);
    if (
      !target ||
      target.limitMicros === null ||
      Number(target.limitMicros) !== e.limitMicros ||
      !this.periodFits(e.period, target.quotaType)
    ) {
      return void ignored.inc({ subject: SUBJECTS.events.quotaThreshold });
    }
    const limitMicros = Number(target.limitMicros);
    await this.enqueue(
      e.owner,
      'quota.threshold',
      {
        key: target.key,
        owner: e.owner,
        period: e.period,
        percent: QUOTA_THRESHOLD_PERCENT,
        limit: microsToCredits(limitMicros),
        used: microsToCredits(e.spentMicros),
      },
      // Once per key (or owner), period and stored limit: re-armed when the limit changes.
      `quota.threshold:${e.keyId ?? 'owner'}:${e.period}:${QUOTA_THRESHOLD_PERCENT}:${target.limitMicros}`,
    );
  }

  /**
   * Whether a period can be the limit's: 'lifetime' for a total quota (and an owner's credit limit), this
   * UTC month or the last (an event sent just before the month turned) for a monthly one.
   */
  private periodFits(period: string, quotaType: QuotaType): boolean {
    if (quotaType !== 'monthly') return period === 'lifetime';
    const now = this.clock.now();
    const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
    return period === now.toISOString().slice(0, 7) || period === lastMonth.toISOString().slice(0, 7);
  }

  /** The key the event names (it must be the owner's and not deleted), and the limit now in force. */
  private async target(owner: OwnerRef, keyId: string | undefined) {
    if (keyId) {
      const key = await this.ds
        .getRepository(ApiKeyEntity)
        .createQueryBuilder('k')
        .where('k.id = :keyId AND k.deleted_at IS NULL AND k.owner_type = :t AND k.owner_id = :o', {
          keyId,
          t: owner.type,
          o: owner.id,
        })
        .getOne();
      if (!key) return undefined;
      return { key: { id: key.id, name: key.name }, limitMicros: key.quotaLimit, quotaType: key.quotaType };
    }
    const found = await this.owners.find(owner);
    return found ? { key: null, limitMicros: found.creditLimit, quotaType: 'total' as const } : undefined;
  }

  private async enqueue(
    owner: OwnerRef,
    type: WebhookEventType,
    data: Record<string, unknown>,
    dedupeKey: string,
  ) {
    const n = await this.ds.transaction((em) => this.outbox.enqueue(em, owner, type, data, dedupeKey));
    if (n) queued.inc({ type }, n);
  }

  /**
   * key.expiring for every enabled key whose expiry is within WEBHOOK_EXPIRING_BEFORE_MS and not yet
   * announced (changing expiresAt re-arms it). Rows are locked SKIP LOCKED, so replicas split the work and
   * never announce one expiry twice. Returns the keys announced.
   */
  scanExpiring(): Promise<number> {
    this.scanning ??= this.scan()
      .catch((err: Error) => {
        this.logger.warn({ err: err.message }, 'key.expiring scan failed; next scan retries');
        return 0;
      })
      .finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  private async scan(): Promise<number> {
    const now = this.clock.now();
    const until = new Date(now.getTime() + this.config.webhooks.expiringBeforeMs);
    let total = 0;
    for (;;) {
      const n = await this.ds.transaction(async (em) => {
        const rows: {
          id: string;
          name: string;
          ownerType: OwnerRef['type'];
          ownerId: string;
          expiresAt: Date;
        }[] = await em.query(
          `SELECT id, name, owner_type AS "ownerType", owner_id AS "ownerId", expires_at AS "expiresAt"
               FROM keys.api_keys
              WHERE deleted_at IS NULL AND enabled AND expires_at > $1 AND expires_at <= $2
                AND expiring_notified_for IS DISTINCT FROM expires_at
              ORDER BY expires_at
              LIMIT ${SCAN_BATCH}
              FOR UPDATE SKIP LOCKED`,
          [now, until],
        );
        for (const r of rows) {
          const owner = { type: r.ownerType, id: r.ownerId };
          const expiresAt = r.expiresAt.toISOString();
          const sent = await this.outbox.enqueue(
            em,
            owner,
            'key.expiring',
            { key: { id: r.id, name: r.name, owner, expiresAt } },
            `key.expiring:${r.id}:${expiresAt}`,
          );
          if (sent) queued.inc({ type: 'key.expiring' }, sent);
        }
        if (rows.length) {
          await em.query(
            `UPDATE keys.api_keys SET expiring_notified_for = expires_at WHERE id = ANY($1::uuid[])`,
            [rows.map((r) => r.id)],
          );
        }
        return rows.length;
      });
      total += n;
      if (n < SCAN_BATCH) return total;
    }
  }
}
