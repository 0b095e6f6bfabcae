// Webhook management: an owner's subscriptions to its key and quota events (the `webhook` permission).
// Every change is audited in its own transaction; the signing secret is returned once and stored sealed.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  type CreateWebhookInput,
  type DeliveryView,
  fail,
  type ListPageQuery,
  ok,
  type OwnerRef,
  type Page,
  type Result,
  type UpdateWebhookInput,
  type WebhookEventType,
  type WebhookView,
  type WebhookWithSecret,
} from '@gw/contracts';
import { DataSource, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { AccessService } from '../access/access.service.js';
import { type Caller, hasPermission, type OwnerScope } from '../access/caller.js';
import { inScope } from '../access/in-scope.js';
import { AuditLog, changedFields } from '../audit/audit-log.js';
import { WebhookDeliveryEntity, WebhookEntity } from '../db/entities/index.js';
import { newestFirst } from '../pagination.js';
import { DestinationPolicy } from './destination-policy.js';
import { SecretBox } from './secret-box.js';

/** An owner's webhooks at most: each event is sent once per webhook. */
export const MAX_WEBHOOKS_PER_OWNER = 20;
const AUDITED: (keyof WebhookEntity)[] = ['url', 'events', 'enabled'];

export type ListWebhooksQuery = ListPageQuery & { ownerType?: OwnerRef['type']; ownerId?: string };

/** `whsec_` + base64 of 32 random bytes: the Standard Webhooks secret format. */
const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/**
 * The URL as the audit log keeps it: its origin and a fingerprint of the whole URL. A receiver's secret may
 * sit in the query (`?token=`) or the path (Slack, Discord), and any `read` key reads audit rows, so neither
 * is kept; a change of either still shows as a changed fingerprint.
 */
export function auditUrl(url: string): string {
  const fingerprint = createHash('sha256').update(url).digest('hex').slice(0, 12);
  return `${new URL(url).origin} (sha256:${fingerprint})`;
}

/** The audited fields that changed, decided on the raw values; the URL is recorded as `auditUrl`. */
function auditChanges(before: WebhookEntity | null, after: WebhookEntity | null) {
  const changes = changedFields(before, after, AUDITED);
  if (changes.url) {
    changes.url = {
      ...(before ? { before: auditUrl(before.url) } : {}),
      ...(after ? { after: auditUrl(after.url) } : {}),
    };
  }
  return changes;
}

export function toWebhookView(w: WebhookEntity): WebhookView {
  return {
    id: w.id,
    owner: { type: w.ownerType, id: w.ownerId },
    url: w.url,
    events: w.events as WebhookEventType[],
    enabled: w.enabled,
    createdAt: w.createdAt.toISOString(),
    updatedAt: w.updatedAt.toISOString(),
  };
}

export function toDeliveryView(d: WebhookDeliveryEntity): DeliveryView {
  return {
    id: d.id,
    eventType: d.eventType as WebhookEventType,
    status: d.status,
    attempts: d.attempts,
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    lastLatencyMs: d.lastLatencyMs,
    nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt.toISOString() : null,
    createdAt: d.createdAt.toISOString(),
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
    payload: d.payload,
  };
}

@Injectable()
export class WebhooksService {
  constructor(
    private readonly ds: DataSource,
    private readonly access: AccessService,
    private readonly audit: AuditLog,
    private readonly policy: DestinationPolicy,
    @Inject(SecretBox) private readonly box: SecretBox,
  ) {}

  private scoped(em: EntityManager, scope: OwnerScope): SelectQueryBuilder<WebhookEntity> {
    return inScope(em.getRepository(WebhookEntity).createQueryBuilder('w'), 'w', scope);
  }

  /** A webhook the caller may manage (locked for a change when `em` is a transaction's); else 403/404. */
  private async find(
    caller: Caller,
    id: string,
    em: EntityManager = this.ds.manager,
    lock = false,
  ): Promise<Result<WebhookEntity>> {
    if (!hasPermission(caller, 'webhook')) return fail('insufficient_permissions');
    const qb = this.scoped(em, await this.access.scope(caller)).andWhere('w.id = :id', { id });
    if (lock) qb.setLock('pessimistic_write');
    const hook = await qb.getOne();
    return hook ? ok(hook) : fail('not_found', 'Webhook not found.');
  }

  private async destination(url: string): Promise<Result<void>> {
    const verdict = await this.policy.check(url);
    return verdict.ok ? ok(undefined) : fail('invalid_request', verdict.reason, 'url');
  }

  async create(caller: Caller, input: CreateWebhookInput): Promise<Result<WebhookWithSecret>> {
    if (!hasPermission(caller, 'webhook')) return fail('insufficient_permissions');
    const owner = await this.access.resolveOwner(caller, input.owner);
    if (!owner.ok) return owner;
    const dest = await this.destination(input.url);
    if (!dest.ok) return dest;
    const id = randomUUID();
    const secret = newSecret();
    const created = await this.ds.transaction(async (em): Promise<Result<WebhookEntity>> => {
      // Serializes creates per owner so the cap holds under concurrency.
      await em.query(`SELECT pg_advisory_xact_lock(hashtext('webhooks:' || $1))`, [owner.value.id]);
      const count = await em
        .getRepository(WebhookEntity)
        .countBy({ ownerType: owner.value.type, ownerId: owner.value.id });
      if (count >= MAX_WEBHOOKS_PER_OWNER) {
        return fail('conflict', `An owner has at most ${MAX_WEBHOOKS_PER_OWNER} webhooks.`);
      }
      const repo = em.getRepository(WebhookEntity);
      await repo.insert({
        id,
        ownerType: owner.value.type,
        ownerId: owner.value.id,
        url: input.url,
        events: input.events,
        enabled: true,
        secretCiphertext: this.box.seal(secret, id),
      });
      const hook = (await repo.findOneBy({ id }))!;
      await this.audit.record(em, caller, {
        action: 'webhook.created',
        target: { type: 'webhook', id },
        owner: owner.value,
        changes: auditChanges(null, hook),
      });
      return ok(hook);
    });
    if (!created.ok) return created;
    return ok({ ...toWebhookView(created.value), secret });
  }

  async list(caller: Caller, query: ListWebhooksQuery): Promise<Result<Page<WebhookView>>> {
    if (!hasPermission(caller, 'webhook')) return fail('insufficient_permissions');
    const owner = await this.access.listedOwner(caller, query);
    if (!owner.ok) return owner;
    const qb = this.scoped(this.ds.manager, { all: false, owners: [owner.value] });
    const page = await newestFirst(qb, { time: 'w.created_at', id: 'w.id' }, query, (w) => w.createdAt);
    if (!page.ok) return page;
    return ok({ data: page.value.data.map(toWebhookView), nextCursor: page.value.nextCursor });
  }

  async get(caller: Caller, id: string): Promise<Result<WebhookView>> {
    const found = await this.find(caller, id);
    return found.ok ? ok(toWebhookView(found.value)) : found;
  }

  async update(caller: Caller, id: string, input: UpdateWebhookInput): Promise<Result<WebhookView>> {
    const visible = await this.find(caller, id);
    if (!visible.ok) return visible;
    if (input.url !== undefined) {
      const dest = await this.destination(input.url);
      if (!dest.ok) return dest;
    }
    return this.ds.transaction(async (em): Promise<Result<WebhookView>> => {
      const found = await this.find(caller, id, em, true);
      if (!found.ok) return found;
      const hook = found.value;
      const before = { ...hook };
      if (input.url !== undefined) hook.url = input.url;
      if (input.events !== undefined) hook.events = input.events;
      if (input.enabled !== undefined) hook.enabled = input.enabled;
      const changes = auditChanges(before, hook);
      if (!Object.keys(changes).length) return ok(toWebhookView(hook));
      await em.getRepository(WebhookEntity).save(hook);
      await this.audit.record(em, caller, {
        action: 'webhook.updated',
        target: { type: 'webhook', id },
        owner: { type: hook.ownerType, id: hook.ownerId },
        changes,
      });
      return ok(toWebhookView(hook));
    });
  }

  /** Deletes the webhook and, by cascade, its deliveries (pending ones are never sent). */
  async delete(caller: Caller, id: string): Promise<Result<{ deleted: true }>> {
    return this.ds.transaction(async (em): Promise<Result<{ deleted: true }>> => {
      const found = await this.find(caller, id, em, true);
      if (!found.ok) return found;
      const hook = found.value;
      await em.getRepository(WebhookEntity).delete({ id });
      await this.audit.record(em, caller, {
        action: 'webhook.deleted',
        target: { type: 'webhook', id },
        owner: { type: hook.ownerType, id: hook.ownerId },
        changes: auditChanges(hook, null),
      });
      return ok({ deleted: true as const });
    });
  }

  async deliveries(caller: Caller, id: string, query: ListPageQuery): Promise<Result<Page<DeliveryView>>> {
    const found = await this.find(caller, id);
    if (!found.ok) return found;
    const qb = this.ds
      .getRepository(WebhookDeliveryEntity)
      .createQueryBuilder('d')
      .where('d.webhook_id = :id', { id });
    const page = await newestFirst(qb, { time: 'd.created_at', id: 'd.id' }, query, (d) => d.createdAt);
    if (!page.ok) return page;
    return ok({ data: page.value.data.map(toDeliveryView), nextCursor: page.value.nextCursor });
  }
}
