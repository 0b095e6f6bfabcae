// Every auth-service replica evicts on every key event (fan-out, no queue group): Redis DELs are idempotent.
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, type NatsContext, Payload } from '@nestjs/microservices';
import {
  type KeyChangedEvent,
  type KeyDeletedEvent,
  type QuotaExhaustedEvent,
  SUBJECTS,
} from '@gw/contracts';
import { counter } from '@gw/platform';
import { RecordCache } from './record-cache.js';

const evictions = counter('auth_cache_evictions_total', 'Evictions from key events', ['scope']);

@Controller()
export class CacheEvictionListener {
  constructor(private readonly cache: RecordCache) {}

  @EventPattern<string>(SUBJECTS.events.allKeyEvents)
  handle(@Payload() payload: unknown, @Ctx() ctx: NatsContext) {
    return this.onEvent(ctx.getSubject(), payload);
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
