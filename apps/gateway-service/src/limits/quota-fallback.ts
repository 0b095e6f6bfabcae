// The quota check while Redis is down (DESIGN "When things fail"): spend from metering's Postgres totals
// over NATS (metering.spend). Without Redis, replicas cannot see each other's open reservations, so each
// may hold at most its share (1 / GATEWAY_REPLICAS) of the credit left, in-process. A settled request keeps
// its real cost held for a grace period, until metering has surely recorded it: for that long its cost may
// count twice, which refuses early rather than overspend.
import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@gw/access';
import { SUBJECTS } from '@gw/contracts';
import { counter, NatsClient } from '@gw/platform';
import { CONFIG, type GatewayConfig } from '../config.js';
import type { Reservation } from './limiter.js';

const fallbacks = counter('gateway_quota_fallback_total', 'Quota checks made without Redis', ['outcome']);
/** How long a settled cost stays held: metering records an event within a few hundred ms when it keeps up. */
const SETTLED_GRACE_MS = 2000;
const SPEND_TIMEOUT_MS = 500;

export type FallbackOutcome =
  | { allowed: true }
  | { allowed: false; refusedBy: 'key_quota' | 'owner_credit'; exhausted: boolean }
  | { allowed: false; refusedBy: 'unavailable' };

interface Held {
  slots: string[];
  micros: number;
  timer: NodeJS.Timeout;
}

@Injectable()
export class QuotaFallback {
  /** Micro-credits held per slot ('k:<keyId>', 'o:<type>:<id>'). */
  private readonly held = new Map<string, number>();
  private readonly open = new Map<string, Held>();

  constructor(
    private readonly nats: NatsClient,
    @Inject(CONFIG) private readonly config: GatewayConfig,
  ) {}

  async reserve(p: Principal, { requestId, micros, limits }: Reservation): Promise<FallbackOutcome> {
    const r = p.record;
    const period = limits.key?.period ?? 'lifetime';
    const reply = await this.nats.request(
      SUBJECTS.metering.spend,
      {
        owner: { type: r.owner.type, id: r.owner.id },
        keys: [{ keyId: r.id, period }],
      },
      SPEND_TIMEOUT_MS,
    );
    if (!reply.ok) {
      if (this.config.quotaFailOpen) {
        fallbacks.inc({ outcome: 'failed_open' });
        return { allowed: true };
      }
      fallbacks.inc({ outcome: 'unavailable' });
      return { allowed: false, refusedBy: 'unavailable' };
    }
    const checks = [
      {
        limit: limits.key?.micros ?? null,
        spent: reply.data.keys[r.id] ?? 0,
        slot: `k:${r.id}`,
        which: 'key_quota' as const,
      },
      {
        limit: limits.ownerMicros,
        spent: reply.data.ownerMicros,
        slot: `o:${r.owner.type}:${r.owner.id}`,
        which: 'owner_credit' as const,
      },
    ];
    for (const c of checks) {
      if (c.limit === null) continue;
      if (c.spent >= c.limit) {
        fallbacks.inc({ outcome: 'refused' });
        return { allowed: false, refusedBy: c.which, exhausted: true };
      }
      const share = Math.floor((c.limit - c.spent) / this.config.replicas);
      if ((this.held.get(c.slot) ?? 0) + micros > share) {
        fallbacks.inc({ outcome: 'refused' });
        return { allowed: false, refusedBy: c.which, exhausted: false };
      }
    }
    const slots = checks.filter((c) => c.limit !== null).map((c) => c.slot);
    this.hold(requestId, slots, micros, this.config.reservationTtlMs);
    fallbacks.inc({ outcome: 'allowed' });
    return { allowed: true };
  }

  /** Whether this process holds the request's reservation (made here while Redis was down). */
  holds(requestId: string): boolean {
    return this.open.has(requestId);
  }

  settle(requestId: string, costMicros: number) {
    const h = this.open.get(requestId);
    if (!h) return;
    this.release(requestId);
    this.hold(requestId, h.slots, costMicros, SETTLED_GRACE_MS);
  }

  private hold(requestId: string, slots: string[], micros: number, ms: number) {
    for (const s of slots) this.held.set(s, (this.held.get(s) ?? 0) + micros);
    const timer = setTimeout(() => this.release(requestId), ms).unref();
    this.open.set(requestId, { slots, micros, timer });
  }

  private release(requestId: string) {
    const h = this.open.get(requestId);
    if (!h) return;
    clearTimeout(h.timer);
    this.open.delete(requestId);
    for (const s of h.slots) {
      const left = (this.held.get(s) ?? 0) - h.micros;
      if (left > 0) this.held.set(s, left);
      else this.held.delete(s);
    }
  }
}
