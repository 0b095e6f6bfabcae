// Audit log DTO shapes (key-service REST).
import { z } from 'zod';
import { OwnerRef } from './owners.js';
import { PageLimit } from './common.js';

export const AuditEventView = z.object({
  id: z.uuid(),
  at: z.string(),
  /** e.g. key.created, key.updated, key.regenerated, key.deleted, account.updated, webhook.created. */
  action: z.string(),
  /** operator · key (its id) · account (internal caller acting as it) · internal (a service). */
  actor: z.object({ type: z.enum(['operator', 'key', 'account', 'internal']), id: z.string().nullable() }),
  via: z.enum(['rest', 'nats', 'cli', 'system']),
  target: z.object({ type: z.string(), id: z.string() }),
  owner: OwnerRef.nullable(),
  /** Changed non-secret fields: {field: {before, after}}. */
  changes: z.record(z.string(), z.object({ before: z.unknown().optional(), after: z.unknown().optional() })),
  requestId: z.string().nullable(),
  clientIp: z.string().nullable(),
});
export type AuditEventView = z.infer<typeof AuditEventView>;

export const AuditPage = z.object({ data: z.array(AuditEventView), nextCursor: z.string().nullable() });

/** ISO 8601 with an offset, from the year 1970 on (Postgres refuses year 0; years have four digits). */
const AuditTime = z.iso
  .datetime({ offset: true })
  .refine((s) => s.slice(0, 4) >= '1970', 'a time from 1970 on');

export const ListAuditQuery = z.strictObject({
  limit: PageLimit,
  cursor: z.string().max(200).optional(),
  targetId: z.string().min(1).max(200).optional(),
  action: z.string().min(1).max(64).optional(),
  from: AuditTime.optional(),
  to: AuditTime.optional(),
});
export type ListAuditQuery = z.infer<typeof ListAuditQuery>;
