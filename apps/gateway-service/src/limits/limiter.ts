// Step 5 of the hot path: account tier RPM and key RPM/TPM in one Redis round trip (none when no limit
// applies). While Redis is down, a local limiter (limit ÷ replicas) takes over and a metric counts it.
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Principal } from '@gw/access';
import { counter, type Logger, REDIS } from '@gw/platform';
import type { Redis } from 'ioredis';
import { CONFIG, type GatewayConfig, LOGGER } from '../config.js';
import { LocalWindows } from './local-window.js';
import { SLIDING_WINDOW_LUA } from './sliding-window.lua.js';

const WINDOW_MS = 60_000;
const fallbacks = counter(
  'gateway_rate_limit_fallback_total',
  'Rate-limit decisions made locally because Redis failed',
);
const limited = counter('gateway_rate_limited_total', 'Requests refused by a rate limit', ['limit']);

export interface RateDecision {
  allowed: boolean;
  /** Which limit refused: tier RPM, key RPM or key TPM. */
  refusedBy?: 'tier_rpm' | 'key_rpm' | 'key_tpm';
  retryAfterMs: number;
  headers: Record<string, string>;
}

const ALLOW_UNLIMITED: RateDecision = { allowed: true, retryAfterMs: 0, headers: {} };
const REFUSED = ['tier_rpm', 'key_rpm', 'key_tpm'] as const;

/** OpenAI's reset format: "20ms", "1.5s", "6m0s". */
export function formatReset(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

type Redis1 = Redis & {
  gwRateLimit(...args: (string | number)[]): Promise<number[]>;
};

@Injectable()
export class RateLimiter implements OnModuleDestroy {
  private readonly local = new LocalWindows();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    // defineCommand: EVALSHA, with a transparent EVAL when the script is not cached on the server yet.
    this.redis.defineCommand('gwRateLimit', { numberOfKeys: 6, lua: SLIDING_WINDOW_LUA });
    this.sweeper = setInterval(() => this.local.sweep(Date.now(), WINDOW_MS), WINDOW_MS).unref();
  }

  onModuleDestroy() {
    clearInterval(this.sweeper);
  }

  /** `tokens`: this request's token estimate (prompt + output cap), counted against TPM. */
  async check(p: Principal, tokens: number, now: number): Promise<RateDecision> {
    const tierRpm = p.record.tier.rpm ?? 0;
    const keyRpm = p.record.rpm ?? 0;
    const keyTpm = p.record.tpm ?? 0;
    if (!tierRpm && !keyRpm && !keyTpm) return ALLOW_UNLIMITED;
    const idx = Math.floor(now / WINDOW_MS);
    const tag = `{o:${p.record.owner.type}:${p.record.owner.id}}`;
    const k = p.record.id;
    let r: number[];
    try {
      r = await (this.redis as Redis1).gwRateLimit(
        `rl:${tag}:t:${idx}`,
        `rl:${tag}:t:${idx - 1}`,
        `rl:${tag}:k:${k}:${idx}`,
        `rl:${tag}:k:${k}:${idx - 1}`,
        `rl:${tag}:tok:${k}:${idx}`,
        `rl:${tag}:tok:${k}:${idx - 1}`,
        now % WINDOW_MS,
        WINDOW_MS,
        tierRpm,
        keyRpm,
        keyTpm,
        tokens,
      );
    } catch (err) {
      fallbacks.inc();
      this.logger.debug({ err }, 'rate limit fallback to local windows');
      r = this.checkLocally(p, tierRpm, keyRpm, keyTpm, tokens, now);
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

  private decision(r: number[]): RateDecision {
    const [allowed, failed, reqLimit, reqRemaining, tokLimit, tokRemaining, resetMs] = r;
    const headers: Record<string, string> = {};
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
