// Writes the audit log: one append-only row per change, inside the change's own transaction, so a change
// without its record (or a record of a change that rolled back) cannot exist.
import { Injectable } from '@nestjs/common';
import type { OwnerRef } from '@gw/contracts';
import type { EntityManager } from 'typeorm';
import type { Caller } from '../access/caller.js';
import { AuditEventEntity } from '../db/entities/index.js';

export type AuditChanges = Record<string, { before?: unknown; after?: unknown }>;

export interface AuditEntry {
  action: string;
  target: { type: string; id: string };
  owner?: OwnerRef | null;
  changes?: AuditChanges;
}

/** Who acted: a caller of the API, or a service reacting to an event (quota exhaustion, expiry notices). */
export type AuditActor = Caller | { kind: 'system'; service: string };

/** The named fields whose values differ, as {before, after}; values are compared by their JSON form. */
export function changedFields<T extends object>(before: T | null, after: T | null, fields: (keyof T)[]) {
  const changes: AuditChanges = {};
  for (const f of fields) {
    const b = before ? jsonValue(before[f]) : undefined;
    const a = after ? jsonValue(after[f]) : undefined;
    if (JSON.stringify(b) === JSON.stringify(a)) continue;
    changes[String(f)] = { ...(before ? { before: b } : {}), ...(after ? { after: a } : {}) };
  }
  return changes;
}

const jsonValue = (v: unknown) => (v instanceof Date ? v.toISOString() : v === undefined ? null : v);

@Injectable()
export class AuditLog {
  async record(em: EntityManager, actor: AuditActor, entry: AuditEntry): Promise<void> {
    await em.getRepository(AuditEventEntity).insert({
      action: entry.action,
      ...actorColumns(actor),
      targetType: entry.target.type,
      targetId: entry.target.id,
      ownerType: entry.owner?.type ?? null,
      ownerId: entry.owner?.id ?? null,
      changes: entry.changes ?? {},
    });
  }
}

function actorColumns(actor: AuditActor) {
  if (actor.kind === 'system') {
    return {
      actorType: 'internal' as const,
      actorId: actor.service,
      via: 'system' as const,
      requestId: null,
      clientIp: null,
    };
  }
  const origin = { via: actor.origin.via, requestId: actor.origin.requestId, clientIp: actor.origin.address };
  if (actor.kind === 'operator')
    return { actorType: 'operator' as const, actorId: actor.person ?? null, ...origin };
  if (actor.keyId) return { actorType: 'key' as const, actorId: actor.keyId, ...origin };
  return { actorType: 'account' as const, actorId: actor.accountId, ...origin };
}
