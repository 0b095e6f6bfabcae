import { usageId } from './usage-id.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('usageId', () => {
  it('is a UUID version 7 whose first 48 bits are the time in ms', () => {
    const now = Date.UTC(2026, 10, 26, 12, 0, 0, 123);
    const id = usageId(now);
    expect(id).toMatch(V7);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(now);
  });

  it('sorts by time as text, across a change in the number of hex digits used', () => {
    const times = [0, 1, 0xfff, 0x1000, Date.now(), 2 ** 48 - 1];
    const ids = times.map((t) => usageId(t));
    expect([...ids].sort()).toEqual(ids);
  });

  it('keeps the random part random: no two ids in the same ms repeat', () => {
    const now = Date.now();
    const ids = new Set(Array.from({ length: 10_000 }, () => usageId(now)));
    expect(ids.size).toBe(10_000);
  });

  it('stays a well-formed id for a time outside 48 bits of whole ms', () => {
    for (const t of [-1, 1.5, 2 ** 48, Number.NaN]) expect(usageId(t)).toMatch(V7);
  });
});
