// Step 5 of the hot path: account tier RPM, key RPM/TPM and the credit reservation in one Redis round trip
// (none when no limit applies). While Redis is down, a local limiter (limit ÷ replicas) takes over the rate
// limits and a metric counts it, and quotas are checked against metering's totals (quota-fallback.ts).
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { CreditLimits, Principal } from '@gw/access';
import { ownerTag, SPEND_KEYS } from '@gw/contracts';
import { counter, type Logger, REDIS, type RedisClient } from '@gw/platform';
import { CONFIG, type GatewayConfig, LOGGER } from '../config.js';
import { LIMITS_LUA, SETTLE_LUA } from './limits.lua.js';
import { LocalWindows } from './local-window.js';
import { QuotaFallback } from './quota-fallback.js';

const WINDOW_MS = 60_000;
/** Settles are gathered this long, and at most this many per owner, into one script call. */
const SETTLE_BATCH_MS = 5;
const SETTLE_BATCH_MAX = 256;
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

type LimitsRedis = RedisClient & {
  gwLimits(...args: (string | number)[]): Promise<number[]>;
  gwSettle(...args: (string | number)[]): Promise<number>;
};

@Injectable()
export class Limiter implements OnModuleDestroy {
  private readonly local = new LocalWindows();
  private readonly sweeper: NodeJS.Timeout;
  /** Settles waiting to be sent, by owner tag: request id, cost, request id, cost… */
  private readonly settles = new Map<string, (string | number)[]>();
  private settleTimer?: NodeJS.Timeout;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly fallback: QuotaFallback,
  ) {
    // defineCommand: EVALSHA, with a transparent EVAL when the script is not cached on the server yet.
    this.redis.defineCommand('gwLimits', { numberOfKeys: 10, lua: LIMITS_LUA });
    this.redis.defineCommand('gwSettle', { numberOfKeys: 2, lua: SETTLE_LUA });
    this.sweeper = setInterval(() => this.local.sweep(Date.now(), WINDOW_MS), WINDOW_MS).unref();
  }

  onModuleDestroy() {
    clearInterval(this.sweeper);
    this.flushSettles();
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
    let r: number[];
    try {
      r = await (this.redis as LimitsRedis).gwLimits(
        `rl:${tag}:t:${idx}`,
        `rl:${tag}:t:${idx - 1}`,
        `rl:${tag}:k:${k}:${idx}`,
        `rl:${tag}:k:${k}:${idx - 1}`,
        `rl:${tag}:tok:${k}:${idx}`,
        `rl:${tag}:tok:${k}:${idx - 1}`,
        SPEND_KEYS.key(tag, k, limits?.key?.period ?? 'lifetime'),
        SPEND_KEYS.owner(tag, 'lifetime'),
        SPEND_KEYS.reservations(tag),
        SPEND_KEYS.reservationExpiry(tag),
        now % WINDOW_MS,
        WINDOW_MS,
        tierRpm,
        keyRpm,
        keyTpm,
        tokens,
        now,
        reservation ? reservation.micros : -1,
        limits?.key?.micros ?? -1,
        limits?.ownerMicros ?? -1,
        reservation?.requestId ?? '',
        k,
        now + this.config.reservationTtlMs,
      );
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
    return this.decision(r);
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
   * After the response: the reservation becomes the real cost, held until metering counts it. Off the
   * client's path, and gathered for SETTLE_BATCH_MS into one script call per owner (issue #14: one Redis call
   * per request on the hot path). When it fails, the worst case stays reserved until metering or the expiry
   * frees it.
   */
  settle(p: Principal, reservation: Reservation, costMicros: number) {
    if (this.fallback.holds(reservation.requestId))
      return this.fallback.settle(reservation.requestId, costMicros);
    const tag = ownerTag(p.record.owner.type, p.record.owner.id);
    let pairs = this.settles.get(tag);
    if (!pairs) this.settles.set(tag, (pairs = []));
    pairs.push(reservation.requestId, costMicros);
    if (pairs.length >= SETTLE_BATCH_MAX * 2) this.flushSettles();
    else this.settleTimer ??= setTimeout(() => this.flushSettles(), SETTLE_BATCH_MS);
  }

  /** Sends the gathered settles now (also at shutdown). */
  flushSettles() {
    clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    const expires = Date.now() + this.config.settledTtlMs;
    for (const [tag, pairs] of this.settles)
      (this.redis as LimitsRedis)
        .gwSettle(SPEND_KEYS.reservations(tag), SPEND_KEYS.reservationExpiry(tag), expires, ...pairs)
        .catch((err: unknown) => this.logger.debug({ err }, 'reservations not settled'));
    this.settles.clear();
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
