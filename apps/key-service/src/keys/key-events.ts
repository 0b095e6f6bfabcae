// Publishes keys.events.* after a change has committed, so every cache can evict the key.
import { Inject, Injectable } from '@nestjs/common';
import { type KeyChangeReason, type OwnerRef, SUBJECTS } from '@gw/contracts';
import { counter, type Logger, NatsClient } from '@gw/platform';
import type { ApiKeyEntity } from '../db/entities/index.js';
import { CLOCK, type Clock, LOGGER } from '../tokens.js';

const published = counter('key_events_published_total', 'keys.events.* published', ['subject', 'outcome']);

@Injectable()
export class KeyEvents {
  constructor(
    private readonly nats: NatsClient,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  keyChanged(key: ApiKeyEntity, hashes: string[], reason: KeyChangeReason) {
    this.send(SUBJECTS.events.keyChanged, () =>
      this.nats.publish(SUBJECTS.events.keyChanged, {
        scope: 'key',
        keyId: key.id,
        owner: { type: key.ownerType, id: key.ownerId },
        hashes,
        reason,
        at: this.clock.now().toISOString(),
      }),
    );
  }

  keyDeleted(key: ApiKeyEntity, hashes: string[]) {
    this.send(SUBJECTS.events.keyDeleted, () =>
      this.nats.publish(SUBJECTS.events.keyDeleted, {
        keyId: key.id,
        owner: { type: key.ownerType, id: key.ownerId },
        hashes,
        at: this.clock.now().toISOString(),
      }),
    );
  }

  ownerChanged(owner: OwnerRef) {
    this.send(SUBJECTS.events.keyChanged, () =>
      this.nats.publish(SUBJECTS.events.keyChanged, {
        scope: 'owner',
        owner,
        reason: 'owner_updated',
        at: this.clock.now().toISOString(),
      }),
    );
  }

  tierChanged(tier: string) {
    this.send(SUBJECTS.events.keyChanged, () =>
      this.nats.publish(SUBJECTS.events.keyChanged, {
        scope: 'tier',
        tier,
        reason: 'tier_updated',
        at: this.clock.now().toISOString(),
      }),
    );
  }

  pricingChanged(kind: 'model' | 'group', name: string) {
    this.send(SUBJECTS.events.pricingChanged, () =>
      this.nats.publish(SUBJECTS.events.pricingChanged, { kind, name, at: this.clock.now().toISOString() }),
    );
  }

  /** A lost event is bounded by the caches' TTL; it never fails the change that already committed. */
  private send(subject: string, publish: () => void) {
    try {
      publish();
      published.inc({ subject, outcome: 'ok' });
    } catch (err) {
      published.inc({ subject, outcome: 'error' });
      this.logger.error({ err, subject }, 'could not publish key event');
    }
  }
}
