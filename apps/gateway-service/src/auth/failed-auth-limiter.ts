// Failed authentications per client address, per replica, in memory: keys with a valid checksum cost nothing
// to forge, so only a limit per address keeps a flood of them from reaching auth-service and Postgres.
// A sliding one-minute window (two fixed windows, the older one weighted by the part still inside), O(1) per
// call; the address table is bounded and swept as it is used.
import { parseClientIp } from '@gw/contracts';

export interface ClientWindow {
  readonly address: string;
  /** Start of the current window; `prev` counts the window before it. */
  start: number;
  prev: number;
  curr: number;
  /** Lookups this address started that have not answered yet: each may be one more failure. */
  pending: number;
  touched: number;
}

const WINDOW_MS = 60_000;
/** When only lookups in flight hold the limit, they will have answered by then. */
const PENDING_RETRY_MS = 1_000;
const MAX_CLIENTS = 100_000;

export class FailedAuthLimiter {
  /** Ordered by last touch, so stale clients are at the front. */
  private readonly clients = new Map<string, ClientWindow>();

  constructor(
    private readonly limit: number,
    private readonly maxClients = MAX_CLIENTS,
    private readonly windowMs = WINDOW_MS,
  ) {}

  /** How long `address` must wait before an unknown key is looked up for it; 0 when it need not. */
  retryAfterMs(address: string, now: number): number {
    const w = this.clients.get(address);
    if (w === undefined) return 0;
    this.roll(w, now);
    const failures = w.prev * (1 - (now - w.start) / this.windowMs) + w.curr;
    // Lookups in flight count too: a burst of concurrent forged keys must not all pass before one fails.
    if (failures + w.pending < this.limit) return 0;
    if (failures < this.limit) return PENDING_RETRY_MS;
    // When the estimate falls below the limit if nothing else fails: within the next window when this
    // one alone reaches it, else once the previous window's weight has decayed enough.
    const at =
      w.curr >= this.limit
        ? w.start + this.windowMs * (2 - this.limit / w.curr)
        : w.start + this.windowMs * (1 - (this.limit - w.curr) / w.prev);
    return Math.max(1, Math.floor(at - now) + 1);
  }

  recordFailure(address: string, now: number) {
    this.touch(address, now).curr++;
  }

  /** Marks a lookup started for `address`; pass the result to `endLookup` when it answers. */
  beginLookup(address: string, now: number): ClientWindow {
    const w = this.touch(address, now);
    w.pending++;
    return w;
  }

  endLookup(w: ClientWindow) {
    w.pending--;
    // A client whose lookups succeed leaves nothing behind.
    if (w.pending === 0 && w.curr === 0 && w.prev === 0 && this.clients.get(w.address) === w) {
      this.clients.delete(w.address);
    }
  }

  get size() {
    return this.clients.size;
  }

  private touch(address: string, now: number): ClientWindow {
    let w = this.clients.get(address);
    if (w !== undefined) {
      this.clients.delete(address);
      this.roll(w, now);
    } else {
      this.sweep(now);
      w = { address, start: now, prev: 0, curr: 0, pending: 0, touched: now };
    }
    w.touched = now;
    this.clients.set(address, w);
    return w;
  }

  private roll(w: ClientWindow, now: number) {
    const elapsed = now - w.start;
    if (elapsed < this.windowMs) return;
    const adjacent = elapsed < 2 * this.windowMs;
    w.prev = adjacent ? w.curr : 0;
    w.start = adjacent ? w.start + this.windowMs : now;
    w.curr = 0;
  }

  /** Drops clients untouched for two windows (nothing of theirs counts any more), and the least recent when full. */
  private sweep(now: number) {
    for (const [address, w] of this.clients) {
      const stale = w.pending === 0 && now - w.touched >= 2 * this.windowMs;
      if (!stale && this.clients.size < this.maxClients) break;
      this.clients.delete(address);
    }
  }
}

/**
 * The unit the limit counts: an IPv4 address (also when written IPv4-mapped), or an IPv6 /64 — one host or
 * LAN usually holds a whole /64, so single IPv6 addresses would be free to rotate.
 */
export function limitedAddress(ip: string): string {
  if (!ip.includes(':')) return ip;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  const parsed = parseClientIp(ip);
  return parsed?.version === 6 ? `${(parsed.value >> 64n).toString(16)}::/64` : ip;
}
