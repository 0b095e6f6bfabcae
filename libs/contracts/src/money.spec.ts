import { costMicros, creditsToMicros, microsToCredits, utcMonthOf, utcMonthOfIso } from './money.js';

describe('credits and micro-credits', () => {
  it('converts decimal credits exactly', () => {
    expect(creditsToMicros(45.5)).toBe(45_500_000);
    expect(creditsToMicros(0.000001)).toBe(1);
    expect(creditsToMicros(1_000_000_000)).toBe(1_000_000_000_000_000);
    expect(creditsToMicros(0.1 + 0.2)).toBe(300_000);
    expect(microsToCredits(45_500_000)).toBe(45.5);
  });

  it('refuses more than six decimals, negatives and absurd amounts', () => {
    expect(creditsToMicros(0.0000001)).toBeUndefined();
    expect(creditsToMicros(-1)).toBeUndefined();
    expect(creditsToMicros(2e9)).toBeUndefined();
    expect(creditsToMicros(Number.NaN)).toBeUndefined();
  });
});

describe('costMicros', () => {
  it('prices per 1M tokens with the group multiplier, in integer micro-credits', () => {
    // 1,000 prompt tokens at 2.5 credits/1M + 500 completion at 10 credits/1M = 0.0075 credits
    const price = { inputPrice: 2_500_000, outputPrice: 10_000_000 };
    expect(costMicros(1000, 500, price, 1_000_000)).toBe(7500);
    expect(costMicros(1000, 500, price, 1_500_000)).toBe(11_250);
    expect(costMicros(0, 0, price, 1_000_000)).toBe(0);
  });

  it('rounds half up once, at the end, and stays exact for large counts', () => {
    expect(costMicros(1, 0, { inputPrice: 500_000, outputPrice: 0 }, 1_000_000)).toBe(1); // 0.5 → 1
    expect(costMicros(1, 0, { inputPrice: 499_999, outputPrice: 0 }, 1_000_000)).toBe(0);
    expect(costMicros(100_000_000, 100_000_000, { inputPrice: 1e12, outputPrice: 1e12 }, 1e9)).toBe(2e17);
  });
});

describe('utcMonthOfIso', () => {
  it('reads a UTC time by its prefix, and converts one with an offset', () => {
    expect(utcMonthOfIso('2026-11-30T23:59:59.999Z')).toBe('2026-11');
    // 00:30 on 1 December in UTC+1 is still November in UTC; 23:30 on 30 November in UTC-1 is December.
    expect(utcMonthOfIso('2026-12-01T00:30:00+01:00')).toBe('2026-11');
    expect(utcMonthOfIso('2026-11-30T23:30:00-01:00')).toBe('2026-12');
  });
});

describe('utcMonthOf', () => {
  it('names the UTC month of each time, across month and year ends, in any order of calls', () => {
    const at = (iso: string) => utcMonthOf(Date.parse(iso));
    expect(at('2026-11-30T23:59:59.999Z')).toBe('2026-11');
    expect(at('2026-12-01T00:00:00.000Z')).toBe('2026-12');
    expect(at('2026-11-30T23:59:59.999Z')).toBe('2026-11');
    expect(at('2026-12-31T23:59:59.999Z')).toBe('2026-12');
    expect(at('2027-01-01T00:00:00.000Z')).toBe('2027-01');
    expect(at('2024-02-29T12:00:00.000Z')).toBe('2024-02');
    expect(at('2024-03-01T00:00:00.000Z')).toBe('2024-03');
    expect(at('1970-01-01T00:00:00.000Z')).toBe('1970-01');
    expect(() => utcMonthOf(Number.NaN)).toThrow(RangeError);
    // Years 0–99 (Date.UTC reads them as 1900–1999) and before 1970, after a month was kept.
    expect(at('0050-03-10T00:00:00.000Z')).toBe('0050-03');
    expect(at('1950-03-20T00:00:00.000Z')).toBe('1950-03');
    expect(at('2026-11-15T00:00:00.000Z')).toBe('2026-11');
    expect(at('0050-03-10T00:00:00.000Z')).toBe('0050-03');
    expect(utcMonthOf(Date.UTC(1969, 11, 1) - 0.5)).toBe(
      new Date(Date.UTC(1969, 11, 1) - 0.5).toISOString().slice(0, 7),
    );
  });
});
