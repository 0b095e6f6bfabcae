// Every auth-service replica evicts on every key event (fan-out, no queue group): Redis DELs are idempotent.
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import {
  type KeyChangedEvent,
  type KeyDeletedEvent,
  type QuotaExhaustedEvent,
  SUBJECTS,
} from '@gw/contracts';
import { counter, NatsClient } from '@gw/platform';
import { RecordCache } from './record-cache.js';

const evictions = counter('auth_cache_evictions_total', 'Evictions from key events', ['scope']);

@Injectable()
export class CacheEvictionListener implements OnApplicationBootstrap {
  constructor(
    private readonly nats: NatsClient,
    private readonly cache: RecordCache,
  ) {}

  onApplicationBootstrap() {
    this.nats.subscribe(SUBJECTS.events.allKeyEvents, (payload, subject) => this.onEvent(subject, payload));
  }

  private async onEvent(subject: string, payload: unknown) {
    if (subject === SUBJECTS.events.keyChanged) {
      const e = payload as KeyChangedEvent;
      evictions.inc({ scope: e.scope });
      if (e.scope === 'key') return this.cache.evict(e.hashes ?? []);
      if (e.scope === 'owner') return this.cache.evictOwner(e.owner);
      if (e.scope === 'tier') return this.cache.evictTier(e.tier);
    } else if (subject === SUBJECTS.events.keyDeleted) {
      evictions.inc({ scope: 'key' });
      return this.cache.evict((payload as KeyDeletedEvent).hashes ?? []);
    } else if (subject === SUBJECTS.events.quotaExhausted) {
      // Carries a key id, not a hash: evict the owner's records (a refetch shows the exhausted period).
      evictions.inc({ scope: 'owner' });
      return this.cache.evictOwner((payload as QuotaExhaustedEvent).owner);
    }
  }
}
