// Step 5 of the hot path: account tier RPM, key RPM/TPM and the credit reservation in one Redis round trip
// (none when no limit applies). While Redis is down, a local limiter (limit ÷ replicas) takes over the rate
// limits and a metric counts it, and quotas are checked against metering's totals (quota-fallback.ts).
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy, Optional } from '@nestjs/common';
import type { CreditLimits, Principal } from '@gw/access';
import {
  HOLD_BUCKET_MS,
  holdBucket,
  holdBucketsRead,
  ownerTag,
  SPEND_KEYS,
  type UsageHeld,
} from '@gw/contracts';
import { counter, evalScript, type Logger, REDIS, type RedisClient } from '@gw/platform';
import { CONFIG, type GatewayConfig, LOGGER } from '../config.js';
import { InFlightRequests } from '../http/in-flight.js';
import { LIMITS_LUA } from './limits.lua.js';
import { LocalWindows } from './local-window.js';
import { QuotaFallback } from './quota-fallback.js';

const WINDOW_MS = 60_000;
const fallbacks = counter(
  'gateway_rate_limit_fallback_total',
  'Rate-limit decisions made locally because Redis failed',
);
const limited = counter('gateway_rate_limited_total', 'Requests refused by a limit', ['limit']);

export interface RateDecision {
  allowed: boolean;
  /** Which limit refused; 'unavailable': a quota could not be checked (Redis down). */
  refusedBy?: 'tier_rpm' | 'key_rpm' | 'key_tpm' | 'key_quota' | 'owner_credit' | 'unavailable';
  /** Refused because the spend alone reached the limit (not merely the open reservations): publish it. */
  exhausted?: boolean;
  retryAfterMs: number;
  headers: Record<string, string>;
  /** What Redis now holds for the request: metering releases it (the usage event carries it). */
  held?: UsageHeld;
}

/** A request's credit reservation (the quota step); absent when neither key nor owner has a limit. */
export interface Reservation {
  requestId: string;
  /** Worst-case cost in micro-credits (0 when the model has no price: metering flags those). */
  micros: number;
  limits: CreditLimits;
}

const ALLOW_UNLIMITED: RateDecision = { allowed: true, retryAfterMs: 0, headers: {} };
const REFUSED = ['tier_rpm', 'key_rpm', 'key_tpm', 'key_quota', 'owner_credit'] as const;

/** OpenAI's reset format: "20ms", "1.5s", "6m0s". */
export function formatReset(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

@Injectable()
export class Limiter implements OnModuleDestroy {
  private readonly local = new LocalWindows();
  private readonly sweeper: NodeJS.Timeout;
  /** Hold buckets each check reads: enough that no hold younger than the reservation TTL is missed. */
  private readonly buckets: number;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly fallback: QuotaFallback,
    /** Absent (tests): every check goes with its turn's other commands. */
    @Optional() private readonly inFlight?: InFlightRequests,
  ) {
    this.buckets = holdBucketsRead(config.reservationTtlMs);
    this.sweeper = setInterval(() => this.local.sweep(Date.now(), WINDOW_MS), WINDOW_MS).unref();
  }

  onModuleDestroy() {
    clearInterval(this.sweeper);
  }

  /**
   * `tokens`: this request's token estimate (prompt + output cap), counted against TPM. `reservation`:
   * given exactly when the principal has creditLimits.
   */
  async check(p: Principal, tokens: number, now: number, reservation?: Reservation): Promise<RateDecision> {
    const tierRpm = p.record.tier.rpm ?? 0;
    const keyRpm = p.record.rpm ?? 0;
    const keyTpm = p.record.tpm ?? 0;
    if (!tierRpm && !keyRpm && !keyTpm && !reservation) return ALLOW_UNLIMITED;
    const idx = Math.floor(now / WINDOW_MS);
    const tag = ownerTag(p.record.owner.type, p.record.owner.id);
    const k = p.record.id;
    const limits = reservation?.limits;
    const bucket = holdBucket(now);
    // Holds only for the quota step (a key with rate limits alone reads none): through the next bucket, as a
    // replica a little ahead may hold there already.
    const holds: string[] = [];
    if (reservation) {
      const first = bucket - this.buckets + 1;
      for (let b = first; b <= bucket + 1; b++) holds.push(SPEND_KEYS.heldKey(tag, k, b));
      for (let b = first; b <= bucket + 1; b++) holds.push(SPEND_KEYS.heldOwner(tag, b));
      holds.push(SPEND_KEYS.holdGeneration(tag, bucket));
    }
    let r: (number | string)[];
    try {
      // EVALSHA, with a transparent EVAL when the script is not cached on the server yet.
      r = await evalScript<(number | string)[]>(
        this.redis,
        LIMITS_LUA,
        [
          `rl:${tag}:t:${idx}`,
          `rl:${tag}:t:${idx - 1}`,
          `rl:${tag}:k:${k}:${idx}`,
          `rl:${tag}:k:${k}:${idx - 1}`,
          `rl:${tag}:tok:${k}:${idx}`,
          `rl:${tag}:tok:${k}:${idx - 1}`,
          SPEND_KEYS.key(tag, k, limits?.key?.period ?? 'lifetime'),
          SPEND_KEYS.owner(tag, 'lifetime'),
          ...holds,
        ],
        [
          now % WINDOW_MS,
          WINDOW_MS,
          tierRpm,
          keyRpm,
          keyTpm,
          tokens,
          reservation ? reservation.micros : -1,
          limits?.key?.micros ?? -1,
          limits?.ownerMicros ?? -1,
          reservation ? this.buckets + 1 : 0,
          // The bucket's keys outlive its last request by the reservation TTL (relative: Redis's clock may differ).
          (bucket + 1) * HOLD_BUCKET_MS + this.config.reservationTtlMs - now,
          reservation ? randomUUID() : '',
        ],
        // A request alone has no other check to share a Redis write with: it goes at once (issue #14).
        { now: this.inFlight !== undefined && this.inFlight.size <= 1 },
      );
      if (r[0] === 1 && reservation && reservation.micros > 0)
        return {
          ...this.decision(r as number[]),
          held: { micros: reservation.micros, bucket, generation: String(r[8]) },
        };
    } catch (err) {
      fallbacks.inc();
      this.logger.debug({ err }, 'limits fall back: local rate windows, quota from metering');
      r = this.checkLocally(p, tierRpm, keyRpm, keyTpm, tokens, now);
      if (r[0] === 1 && reservation) {
        // Budgets are global: only metering's totals can say what is left (or fail closed).
        const quota = await this.fallback.reserve(p, reservation);
        if (!quota.allowed) {
          limited.inc({ limit: quota.refusedBy });
          return { ...quota, retryAfterMs: quota.refusedBy === 'unavailable' ? 1000 : 0, headers: {} };
        }
      }
    }
    return this.decision(r as number[]);
  }

  private checkLocally(
    p: Principal,
    tierRpm: number,
    keyRpm: number,
    keyTpm: number,
    tokens: number,
    now: number,
  ): number[] {
    const share = (limit: number) => Math.max(1, Math.floor(limit / this.config.replicas));
    const owner = `${p.record.owner.type}:${p.record.owner.id}`;
    const checks: [string, number, number][] = [
      [`t:${owner}`, tierRpm, 1],
      [`k:${p.record.id}`, keyRpm, 1],
      [`tok:${p.record.id}`, keyTpm, tokens],
    ];
    // Check all before taking any, as the script does.
    let reqLimit = 0;
    let reqRemaining = -1;
    let tokRemaining = -1;
    for (let i = 0; i < 3; i++) {
      const [key, limit, cost] = checks[i];
      if (!limit) continue;
      const remaining = this.local.take(key, share(limit), cost, now, WINDOW_MS);
      if (remaining < 0) return [0, i + 1, limit, 0, 0, 0, WINDOW_MS - (now % WINDOW_MS)];
      if (i < 2 && (reqRemaining < 0 || remaining < reqRemaining))
        [reqLimit, reqRemaining] = [limit, remaining];
      if (i === 2) tokRemaining = remaining;
    }
    return [1, 0, reqLimit, reqRemaining, keyTpm, tokRemaining, WINDOW_MS - (now % WINDOW_MS)];
  }

  /**
   * After the response. A hold in Redis stays as it is until metering counts the request's real cost (the
   * usage event names it) — no call here (issue #14: one Redis call per request). Only a hold taken while
   * Redis was down (quota-fallback.ts, in this process) is settled here.
   */
  settle(reservation: Reservation, costMicros: number) {
    if (this.fallback.holds(reservation.requestId)) this.fallback.settle(reservation.requestId, costMicros);
  }

  private decision(r: number[]): RateDecision {
    const [allowed, failed, reqLimit, reqRemaining, tokLimit, tokRemaining, resetMs, exhausted] = r;
    const headers: Record<string, string> = {};
    if (!allowed && failed >= 4) {
      limited.inc({ limit: REFUSED[failed - 1] });
      return {
        allowed: false,
        refusedBy: REFUSED[failed - 1],
        exhausted: exhausted === 1,
        retryAfterMs: 0,
        headers,
      };
    }
    if (!allowed) {
      limited.inc({ limit: REFUSED[failed - 1] });
      const kind = failed === 3 ? 'tokens' : 'requests';
      headers['retry-after'] = String(Math.max(1, Math.ceil(resetMs / 1000)));
      headers[`x-ratelimit-limit-${kind}`] = String(reqLimit);
      headers[`x-ratelimit-remaining-${kind}`] = '0';
      headers[`x-ratelimit-reset-${kind}`] = formatReset(resetMs);
      return { allowed: false, refusedBy: REFUSED[failed - 1], retryAfterMs: resetMs, headers };
    }
    if (reqLimit > 0) {
      headers['x-ratelimit-limit-requests'] = String(reqLimit);
      headers['x-ratelimit-remaining-requests'] = String(Math.max(0, reqRemaining));
      headers['x-ratelimit-reset-requests'] = formatReset(resetMs);
    }
    if (tokLimit > 0) {
      headers['x-ratelimit-limit-tokens'] = String(tokLimit);
      headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, tokRemaining));
      headers['x-ratelimit-reset-tokens'] = formatReset(resetMs);
    }
    return { allowed: true, retryAfterMs: 0, headers };
  }
}
