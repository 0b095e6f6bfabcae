// Steps 1–4 of the hot path: bearer → format → hash → cached principal (auth.verify on a miss) → checks.
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import {
  type ErrorCode,
  type KeyChangedEvent,
  type KeyDeletedEvent,
  type Permission,
  type QuotaExhaustedEvent,
  SUBJECTS,
} from '@gw/contracts';
import { type AccessContext, checkAccess, compilePrincipal, type Principal } from '@gw/access';
import { hashKey, type KeyFormat } from '@gw/key-format';
import { counter, type Logger, NatsClient } from '@gw/platform';
import { CONFIG, type GatewayConfig, LOGGER } from '../config.js';
import { PrincipalCache } from './principal-cache.js';

export const KEY_FORMAT = Symbol('KEY_FORMAT');

const lookups = counter('gateway_principal_lookups_total', 'Principal cache lookups', ['result']);
/** After a key event, misses bypass auth-service's Redis cache this long: it may not have evicted yet. */
const FRESH_WINDOW_MS = 2_000;

export type AuthResult = { ok: true; principal: Principal } | { ok: false; code: ErrorCode };

@Injectable()
export class Authenticator implements OnApplicationBootstrap {
  readonly cache: PrincipalCache;
  private freshUntil = 0;

  constructor(
    private readonly nats: NatsClient,
    @Inject(KEY_FORMAT) private readonly format: KeyFormat,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.cache = new PrincipalCache(config.principalTtlMs, config.negativeTtlMs);
  }

  onApplicationBootstrap() {
    this.nats.subscribe(SUBJECTS.events.allKeyEvents, (payload, subject) =>
      this.onKeyEvent(subject, payload),
    );
    this.nats.onReconnect(() => {
      this.logger.info({ dropped: this.cache.size }, 'NATS reconnected: principal cache cleared');
      this.cache.clear();
    });
  }

  /** Resolves the principal of an Authorization header, without I/O when cached. */
  async authenticate(
    header: string | undefined,
    ctx: AccessContext & { permission: Permission },
  ): Promise<AuthResult> {
    if (!header || header.length < 8 || header.slice(0, 7).toLowerCase() !== 'bearer ')
      return { ok: false, code: 'missing_api_key' };
    const key = header.slice(7).trim();
    if (!this.format.parse(key).ok) return { ok: false, code: 'invalid_api_key' };
    const hash = hashKey(key);
    const now = Date.now();
    let entry = this.cache.get(hash, now);
    if (entry) lookups.inc({ result: 'hit' });
    else {
      lookups.inc({ result: 'miss' });
      const fresh = now < this.freshUntil;
      const reply = await this.nats.request('auth.verify', { hash, fresh }, this.config.authTimeoutMs);
      if (reply.ok) this.cache.put(hash, compilePrincipal(reply.data.principal), now);
      else if (reply.error.code !== 'service_unavailable' && reply.error.code !== 'internal_error') {
        this.cache.putError(hash, reply.error.code, now);
      }
      if (!reply.ok) return { ok: false, code: reply.error.code };
      entry = this.cache.get(hash, now)!;
    }
    if ('error' in entry) return { ok: false, code: entry.error };
    const error = checkAccess(entry.principal, ctx, now);
    return error ? { ok: false, code: error } : { ok: true, principal: entry.principal };
  }

  private onKeyEvent(subject: string, payload: unknown) {
    this.freshUntil = Date.now() + FRESH_WINDOW_MS;
    if (subject === SUBJECTS.events.keyChanged) {
      const e = payload as KeyChangedEvent;
      if (e.scope === 'key') {
        this.cache.evict(e.hashes ?? []);
      } else if (e.scope === 'owner') this.cache.evictOwner(e.owner);
      else if (e.scope === 'tier') this.cache.evictWhere((p) => p.record.tier.name === e.tier);
    } else if (subject === SUBJECTS.events.keyDeleted) {
      const e = payload as KeyDeletedEvent;
      this.cache.evict(e.hashes ?? []);
    } else if (subject === SUBJECTS.events.quotaExhausted) {
      const e = payload as QuotaExhaustedEvent;
      if (e.keyId) this.cache.evictKey(e.keyId);
      else this.cache.evictOwner(e.owner);
    }
  }
}
