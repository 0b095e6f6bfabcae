// The usage page's periods and the days a chart spans, in UTC like the usage series.

export const PERIODS = ['month', 'd7', 'd30', 'd90'] as const;
export type Period = (typeof PERIODS)[number];

/** The period's range: from the start of the UTC month or of the UTC day n days back, to now. */
export function rangeOf(period: Period, now = new Date()): { from?: string } {
  if (period === 'month') return {};
  const days = { d7: 7, d30: 30, d90: 90 }[period];
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (days - 1)));
  return { from: from.toISOString() };
}

/** Every UTC day from `from` up to (not including) `to`, as YYYY-MM-DD. */
export function daysOf(from: string, to: string): string[] {
  const days: string[] = [];
  const end = new Date(to).getTime();
  for (let d = new Date(from.slice(0, 10) + 'T00:00:00Z'); d.getTime() < end && days.length < 400;) {
    days.push(d.toISOString().slice(0, 10));
    d = new Date(d.getTime() + 86_400_000);
  }
  return days;
}
