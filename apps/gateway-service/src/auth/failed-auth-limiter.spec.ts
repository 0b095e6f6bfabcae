import { type ClientWindow, FailedAuthLimiter, limitedAddress } from './failed-auth-limiter.js';

const MINUTE = 60_000;

function fail(l: FailedAuthLimiter, address: string, times: number, now: number) {
  for (let i = 0; i < times; i++) l.recordFailure(address, now);
}

describe('failed authentications per address', () => {
  it('lets an address fail `limit` times, then refuses it until the window has slid past', () => {
    const l = new FailedAuthLimiter(20);
    const t0 = 1_000_000;
    fail(l, '10.0.0.1', 19, t0);
    expect(l.retryAfterMs('10.0.0.1', t0)).toBe(0);
    fail(l, '10.0.0.1', 1, t0 + 10);
    const wait = l.retryAfterMs('10.0.0.1', t0 + 10);
    expect(wait).toBe(MINUTE - 10 + 1);
    expect(l.retryAfterMs('10.0.0.1', t0 + 10 + wait - 2)).toBeGreaterThan(0);
    // Another address is not affected.
    expect(l.retryAfterMs('10.0.0.2', t0 + 10)).toBe(0);
    // Once allowed again, the old window still weighs: only a few more failures fit at first.
    const later = t0 + 10 + wait;
    expect(l.retryAfterMs('10.0.0.1', later)).toBe(0);
    l.recordFailure('10.0.0.1', later);
    expect(l.retryAfterMs('10.0.0.1', later)).toBeGreaterThan(0);
  });

  it('slides: failures half a window old count half', () => {
    const l = new FailedAuthLimiter(10);
    const t0 = 0;
    fail(l, 'a', 8, t0);
    // Next window, half way through: 8 × ½ + 5 = 9 < 10.
    fail(l, 'a', 5, t0 + MINUTE * 1.5);
    expect(l.retryAfterMs('a', t0 + MINUTE * 1.5)).toBe(0);
    // 8 × ½ + 6 = 10: at the limit; the old window's weight falls below it a moment later.
    l.recordFailure('a', t0 + MINUTE * 1.5);
    expect(l.retryAfterMs('a', t0 + MINUTE * 1.5)).toBe(1);
    // 15 in this window alone: refused until the next window is a third through (15 × ⅔ = 10).
    fail(l, 'a', 9, t0 + MINUTE * 1.5);
    expect(l.retryAfterMs('a', t0 + MINUTE * 1.5)).toBe(50_001);
    // Two windows after the last failure nothing counts.
    expect(l.retryAfterMs('a', t0 + MINUTE * 3.5)).toBe(0);
  });

  it('counts lookups in flight, so a concurrent burst cannot pass the limit', () => {
    const l = new FailedAuthLimiter(3);
    const started: ClientWindow[] = [];
    for (let i = 0; i < 3; i++) {
      expect(l.retryAfterMs('b', 0)).toBe(0);
      started.push(l.beginLookup('b', 0));
    }
    expect(l.retryAfterMs('b', 0)).toBe(1_000);
    for (const w of started) l.endLookup(w);
    expect(l.retryAfterMs('b', 0)).toBe(0);
    // Lookups that succeed leave no entry behind.
    expect(l.size).toBe(0);
  });

  it('tracks a bounded number of addresses, dropping stale ones first, then the least recent', () => {
    const l = new FailedAuthLimiter(5, 1_000);
    for (let i = 0; i < 10_000; i++) l.recordFailure(`10.1.${i >> 8}.${i & 255}`, i);
    expect(l.size).toBe(1_000);
    fail(l, 'recent', 5, 10_000);
    expect(l.retryAfterMs('recent', 10_000)).toBeGreaterThan(0);
    // Two windows on, everything earlier is stale and swept by the next newcomer.
    l.recordFailure('newcomer', 10_000 + 2 * MINUTE);
    expect(l.size).toBe(1);
  });

  it('counts an IPv6 /64 as one address, and IPv4-mapped addresses as IPv4', () => {
    expect(limitedAddress('203.0.113.9')).toBe('203.0.113.9');
    expect(limitedAddress('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(limitedAddress('2001:db8:1:2::1')).toBe(limitedAddress('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(limitedAddress('2001:db8:1:2::1')).not.toBe(limitedAddress('2001:db8:1:3::1'));
    expect(limitedAddress('::1')).toBe('0::/64');
  });
});
