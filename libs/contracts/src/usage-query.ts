// Usage queries answered by metering-service (NATS) and shown by key-service (REST).
import { z } from 'zod';
import { OwnerRef } from './owners.js';
import type { ModelPriceView, PricingGroupView } from './pricing.js';

const Period = z.string().regex(/^(lifetime|\d{4}-(0[1-9]|1[0-2]))$/, "'lifetime' or 'YYYY-MM'");
/** Longest range one query may cover. */
export const MAX_USAGE_RANGE_DAYS = 366;

/** The range is checked (from < to, at most MAX_USAGE_RANGE_DAYS) once its defaults are filled in. */
export const UsageRangeQuery = z.strictObject({
  /** ISO time, inclusive; default the start of the UTC month of `to`. */
  from: z.iso.datetime({ offset: true }).optional(),
  /** ISO time, exclusive; default now. */
  to: z.iso.datetime({ offset: true }).optional(),
  granularity: z.literal('day').default('day'),
});
export type UsageRangeQuery = z.infer<typeof UsageRangeQuery>;

/** metering.usage.query: the caller (key-service) has already checked the actor may see this owner/key. */
export const UsageQueryRequest = z.strictObject({
  owner: OwnerRef,
  keyId: z.uuid().optional(),
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }),
});

export interface UsageNumbers {
  requests: number;
  promptTokens: number;
  completionTokens: number;
  /** Micro-credits. */
  costMicros: number;
  /** Requests for models that had no price when they were recorded (cost 0, flagged). */
  unpricedRequests: number;
}

export interface UsageQueryReply {
  totals: UsageNumbers;
  /** One entry per UTC day that had usage, ascending. */
  series: (UsageNumbers & { date: string })[];
  byModel: (UsageNumbers & { model: string })[];
}

/** metering.spend: Postgres totals, the truth; a missing row is 0. The owner's is its lifetime spend. */
export const SpendRequest = z.strictObject({
  owner: OwnerRef,
  keys: z.array(z.strictObject({ keyId: z.uuid(), period: Period })).max(500),
});
export interface SpendReply {
  /** The owner's lifetime spend (what its credit limit caps). */
  ownerMicros: number;
  /** By key id. */
  keys: Record<string, number>;
}

export interface PricingListReply {
  models: ModelPriceView[];
  groups: PricingGroupView[];
}

/** The REST view of usage: numbers in credits, and the quota in credits and in the configured currency. */
export const UsageViewNumbers = z.object({
  requests: z.number().int(),
  promptTokens: z.number().int(),
  completionTokens: z.number().int(),
  /** Credits. */
  cost: z.number(),
  /** The cost in the configured currency, 2 decimals, e.g. "45.50". */
  costInCurrency: z.string(),
  unpricedRequests: z.number().int(),
});
export type UsageViewNumbers = z.infer<typeof UsageViewNumbers>;

export const UsageAmount = z.object({
  credits: z.number(),
  /** The same amount in the configured currency, 2 decimals, e.g. "45.50". */
  currency: z.string(),
});
export type UsageAmount = z.infer<typeof UsageAmount>;

export const UsageView = z.object({
  from: z.string(),
  to: z.string(),
  granularity: z.literal('day'),
  totals: UsageViewNumbers,
  /** One entry per UTC day that had usage, ascending. */
  series: z.array(UsageViewNumbers.extend({ date: z.string() })),
  byModel: z.array(UsageViewNumbers.extend({ model: z.string() })),
  quota: z.object({
    /** 'unlimited' | 'monthly' | 'total' for a key; 'credit' for an owner's credit limit. */
    type: z.enum(['unlimited', 'monthly', 'total', 'credit']),
    period: z.string().nullable(),
    used: UsageAmount,
    limit: UsageAmount.nullable(),
    currencyCode: z.string(),
    /** "45.50 / unlimited", in the currency. */
    display: z.string(),
  }),
});
export type UsageView = z.infer<typeof UsageView>;
