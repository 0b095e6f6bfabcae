// In-process cache of principals by key hash: the hot path's only source of key data. Bounded by a TTL,
// evicted by keys.events.*, cleared when NATS reconnects (events may have been missed meanwhile). Only real
// principals live here: verdicts on unknown or refused keys have their own cache (negative-cache.ts), so no
// number of forged keys can push a principal out.
import type { OwnerRef } from '@gw/contracts';
import type { Principal } from '@gw/access';

export interface PrincipalEntry {
  readonly principal: Principal;
  readonly expiresAt: number;
  /** The success answer, built once: a cache hit allocates nothing for it. */
  readonly granted: { readonly ok: true; readonly principal: Principal };
}

const MAX_ENTRIES = 100_000;

export class PrincipalCache {
  private readonly entries = new Map<string, PrincipalEntry>();

  constructor(private readonly ttlMs: number) {}

  get(hash: string, now: number): PrincipalEntry | undefined {
    const e = this.entries.get(hash);
    if (e === undefined) return undefined;
    if (e.expiresAt <= now) {
      this.entries.delete(hash);
      return undefined;
    }
    return e;
  }

  put(hash: string, principal: Principal, now: number): PrincipalEntry {
    let expiresAt = now + this.ttlMs;
    // An old secret in its grace period must leave the cache when the grace ends.
    if (principal.secretValidUntilMs !== null) expiresAt = Math.min(expiresAt, principal.secretValidUntilMs);
    const entry: PrincipalEntry = { principal, expiresAt, granted: Object.freeze({ ok: true, principal }) };
    // Bounded: drop the oldest insertion when full (Map keeps insertion order).
    if (this.entries.size >= MAX_ENTRIES && !this.entries.has(hash)) {
      this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(hash, entry);
    return entry;
  }

  evict(hashes: readonly string[]) {
    for (const h of hashes) this.entries.delete(h);
  }

  evictWhere(match: (p: Principal) => boolean) {
    for (const [hash, e] of this.entries) if (match(e.principal)) this.entries.delete(hash);
  }

  evictOwner(owner: OwnerRef) {
    this.evictWhere((p) => p.record.owner.type === owner.type && p.record.owner.id === owner.id);
  }

  evictKey(keyId: string) {
    this.evictWhere((p) => p.record.id === keyId);
  }

  clear() {
    this.entries.clear();
  }

  get size() {
    return this.entries.size;
  }
}
