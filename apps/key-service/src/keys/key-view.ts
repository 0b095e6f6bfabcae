// Entity → the public key object. Never includes the secret or its hash.
import { fail, type KeyView, microsToCredits, ok, type Result } from '@gw/contracts';
import type { KeyFormat } from '@gw/key-format';
import type { ApiKeyEntity } from '../db/entities/index.js';
import { deriveStatus, type KeySpend, spendPeriod } from './key-state.js';

/** `spend` absent: metering did not answer, so `quota.used` is null. */
export function toKeyView(key: ApiKeyEntity, format: KeyFormat, now: Date, spend?: KeySpend): KeyView {
  return {
    id: key.id,
    name: key.name,
    maskedKey: `${format.prefix}****${key.last4}`,
    owner: { type: key.ownerType, id: key.ownerId },
    status: deriveStatus(key, now, spend),
    permissions: key.permissions,
    allowedModels: key.allowedModels,
    ipAllowlist: key.ipAllowlist,
    quota: {
      type: key.quotaType,
      limit: key.quotaLimit === null ? null : microsToCredits(Number(key.quotaLimit)),
      // Unlimited keys show their lifetime spend.
      used: spend ? microsToCredits(spend.usedMicros) : null,
      period: key.quotaType === 'unlimited' ? null : spendPeriod(key, now),
    },
    group: key.group,
    rpm: key.rpm,
    tpm: key.tpm,
    expiresAt: key.expiresAt?.toISOString() ?? null,
    createdAt: key.createdAt.toISOString(),
    updatedAt: key.updatedAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
  };
}

/** Pages newest first by (time, id): the cursor is the last row's pair (keys, webhooks, deliveries, audit). */
export function encodeCursor(row: { createdAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');
}

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function decodeCursor(cursor: string): { createdAt: string; id: string } | undefined {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    // Exactly what encodeCursor writes: anything else would reach Postgres as a bad timestamp or uuid.
    if (typeof createdAt !== 'string' || !ISO_MS.test(createdAt) || Number.isNaN(Date.parse(createdAt)))
      return undefined;
    if (typeof id !== 'string' || !UUID.test(id)) return undefined;
    return { createdAt, id };
  } catch {
    return undefined;
  }
}

/** The page position a `cursor` query names: none (first page), or 400 naming `cursor`. */
export function pageAfter(cursor: string | undefined): Result<{ createdAt: string; id: string } | undefined> {
  if (cursor === undefined) return ok(undefined);
  const after = decodeCursor(cursor);
  return after ? ok(after) : fail('invalid_request', 'Invalid cursor.', 'cursor');
}
