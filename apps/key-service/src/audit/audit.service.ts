// Reads the audit log: the operator everything, an owner's key with read what happened to its owners.
import { Injectable } from '@nestjs/common';
import { type AuditEventView, fail, type ListAuditQuery, ok, type Page, type Result } from '@gw/contracts';
import { DataSource } from 'typeorm';
import { AccessService } from '../access/access.service.js';
import { type Caller, canRead } from '../access/caller.js';
import { inScope } from '../access/in-scope.js';
import { AuditEventEntity } from '../db/entities/index.js';
import { newestFirst } from '../pagination.js';

/**
 * A tenant does not learn where the operator or a service acted from: their rows show no address or
 * request id to anyone but the operator.
 */
const toView = (e: AuditEventEntity, operator: boolean): AuditEventView => ({
  id: e.id,
  at: e.at.toISOString(),
  action: e.action,
  actor: { type: e.actorType, id: e.actorId },
  via: e.via,
  target: { type: e.targetType, id: e.targetId },
  owner: e.ownerType && e.ownerId ? { type: e.ownerType, id: e.ownerId } : null,
  changes: e.changes,
  ...(operator || e.actorType === 'key' || e.actorType === 'account'
    ? { requestId: e.requestId, clientIp: e.clientIp }
    : { requestId: null, clientIp: null }),
});

@Injectable()
export class AuditService {
  constructor(
    private readonly ds: DataSource,
    private readonly access: AccessService,
  ) {}

  async list(caller: Caller, query: ListAuditQuery): Promise<Result<Page<AuditEventView>>> {
    if (!canRead(caller)) return fail('insufficient_permissions');
    const qb = this.ds.getRepository(AuditEventEntity).createQueryBuilder('a');
    inScope(qb, 'a', await this.access.scope(caller));
    if (query.targetId) qb.andWhere('a.target_id = :targetId', { targetId: query.targetId });
    if (query.action) qb.andWhere('a.action = :action', { action: query.action });
    if (query.from) qb.andWhere('a.at >= :from', { from: query.from });
    if (query.to) qb.andWhere('a.at < :to', { to: query.to });
    const page = await newestFirst(qb, { time: 'a.at', id: 'a.id' }, query, (e) => e.at);
    if (!page.ok) return page;
    const operator = caller.kind === 'operator';
    return ok({ data: page.value.data.map((e) => toView(e, operator)), nextCursor: page.value.nextCursor });
  }
}
