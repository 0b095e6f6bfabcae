// Verdicts of auth.verify that are not principals (unknown, revoked, disabled, expired, owner suspended), by
// key hash, for a short TTL: a refused key is not looked up again on every request. Bounded on its own, apart
// from the principal cache, because anyone can mint keys with a valid checksum (CRC32 is public).
import type { ErrorCode } from '@gw/contracts';

interface Verdict {
  readonly code: ErrorCode;
  readonly expiresAt: number;
}

export class NegativeCache {
  private readonly verdicts = new Map<string, Verdict>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  get(hash: string, now: number): ErrorCode | undefined {
    const v = this.verdicts.get(hash);
    if (v === undefined) return undefined;
    if (v.expiresAt <= now) {
      this.verdicts.delete(hash);
      return undefined;
    }
    return v.code;
  }

  put(hash: string, code: ErrorCode, now: number) {
    // Re-inserted at the end: with one TTL for all, insertion order is expiry order, so the front holds the
    // expired entries (swept here, amortised O(1)) and, when full, the one closest to expiring.
    this.verdicts.delete(hash);
    for (const [oldest, v] of this.verdicts) {
      if (v.expiresAt > now && this.verdicts.size < this.maxEntries) break;
      this.verdicts.delete(oldest);
    }
    this.verdicts.set(hash, { code, expiresAt: now + this.ttlMs });
  }

  evict(hashes: readonly string[]) {
    for (const h of hashes) this.verdicts.delete(h);
  }

  evictWhere(match: (code: ErrorCode) => boolean) {
    for (const [hash, v] of this.verdicts) if (match(v.code)) this.verdicts.delete(hash);
  }

  clear() {
    this.verdicts.clear();
  }

  get size() {
    return this.verdicts.size;
  }
}
