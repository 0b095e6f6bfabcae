// Events from other services that change key rows: batched last-used times and quota exhaustion.
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { QUEUE_GROUPS, SUBJECTS } from '@gw/contracts';
import { counter, type Logger, NatsClient } from '@gw/platform';
import { CLOCK, type Clock, LOGGER } from '../tokens.js';
import { AuditLog } from '../audit/audit-log.js';
import { KeyEvents } from './key-events.js';
import { KeysRepository } from './keys.repository.js';

/** Exhaustion is announced by metering (and gateways); the audit log names metering as the actor. */
const METERING = { kind: 'system', service: 'metering-service' } as const;

const touched = counter('keys_last_used_updates_total', 'Key rows whose last_used_at was advanced');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class KeyUsageListener implements OnApplicationBootstrap {
  constructor(
    private readonly nats: NatsClient,
    private readonly keys: KeysRepository,
    private readonly audit: AuditLog,
    private readonly events: KeyEvents,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap() {
    // Queue groups: each batch is applied by one replica only.
    this.nats.subscribe(
      SUBJECTS.keys.touch,
      async (event) => {
        const touches = (Array.isArray(event?.touches) ? event.touches : [])
          .filter(
            (t) => typeof t?.keyId === 'string' && UUID.test(t.keyId) && !Number.isNaN(Date.parse(t.at)),
          )
          .slice(0, 10_000)
          .map((t) => ({ keyId: t.keyId, at: new Date(t.at) }));
        touched.inc(await this.keys.touch(touches));
      },
      QUEUE_GROUPS.keyService,
    );
    this.nats.subscribe(
      SUBJECTS.events.quotaExhausted,
      async (event) => {
        // Owner-wide exhaustion (no keyId) needs no row: key views derive it from the owner's spend.
        // Shape and period were checked against the contract before this handler (NatsClient.subscribe).
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
      },
      QUEUE_GROUPS.keyService,
    );
  }
}
