// Usage report → the REST view: micro-credits to credits, and amounts in the configured currency.
import {
  microsToCredits,
  type UsageNumbers,
  type UsageQueryReply,
  type UsageView,
  type UsageViewNumbers,
} from '@gw/contracts';

export interface Currency {
  code: string;
  /** Currency micro-units per credit (1 credit = 1.25 EUR → 1_250_000). */
  microsPerCredit: number;
}

/** An amount of micro-credits in the currency, 2 decimals, rounded half up: "45.50". */
export function inCurrency(micros: number, currency: Currency): string {
  // micro-credits × currency-micros-per-credit / 1e6 = currency micros; / 1e4 = cents.
  const cents = (BigInt(micros) * BigInt(currency.microsPerCredit) + 5_000_000_000n) / 10_000_000_000n;
  const whole = cents / 100n;
  return `${whole}.${String(cents % 100n).padStart(2, '0')}`;
}

const numbers = (n: UsageNumbers, currency: Currency): UsageViewNumbers => ({
  requests: n.requests,
  promptTokens: n.promptTokens,
  completionTokens: n.completionTokens,
  cost: microsToCredits(n.costMicros),
  costInCurrency: inCurrency(n.costMicros, currency),
  unpricedRequests: n.unpricedRequests,
});

export interface UsageQuota {
  type: UsageView['quota']['type'];
  period: string | null;
  usedMicros: number;
  limitMicros: number | null;
}

export function toUsageView(
  report: UsageQueryReply,
  range: { from: Date; to: Date },
  quota: UsageQuota,
  currency: Currency,
): UsageView {
  const amount = (micros: number) => ({
    credits: microsToCredits(micros),
    currency: inCurrency(micros, currency),
  });
  const used = amount(quota.usedMicros);
  const limit = quota.limitMicros === null ? null : amount(quota.limitMicros);
  return {
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    granularity: 'day',
    totals: numbers(report.totals, currency),
    series: report.series.map((d) => ({ date: d.date, ...numbers(d, currency) })),
    byModel: report.byModel.map((m) => ({ model: m.model, ...numbers(m, currency) })),
    quota: {
      type: quota.type,
      period: quota.period,
      used,
      limit,
      currencyCode: currency.code,
      display: `${used.currency} / ${limit ? limit.currency : 'unlimited'}`,
    },
  };
}
