// In-process cache of principals by key hash: the hot path's only source of key data. Bounded by a TTL,
// evicted by keys.events.*, cleared when NATS reconnects (events may have been missed meanwhile).
import type { ErrorCode, OwnerRef } from '@gw/contracts';
import type { Principal } from '@gw/access';

type Entry = { principal: Principal; expiresAt: number } | { error: ErrorCode; expiresAt: number };

const MAX_ENTRIES = 100_000;

export class PrincipalCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly negativeTtlMs: number,
  ) {}

  get(hash: string, now: number): Entry | undefined {
    const e = this.entries.get(hash);
    if (!e) return undefined;
    if (e.expiresAt <= now) {
      this.entries.delete(hash);
      return undefined;
    }
    return e;
  }

  put(hash: string, principal: Principal, now: number) {
    let expiresAt = now + this.ttlMs;
    // An old secret in its grace period must leave the cache when the grace ends.
    if (principal.secretValidUntilMs !== null) expiresAt = Math.min(expiresAt, principal.secretValidUntilMs);
    this.set(hash, { principal, expiresAt });
  }

  putError(hash: string, error: ErrorCode, now: number) {
    this.set(hash, { error, expiresAt: now + this.negativeTtlMs });
  }

  private set(hash: string, entry: Entry) {
    // Bounded: drop the oldest insertion when full (Map keeps insertion order).
    if (this.entries.size >= MAX_ENTRIES && !this.entries.has(hash)) {
      this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(hash, entry);
  }

  evict(hashes: readonly string[]) {
    for (const h of hashes) this.entries.delete(h);
  }

  evictWhere(match: (p: Principal) => boolean) {
    for (const [hash, e] of this.entries)
      if ('principal' in e && match(e.principal)) this.entries.delete(hash);
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
