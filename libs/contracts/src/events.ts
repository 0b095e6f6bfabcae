// Fan-out event payloads (one type per subject in subjects.ts). Caches evict on them.
import type { OwnerType } from './owners.js';

export type KeyChangeReason = 'created' | 'updated' | 'disabled' | 'enabled' | 'regenerated' | 'grace_ended';

export type KeyChangedEvent =
  | {
      scope: 'key';
      keyId: string;
      owner: { type: OwnerType; id: string };
      /** Every secret hash of the key that a cache may hold (current and regenerated-away ones). */
      hashes: string[];
      reason: KeyChangeReason;
      at: string;
    }
  /** The owner changed (tier, status, credit limit): every key of it is affected. */
  | { scope: 'owner'; owner: { type: OwnerType; id: string }; reason: 'owner_updated'; at: string }
  /** A tier's limits or models changed: every key of every owner on it is affected. */
  | { scope: 'tier'; tier: string; reason: 'tier_updated'; at: string };

export interface KeyDeletedEvent {
  keyId: string;
  owner: { type: OwnerType; id: string };
  hashes: string[];
  at: string;
}

export interface QuotaExhaustedEvent {
  /** Absent when the owner's own credit limit was reached (all its keys). */
  keyId?: string;
  owner: { type: OwnerType; id: string };
  /** 'lifetime' or the UTC month 'YYYY-MM'. */
  period: string;
  at: string;
}

/** The share of a limit (percent) metering announces before it is reached: quota.threshold webhooks. */
export const QUOTA_THRESHOLD_PERCENT = 80;

export interface QuotaThresholdEvent {
  /** Absent for the owner's own credit limit. */
  keyId?: string;
  owner: { type: OwnerType; id: string };
  /** 'lifetime' or the UTC month 'YYYY-MM'. */
  period: string;
  /** The share of the limit that was passed, in percent (80). */
  percent: number;
  limitMicros: number;
  spentMicros: number;
  at: string;
}

export interface PricingChangedEvent {
  kind: 'model' | 'group';
  name: string;
  at: string;
}

export interface KeysTouchedEvent {
  touches: { keyId: string; at: string }[];
}

/** One payload type per fan-out subject. */
export interface EventPayloads {
  'keys.events.changed': KeyChangedEvent;
  'keys.events.deleted': KeyDeletedEvent;
  'keys.events.quota_exhausted': QuotaExhaustedEvent;
  'metering.events.quota_threshold': QuotaThresholdEvent;
  'pricing.events.changed': PricingChangedEvent;
  'keys.touch': KeysTouchedEvent;
}
export type EventSubject = keyof EventPayloads;
