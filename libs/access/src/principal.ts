// A key record compiled for fast checks: sets for models and permissions, parsed IP ranges, times as numbers.
import {
  type ErrorCode,
  type IpRange,
  type KeyRecord,
  type Permission,
  parseIpRange,
  quotaPeriod,
  utcMonthOf,
} from '@gw/contracts';

export interface Principal {
  readonly record: KeyRecord;
  readonly permissions: ReadonlySet<Permission>;
  /** Empty = every model the tier allows. */
  readonly keyModels: ReadonlySet<string>;
  /** null = every model ('*'). */
  readonly tierModels: ReadonlySet<string> | null;
  readonly ipRanges: readonly IpRange[];
  readonly expiresAtMs: number | null;
  readonly secretValidUntilMs: number | null;
}

export function compilePrincipal(record: KeyRecord): Principal {
  return {
    record,
    permissions: new Set(record.permissions),
    keyModels: new Set(record.allowedModels),
    tierModels: record.tier.models.includes('*') ? null : new Set(record.tier.models),
    ipRanges: record.ipAllowlist.map(parseIpRange).filter((r): r is IpRange => r !== undefined),
    expiresAtMs: record.expiresAt ? Date.parse(record.expiresAt) : null,
    secretValidUntilMs: record.secretValidUntil ? Date.parse(record.secretValidUntil) : null,
  };
}

/** Checks that do not depend on the request: DESIGN's order, status before expiry. */
export function checkKey(p: Principal, nowMs: number): ErrorCode | null {
  const r = p.record;
  if (r.state === 'revoked') return 'key_revoked';
  if (p.secretValidUntilMs !== null && p.secretValidUntilMs <= nowMs) return 'key_revoked';
  if (r.state === 'disabled') return 'key_disabled';
  if (r.owner.status !== 'active') return 'account_restricted';
  if (p.expiresAtMs !== null && p.expiresAtMs <= nowMs) return 'expired_api_key';
  return null;
}

export function modelAllowed(p: Principal, model: string): boolean {
  if (p.keyModels.size > 0 && !p.keyModels.has(model)) return false;
  return p.tierModels === null || p.tierModels.has(model);
}

/** The key's quota is known exhausted for the current period (a monthly one only in its own month). */
export function quotaExhausted(p: Principal, nowMs: number): boolean {
  const q = p.record.quota;
  if (!q.exhaustedPeriod) return false;
  if (q.type === 'total') return q.exhaustedPeriod === 'lifetime';
  return q.type === 'monthly' && q.exhaustedPeriod === utcMonthOf(nowMs);
}

/** The credit limits a principal's requests run under, in micro-credits. */
export interface CreditLimits {
  /** The key's quota, and the period its spend counts in ('lifetime', or the request's UTC month). */
  key: { micros: number; type: 'monthly' | 'total'; period: string } | null;
  /** The owner's credit limit, against its lifetime spend. */
  ownerMicros: number | null;
}

/** null when neither the key nor its owner has a credit limit: such requests take no quota step. */
export function creditLimits(p: Principal, nowMs: number): CreditLimits | null {
  const q = p.record.quota;
  const key =
    q.type !== 'unlimited' && q.limitMicros !== null
      ? { micros: q.limitMicros, type: q.type, period: quotaPeriod(q.type, utcMonthOf(nowMs)) }
      : null;
  const ownerMicros = p.record.owner.creditLimitMicros;
  return key || ownerMicros !== null ? { key, ownerMicros } : null;
}

export interface AccessContext {
  /** The client address as the gateway sees it; undefined skips the allow-list (internal callers). */
  clientIp?: string;
  permission?: Permission;
  model?: string;
}
