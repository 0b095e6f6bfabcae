import { daysOf, rangeOf } from './range';

describe('usage periods', () => {
  const now = new Date('2026-11-26T15:30:00Z');
  it('starts the last n days at the UTC midnight n-1 days back; this month uses the server default', () => {
    expect(rangeOf('month', now)).toEqual({});
    expect(rangeOf('d7', now)).toEqual({ from: '2026-11-20T00:00:00.000Z' });
    expect(rangeOf('d30', now)).toEqual({ from: '2026-10-28T00:00:00.000Z' });
  });

  it('lists every UTC day a range touches, across months, bounded', () => {
    expect(daysOf('2026-10-30T00:00:00.000Z', '2026-11-02T10:00:00.000Z')).toEqual([
      '2026-10-30',
      '2026-10-31',
      '2026-11-01',
      '2026-11-02',
    ]);
    expect(daysOf('2000-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')).toHaveLength(400);
  });
});
