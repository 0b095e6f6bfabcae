import { NegativeCache } from './negative-cache.js';

const hash = (i: number) => i.toString(16).padStart(64, '0');

describe('negative cache', () => {
  it('keeps at most its bound, however many verdicts arrive, dropping the oldest', () => {
    const c = new NegativeCache(5_000, 100);
    for (let i = 0; i < 1_000; i++) c.put(hash(i), 'invalid_api_key', 1_000);
    expect(c.size).toBe(100);
    expect(c.get(hash(899), 1_000)).toBeUndefined();
    expect(c.get(hash(900), 1_000)).toBe('invalid_api_key');
    expect(c.get(hash(999), 1_000)).toBe('invalid_api_key');
  });

  it('forgets a verdict after its TTL, and sweeps expired ones as new ones arrive', () => {
    const c = new NegativeCache(5_000, 100);
    for (let i = 0; i < 50; i++) c.put(hash(i), 'key_disabled', 0);
    expect(c.get(hash(0), 4_999)).toBe('key_disabled');
    expect(c.get(hash(0), 5_000)).toBeUndefined();
    c.put(hash(1_000), 'invalid_api_key', 5_000);
    expect(c.size).toBe(1);
  });

  it('a verdict put again lives its full TTL from then, and is not dropped as the oldest', () => {
    const c = new NegativeCache(5_000, 3);
    c.put(hash(1), 'invalid_api_key', 0);
    c.put(hash(2), 'invalid_api_key', 1);
    c.put(hash(1), 'key_revoked', 2);
    c.put(hash(3), 'invalid_api_key', 3);
    c.put(hash(4), 'invalid_api_key', 4);
    expect(c.get(hash(2), 5)).toBeUndefined();
    expect(c.get(hash(1), 5_001)).toBe('key_revoked');
  });

  it('evicts by hash and by verdict', () => {
    const c = new NegativeCache(5_000, 100);
    c.put(hash(1), 'invalid_api_key', 0);
    c.put(hash(2), 'account_restricted', 0);
    c.put(hash(3), 'key_disabled', 0);
    c.evict([hash(3)]);
    expect(c.get(hash(3), 1)).toBeUndefined();
    c.evictWhere((code) => code !== 'invalid_api_key');
    expect([c.get(hash(1), 1), c.get(hash(2), 1)]).toEqual(['invalid_api_key', undefined]);
    c.clear();
    expect(c.size).toBe(0);
  });
});
