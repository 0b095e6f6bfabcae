// A key record as key-service's keys.lookup returns it: an active key of an active account on the `pro`
// tier, without limits; `over` changes any field.
import { randomUUID } from 'node:crypto';
import type { KeyRecord } from '@gw/contracts';

export function keyRecord(over: Partial<KeyRecord> = {}): KeyRecord {
  return {
    id: randomUUID(),
    state: 'active',
    owner: { type: 'account', id: randomUUID(), status: 'active', creditLimitMicros: null },
    tier: { name: 'pro', rpm: null, priority: false, models: ['*'] },
    expiresAt: null,
    permissions: [],
    allowedModels: [],
    ipAllowlist: [],
    quota: { type: 'unlimited', limitMicros: null, exhaustedPeriod: null },
    group: { name: 'default', multiplierPpm: 1_000_000 },
    rpm: null,
    tpm: null,
    secretValidUntil: null,
    ...over,
  };
}
