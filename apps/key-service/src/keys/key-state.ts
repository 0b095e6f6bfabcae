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

export function deriveStatus(key: ApiKeyEntity, now: Date): KeyStatus {
  if (!key.enabled) return 'disabled';
  if (key.expiresAt && key.expiresAt.getTime() <= now.getTime()) return 'expired';
  if (isExhausted(key, now)) return 'exhausted';
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
