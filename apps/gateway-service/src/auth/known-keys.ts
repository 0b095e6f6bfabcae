// Hashes that were real keys recently. A client address over its failed-authentication limit is still
// served for these when they drop out of the principal cache (its TTL, an event, a NATS reconnect), so a
// broken client behind a shared address (an ingress without TRUSTED_PROXIES, a NAT) cannot lock out the
// working keys behind it. Bounded: the oldest entry goes first.
const MAX_ENTRIES = 200_000;
const TTL_MS = 24 * 3_600_000;

export class KnownKeys {
  private readonly seen = new Map<string, number>();

  add(hash: string, now: number) {
    this.seen.delete(hash);
    if (this.seen.size >= MAX_ENTRIES) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(hash, now + TTL_MS);
  }

  has(hash: string, now: number): boolean {
    const until = this.seen.get(hash);
    return until !== undefined && until > now;
  }
}
