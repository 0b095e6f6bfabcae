// What keys.lookup answers for a hash: everything auth-service needs to build a principal, no secret.
import type { OwnerStatus, OwnerType } from './owners.js';
import type { Permission, QuotaType } from './keys.js';

export interface TierRecord {
  name: string;
  /** null = unlimited */
  rpm: number | null;
  priority: boolean;
  /** '*' = every model */
  models: string[];
}

export interface KeyRecord {
  id: string;
  /** 'revoked': deleted, or an old secret past its grace period. */
  state: 'active' | 'disabled' | 'revoked';
  owner: { type: OwnerType; id: string; status: OwnerStatus; creditLimitMicros: number | null };
  tier: TierRecord;
  expiresAt: string | null;
  permissions: Permission[];
  allowedModels: string[];
  ipAllowlist: string[];
  quota: { type: QuotaType; limitMicros: number | null; exhaustedPeriod: string | null };
  group: { name: string; multiplierPpm: number };
  rpm: number | null;
  tpm: number | null;
  /** Set when the presented hash is a regenerated key's old secret still inside its grace period. */
  secretValidUntil: string | null;
}

export type KeyLookupReply = { found: false } | { found: true; record: KeyRecord };
