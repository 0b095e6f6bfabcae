import { creditsToMicros, microsToCredits } from './money.js';

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
