// The in-process fallback while Redis is down: the same sliding window, with each limit divided by the
// number of replicas so the fleet stays near the global limit.
interface Counter {
  window: number;
  cur: number;
  prev: number;
}

export class LocalWindows {
  private readonly counters = new Map<string, Counter>();

  /** Takes `cost` from `key` if it fits under `limit`; returns the remaining or -1 when it does not fit. */
  take(key: string, limit: number, cost: number, now: number, windowMs: number): number {
    const idx = Math.floor(now / windowMs);
    let c = this.counters.get(key);
    if (!c) {
      c = { window: idx, cur: 0, prev: 0 };
      this.counters.set(key, c);
    }
    if (c.window !== idx) {
      c.prev = c.window === idx - 1 ? c.cur : 0;
      c.cur = 0;
      c.window = idx;
    }
    const used = c.prev * ((windowMs - (now % windowMs)) / windowMs) + c.cur;
    if (used + cost > limit) return -1;
    c.cur += cost;
    return Math.floor(limit - used - cost);
  }

  /** Keeps memory bounded: windows older than the previous one carry no information. */
  sweep(now: number, windowMs: number) {
    const idx = Math.floor(now / windowMs);
    for (const [k, c] of this.counters) if (c.window < idx - 1) this.counters.delete(k);
  }
}
