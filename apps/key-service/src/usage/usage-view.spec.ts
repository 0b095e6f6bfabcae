import { inCurrency, toUsageView } from './usage-view.js';

const usd = { code: 'USD', microsPerCredit: 1_000_000 };

describe('inCurrency', () => {
  it('shows micro-credits in the currency with 2 decimals, rounded half up', () => {
    expect(inCurrency(45_500_000, usd)).toBe('45.50');
    expect(inCurrency(0, usd)).toBe('0.00');
    expect(inCurrency(4_999, usd)).toBe('0.00');
    expect(inCurrency(5_000, usd)).toBe('0.01');
    expect(inCurrency(1_000_000_000_000_000, usd)).toBe('1000000000.00');
    // 1 credit = 1.25 EUR
    expect(inCurrency(2_000_000, { code: 'EUR', microsPerCredit: 1_250_000 })).toBe('2.50');
  });
});

describe('toUsageView', () => {
  const n = (costMicros: number) => ({
    requests: 2,
    promptTokens: 20,
    completionTokens: 40,
    costMicros,
    unpricedRequests: 0,
  });
  it('turns micro-credits into credits and shows used / limit', () => {
    const view = toUsageView(
      { totals: n(1_500_000), series: [{ date: '2026-11-22', ...n(1_500_000) }], byModel: [] },
      { from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-11-22T12:00:00Z') },
      { type: 'monthly', period: '2026-11', usedMicros: 45_500_000, limitMicros: 100_000_000 },
      usd,
    );
    expect(view.totals.cost).toBe(1.5);
    expect(view.series[0]).toMatchObject({ date: '2026-11-22', cost: 1.5, costInCurrency: '1.50' });
    expect(view.totals.costInCurrency).toBe('1.50');
    expect(view.quota).toEqual({
      type: 'monthly',
      period: '2026-11',
      used: { credits: 45.5, currency: '45.50' },
      limit: { credits: 100, currency: '100.00' },
      currencyCode: 'USD',
      display: '45.50 / 100.00',
    });
  });

  it('says unlimited when there is no limit', () => {
    const view = toUsageView(
      { totals: n(0), series: [], byModel: [] },
      { from: new Date(0), to: new Date(1) },
      { type: 'unlimited', period: null, usedMicros: 45_500_000, limitMicros: null },
      usd,
    );
    expect(view.quota.display).toBe('45.50 / unlimited');
    expect(view.quota.limit).toBeNull();
  });
});
