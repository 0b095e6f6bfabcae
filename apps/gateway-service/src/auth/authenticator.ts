// Steps 1–4 of the hot path: bearer → format → hash → cached principal (auth.verify on a miss) → checks.
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import {
  type ErrorCode,
  type KeyChangedEvent,
  type KeyDeletedEvent,
  type QuotaExhaustedEvent,
  SUBJECTS,
} from '@gw/contracts';
import { type AccessContext, checkAccess, compilePrincipal, type Principal } from '@gw/access';
import { hashKey, type KeyFormat } from '@gw/key-format';
import { counter, type Logger, NatsClient } from '@gw/platform';
import { CONFIG, type GatewayConfig, LOGGER } from '../config.js';
import { type ClientWindow, FailedAuthLimiter, limitedAddress } from './failed-auth-limiter.js';
import { NegativeCache } from './negative-cache.js';
import { KnownKeys } from './known-keys.js';
import { PrincipalCache } from './principal-cache.js';

export const KEY_FORMAT = Symbol('KEY_FORMAT');

/** An auth.verify in flight; `stale` once an event that may concern its key arrived. */
type Lookup = { stale: boolean; answer: Promise<Principal | ErrorCode> };

const lookups = counter('gateway_principal_lookups_total', 'Principal cache lookups', ['result']);
// Children bound once: the hit path pays for no label lookup.
const hit = lookups.labels('hit');
const negativeHit = lookups.labels('negative');
const shared = lookups.labels('shared');
const miss = lookups.labels('miss');
const authFailures = counter(
  'gateway_auth_failures_total',
  'Failed authentications counted against the client address (malformed, bad checksum, unknown key)',
  ['reason'],
);
const authBlocked = counter(
  'gateway_auth_blocked_total',
  'Requests refused (429) without a lookup: their address made too many failed authentications',
);
/** After a key event, misses bypass auth-service's Redis cache this long: it may not have evicted yet. */
const FRESH_WINDOW_MS = 2_000;
const MISSING: AuthResult = Object.freeze({ ok: false, code: 'missing_api_key' });

export type AuthResult =
  | { ok: true; principal: Principal }
  /** `retryAfterMs` comes with `rate_limit_exceeded`: the caller sends it as Retry-After. */
  | { ok: false; code: ErrorCode; retryAfterMs?: number };

type FailureReason = 'format' | 'checksum' | 'unknown';

@Injectable()
export class Authenticator implements OnApplicationBootstrap {
  readonly cache: PrincipalCache;
  readonly negative: NegativeCache;
  readonly limiter: FailedAuthLimiter;
  /** One auth.verify per hash at a time: concurrent misses share its answer. */
  private readonly inflight = new Map<string, Lookup>();
  private readonly known = new KnownKeys();
  private freshUntil = 0;

  constructor(
    private readonly nats: NatsClient,
    @Inject(KEY_FORMAT) private readonly format: KeyFormat,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.cache = new PrincipalCache(config.principalTtlMs);
    this.negative = new NegativeCache(config.negativeTtlMs, config.negativeCacheMaxEntries);
    this.limiter = new FailedAuthLimiter(config.failedAuthPerMinute);
  }

  onApplicationBootstrap() {
    this.nats.onReconnect(() => {
      this.logger.info(
        { dropped: this.cache.size, droppedNegative: this.negative.size },
        'NATS reconnected: principal caches cleared',
      );
      this.forgetLookups();
      this.cache.clear();
      this.negative.clear();
    });
  }

  /** Resolves the principal of an Authorization header, without I/O when cached. */
  async authenticate(header: string | undefined, ctx: AccessContext): Promise<AuthResult> {
    if (header === undefined || header.length < 8) return MISSING;
    if (!header.startsWith('Bearer ') && header.slice(0, 7).toLowerCase() !== 'bearer ') return MISSING;
    const key = header.slice(7).trim();
    // A cached hash is a key that passed the format check when it was cached: a hit skips the checksum,
    // which costs more than the hash.
    const hash = hashKey(key);
    const now = Date.now();
    const entry = this.cache.get(hash, now);
    if (entry !== undefined) {
      hit.inc();
      const error = checkAccess(entry.principal, ctx, now);
      return error === null ? entry.granted : { ok: false, code: error };
    }
    return this.authenticateUncached(key, hash, ctx, now);
  }

  private async authenticateUncached(
    key: string,
    hash: string,
    ctx: AccessContext,
    now: number,
  ): Promise<AuthResult> {
    const address = ctx.clientIp === undefined ? undefined : limitedAddress(ctx.clientIp);
    if (address !== undefined && !this.known.has(hash, now)) {
      const retryAfterMs = this.limiter.retryAfterMs(address, now);
      if (retryAfterMs > 0) {
        authBlocked.inc();
        return { ok: false, code: 'rate_limit_exceeded', retryAfterMs };
      }
    }
    const parsed = this.format.parse(key);
    if (!parsed.ok) return this.failed(address, parsed.reason === 'checksum' ? 'checksum' : 'format', now);
    const refused = this.negative.get(hash, now);
    if (refused !== undefined) {
      negativeHit.inc();
      return refused === 'invalid_api_key'
        ? this.failed(address, 'unknown', now)
        : { ok: false, code: refused };
    }
    let lookup = this.inflight.get(hash)?.answer;
    let started: ClientWindow | undefined;
    if (lookup !== undefined) shared.inc();
    else {
      if (address !== undefined) started = this.limiter.beginLookup(address, now);
      lookup = this.lookup(hash);
    }
    let verdict: Principal | ErrorCode;
    try {
      verdict = await lookup;
    } finally {
      if (started !== undefined) this.limiter.endLookup(started);
    }
    if (typeof verdict === 'string') {
      return verdict === 'invalid_api_key'
        ? this.failed(address, 'unknown', Date.now())
        : { ok: false, code: verdict };
    }
    const error = checkAccess(verdict, ctx, now);
    return error === null ? { ok: true, principal: verdict } : { ok: false, code: error };
  }

  private failed(address: string | undefined, reason: FailureReason, now: number): AuthResult {
    authFailures.inc({ reason });
    if (address !== undefined) this.limiter.recordFailure(address, now);
    return { ok: false, code: 'invalid_api_key' };
  }

  private lookup(hash: string): Promise<Principal | ErrorCode> {
    const lookup: Lookup = { stale: false, answer: undefined! };
    lookup.answer = this.verify(hash, Date.now() < this.freshUntil, lookup);
    this.inflight.set(hash, lookup);
    const forget = () => {
      if (this.inflight.get(hash) === lookup) this.inflight.delete(hash);
    };
    lookup.answer.then(forget, forget);
    return lookup.answer;
  }

  private async verify(hash: string, fresh: boolean, lookup: Lookup): Promise<Principal | ErrorCode> {
    miss.inc();
    const reply = await this.nats.request('auth.verify', { hash, fresh }, this.config.authTimeoutMs);
    // An event that may concern this key arrived meanwhile: the answer may predate it, so it serves the
    // requests that asked but is not cached.
    const current = !lookup.stale;
    const now = Date.now();
    if (reply.ok) {
      const principal = compilePrincipal(reply.data.principal);
      this.known.add(hash, now);
      if (current) this.cache.put(hash, principal, now);
      return principal;
    }
    const code = reply.error.code;
    // service_unavailable and internal_error say nothing about the key: the next request asks again.
    if (current && code !== 'service_unavailable' && code !== 'internal_error') {
      this.negative.put(hash, code, now);
    }
    return code;
  }

  /**
   * Lookups in flight may answer from before a change: later requests must not join them, and their answers
   * are not cached. With `hashes`, only those keys' lookups (an event about one key says nothing of others).
   */
  private forgetLookups(hashes?: readonly string[]) {
    const forget = (hash: string) => {
      const l = this.inflight.get(hash);
      if (l) l.stale = true;
      this.inflight.delete(hash);
    };
    for (const hash of hashes ?? [...this.inflight.keys()]) forget(hash);
  }

  /** Every key event (KeyEventsController; fan-out: every replica gets each). */
  onKeyEvent(subject: string, payload: unknown) {
    this.freshUntil = Date.now() + FRESH_WINDOW_MS;
    const keyScoped =
      subject === SUBJECTS.events.keyDeleted ||
      (subject === SUBJECTS.events.keyChanged && (payload as KeyChangedEvent).scope === 'key');
    this.forgetLookups(keyScoped ? ((payload as { hashes?: string[] }).hashes ?? []) : undefined);
    if (subject === SUBJECTS.events.keyChanged) {
      const e = payload as KeyChangedEvent;
      if (e.scope === 'key') {
        // e.g. a disabled key enabled again: its cached refusal goes too.
        this.cache.evict(e.hashes ?? []);
        this.negative.evict(e.hashes ?? []);
      } else if (e.scope === 'owner') {
        this.cache.evictOwner(e.owner);
        // Refusals carry no owner; any but "unknown" (e.g. account_restricted) may be this owner's.
        this.negative.evictWhere((code) => code !== 'invalid_api_key');
      } else if (e.scope === 'tier') this.cache.evictWhere((p) => p.record.tier.name === e.tier);
    } else if (subject === SUBJECTS.events.keyDeleted) {
      const e = payload as KeyDeletedEvent;
      this.cache.evict(e.hashes ?? []);
      this.negative.evict(e.hashes ?? []);
    } else if (subject === SUBJECTS.events.quotaExhausted) {
      const e = payload as QuotaExhaustedEvent;
      if (e.keyId) this.cache.evictKey(e.keyId);
      else this.cache.evictOwner(e.owner);
    }
  }
}
