// Events from other services that change key rows: batched last-used times and quota exhaustion (received by
// IncomingEventsController, parsed with their contracts' schemas).
import { Inject, Injectable } from '@nestjs/common';
import type { EventPayloads, QuotaExhaustedEvent } from '@gw/contracts';
import { counter, type Logger } from '@gw/platform';
import { CLOCK, type Clock, LOGGER } from '../tokens.js';
import { AuditLog } from '../audit/audit-log.js';
import { KeyEvents } from './key-events.js';
import { KeysRepository } from './keys.repository.js';

/** Exhaustion is announced by metering (and gateways); the audit log names metering as the actor. */
const METERING = { kind: 'system', service: 'metering-service' } as const;

const touched = counter('keys_last_used_updates_total', 'Key rows whose last_used_at was advanced');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type TouchBatch = EventPayloads['keys.touch'];

@Injectable()
export class KeyUsageListener {
  constructor(
    private readonly keys: KeysRepository,
    private readonly audit: AuditLog,
    private readonly events: KeyEvents,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** A gateway's batch of last-used times (one replica applies each: queue group). */
  async touch(event: TouchBatch) {
    const touches = (Array.isArray(event?.touches) ? event.touches : [])
      .filter((t) => typeof t?.keyId === 'string' && UUID.test(t.keyId) && !Number.isNaN(Date.parse(t.at)))
      .slice(0, 10_000)
      .map((t) => ({ keyId: t.keyId, at: new Date(t.at) }));
    touched.inc(await this.keys.touch(touches));
  }

  /** Marks the key's quota exhausted for the period (audited), then announces the committed change. */
  async exhausted(event: QuotaExhaustedEvent) {
    // Owner-wide exhaustion (no keyId) needs no row: key views derive it from the owner's spend.
    if (!event.keyId) return;
    const at = new Date(event.at);
    if (Number.isNaN(at.getTime())) return;
    const marked = await this.keys.transaction(async (em) => {
      const owner = await this.keys.markExhausted(em, event.keyId!, event.period, at);
      if (!owner) return null;
      await this.audit.record(em, METERING, {
        action: 'key.exhausted',
        target: { type: 'key', id: event.keyId! },
        owner,
        changes: { exhaustedPeriod: { after: event.period } },
      });
      const key = (await this.keys.lockInScope(em, event.keyId!, { all: true }))!;
      return { key, hashes: await this.keys.liveHashes(em, key, this.clock.now()) };
    });
    if (!marked) return;
    // Caches evicted the key on metering's event, maybe before this commit: a lookup in between cached
    // the unmarked row. Announcing the committed change makes them evict it again.
    this.events.keyChanged(marked.key, marked.hashes, 'updated');
    this.logger.info({ keyId: event.keyId, period: event.period }, 'key quota exhausted');
  }
}
