// Key DTO shapes shared by key-service's REST and NATS surfaces (and their callers).
import { z } from 'zod';
import { Credits, OwnerRef } from './owners.js';
import { DisplayName, ModelName, NameSearch, PageLimit, Slug } from './common.js';
import { parseIpRange } from './ip.js';

export const PERMISSIONS = ['read', 'write', 'admin', 'webhook'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const KEY_STATUSES = ['active', 'disabled', 'expired', 'exhausted'] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];

export const QUOTA_TYPES = ['unlimited', 'monthly', 'total'] as const;
export type QuotaType = (typeof QUOTA_TYPES)[number];

export const QuotaInput = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('unlimited') }),
  z.strictObject({ type: z.literal('monthly'), limit: Credits.positive() }),
  z.strictObject({ type: z.literal('total'), limit: Credits.positive() }),
]);
export type QuotaInput = z.infer<typeof QuotaInput>;

const FutureDate = z.iso
  .datetime({ offset: true })
  .refine((s) => Date.parse(s) > Date.now(), 'must be in the future');

const IpEntry = z
  .string()
  .max(64)
  .refine((s) => parseIpRange(s) !== undefined, 'must be an IPv4/IPv6 address or CIDR without host bits');

const unique = <T extends z.ZodTypeAny>(item: T, max: number) =>
  z
    .array(item)
    .max(max)
    .refine((a) => new Set(a).size === a.length, 'must not repeat entries');

const keySettings = {
  expiresAt: FutureDate.nullable().optional(),
  permissions: unique(z.enum(PERMISSIONS), PERMISSIONS.length).optional(),
  allowedModels: unique(ModelName, 100).optional(),
  ipAllowlist: unique(IpEntry, 100).optional(),
  quota: QuotaInput.optional(),
  group: Slug.optional(),
  rpm: z.number().int().min(1).max(1_000_000).nullable().optional(),
  tpm: z.number().int().min(1).max(100_000_000).nullable().optional(),
};

export const CreateKeyInput = z.strictObject({
  name: DisplayName,
  owner: OwnerRef.optional(),
  ...keySettings,
});
export type CreateKeyInput = z.infer<typeof CreateKeyInput>;

export const UpdateKeyInput = z
  .strictObject({ name: DisplayName.optional(), enabled: z.boolean().optional(), ...keySettings })
  .refine((v) => Object.keys(v).length > 0, 'at least one field is required');
export type UpdateKeyInput = z.infer<typeof UpdateKeyInput>;

export const RegenerateKeyInput = z.strictObject({
  /** The old secret keeps working this long; 0 or absent = stops at once. At most 7 days. */
  gracePeriodSeconds: z.number().int().min(0).max(604_800).optional(),
});
export type RegenerateKeyInput = z.infer<typeof RegenerateKeyInput>;

export const ListKeysQuery = z.strictObject({
  status: z.enum(KEY_STATUSES).optional(),
  /** Keys whose name contains this text, case-insensitive. */
  search: NameSearch,
  limit: PageLimit,
  cursor: z.string().max(200).optional(),
  /** Operator only: whose keys. A key caller lists its own owner's keys, or an org it administers. */
  ownerType: z.enum(['account', 'organization']).optional(),
  ownerId: z.uuid().optional(),
});
export type ListKeysQuery = z.infer<typeof ListKeysQuery>;

export const QuotaView = z.object({
  type: z.enum(QUOTA_TYPES),
  /** Credits; null when unlimited. */
  limit: z.number().nullable(),
  /** Credits spent in the current period; null while no spend is known (see README "Quotas"). */
  used: z.number().nullable(),
  /** 'lifetime' for total quotas, the UTC month (YYYY-MM) for monthly ones, null when unlimited. */
  period: z.string().nullable(),
});
export type QuotaView = z.infer<typeof QuotaView>;

/** The key object of DESIGN "Public surfaces". Never carries the secret or its hash. */
export const KeyView = z.object({
  id: z.uuid(),
  name: z.string(),
  maskedKey: z.string(),
  owner: OwnerRef,
  status: z.enum(KEY_STATUSES),
  permissions: z.array(z.enum(PERMISSIONS)),
  allowedModels: z.array(z.string()),
  ipAllowlist: z.array(z.string()),
  quota: QuotaView,
  group: z.string(),
  rpm: z.number().int().nullable(),
  tpm: z.number().int().nullable(),
  expiresAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastUsedAt: z.string().nullable(),
});
export type KeyView = z.infer<typeof KeyView>;

/** Create and regenerate answers: the one time the plaintext key is shown. */
export const KeyWithSecret = KeyView.extend({ key: z.string() });
export type KeyWithSecret = z.infer<typeof KeyWithSecret>;

export const KeyPage = z.object({ data: z.array(KeyView), nextCursor: z.string().nullable() });
export type KeyPage = z.infer<typeof KeyPage>;
