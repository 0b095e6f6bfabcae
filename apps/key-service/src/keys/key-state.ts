// Pure rules on a key row: its derived status, and why a presented secret may not be used.
import type { ErrorCode, KeyStatus, OwnerStatus } from '@gw/contracts';
import type { ApiKeyEntity } from '../db/entities/index.js';
import { utcMonth } from '../tokens.js';

export function isExhausted(key: Pick<ApiKeyEntity, 'quotaType' | 'exhaustedPeriod'>, now: Date): boolean {
  if (!key.exhaustedPeriod) return false;
  if (key.quotaType === 'total') return key.exhaustedPeriod === 'lifetime';
  // A monthly quota is usable again when the calendar month turns: no job needed.
  if (key.quotaType === 'monthly') return key.exhaustedPeriod === utcMonth(now);
  return false;
}

/** The period a key's spend counts in: its quota's month, or its lifetime (total and unlimited keys). */
export function spendPeriod(key: Pick<ApiKeyEntity, 'quotaType'>, now: Date): string {
  return key.quotaType === 'monthly' ? utcMonth(now) : 'lifetime';
}

/** What metering knows of a key's spend; absent when metering did not answer. */
export interface KeySpend {
  usedMicros: number;
  /** The owner's credit limit is used up: every key of it is exhausted. */
  ownerExhausted: boolean;
}

/** Spend at or over the limit reads as exhausted at once, before the gateway's event marks the row. */
export function deriveStatus(key: ApiKeyEntity, now: Date, spend?: KeySpend): KeyStatus {
  if (!key.enabled) return 'disabled';
  if (key.expiresAt && key.expiresAt.getTime() <= now.getTime()) return 'expired';
  if (isExhausted(key, now)) return 'exhausted';
  if (spend?.ownerExhausted) return 'exhausted';
  if (
    spend &&
    key.quotaType !== 'unlimited' &&
    key.quotaLimit !== null &&
    spend.usedMicros >= Number(key.quotaLimit)
  )
    return 'exhausted';
  return 'active';
}

/** DESIGN's order: status (revoked, disabled, owner suspended), then expiry. */
export function presentedKeyError(
  key: ApiKeyEntity,
  ownerStatus: OwnerStatus,
  retiredValidUntil: Date | null,
  now: Date,
): ErrorCode | null {
  if (key.deletedAt) return 'key_revoked';
  if (retiredValidUntil && retiredValidUntil.getTime() <= now.getTime()) return 'key_revoked';
  if (!key.enabled) return 'key_disabled';
  if (ownerStatus !== 'active') return 'account_restricted';
  if (key.expiresAt && key.expiresAt.getTime() <= now.getTime()) return 'expired_api_key';
  return null;
}
