// Key management: every operation carries its caller, returns a Result, and publishes an event on change.
import { Inject, Injectable } from '@nestjs/common';
import {
  type CreateKeyInput,
  fail,
  type KeyView,
  type KeyWithSecret,
  type ListKeysQuery,
  ok,
  type OwnerRef,
  type Page,
  type RegenerateKeyInput,
  type Result,
  type UpdateKeyInput,
} from '@gw/contracts';
import { hashKey, type KeyFormat } from '@gw/key-format';
import { DataSource, type EntityManager } from 'typeorm';
import { AccessService } from '../access/access.service.js';
import { OwnersRepository } from '../access/owners.repository.js';
import { MeteringClient } from '../usage/metering.client.js';
import { type Caller, canRead, hasPermission, sameOwner } from '../access/caller.js';
import { exceedsBounds, hasOwnLimits, type KeyBounds } from '../access/key-bounds.js';
import { AuditLog, changedFields } from '../audit/audit-log.js';
import type { KeyServiceConfig } from '../config.js';
import { WebhookOutbox } from '../webhooks/webhook-outbox.js';
import { ApiKeyEntity, PricingGroupEntity, RetiredSecretEntity } from '../db/entities/index.js';
import { CLOCK, type Clock, CONFIG, KEY_FORMAT } from '../tokens.js';
import { KeyEvents } from './key-events.js';
import { isDuplicateName, quotaColumns } from './key-settings.js';
import { type KeySpend, spendPeriod } from './key-state.js';
import { encodeCursor, pageAfter, toKeyView } from './key-view.js';
import { KeysRepository } from './keys.repository.js';

@Injectable()
export class KeysService {
  constructor(
    private readonly ds: DataSource,
    private readonly keys: KeysRepository,
    private readonly access: AccessService,
    private readonly owners: OwnersRepository,
    private readonly metering: MeteringClient,
    private readonly events: KeyEvents,
    private readonly audit: AuditLog,
    private readonly webhooks: WebhookOutbox,
    @Inject(KEY_FORMAT) private readonly format: KeyFormat,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: KeyServiceConfig,
  ) {}

  private async view(key: ApiKeyEntity): Promise<KeyView> {
    return (await this.views([key]))[0];
  }

  /** Views with each key's spend in its quota period: one question to metering per owner. */
  private async views(keys: ApiKeyEntity[]): Promise<KeyView[]> {
    const now = this.clock.now();
    const spend = new Map<string, KeySpend>();
    const owners = new Map<string, OwnerRef>();
    for (const k of keys) owners.set(`${k.ownerType}:${k.ownerId}`, { type: k.ownerType, id: k.ownerId });
    await Promise.all(
      [...owners.values()].map(async (owner) => {
        const mine = keys.filter((k) => k.ownerType === owner.type && k.ownerId === owner.id);
        const [entity, reply] = await Promise.all([
          this.owners.find(owner),
          this.metering.spend(
            owner,
            mine.map((k) => ({ keyId: k.id, period: spendPeriod(k, now) })),
          ),
        ]);
        if (!reply) return;
        const limit = entity?.creditLimit == null ? null : Number(entity.creditLimit);
        const ownerExhausted = limit !== null && reply.ownerMicros >= limit;
        for (const k of mine) spend.set(k.id, { usedMicros: reply.keys[k.id] ?? 0, ownerExhausted });
      }),
    );
    return keys.map((k) => toKeyView(k, this.format, now, spend.get(k.id)));
  }

  /**
   * The pricing group a key gets. Groups are the operator's: other callers keep the key's group, or choose
   * one the operator allowed for the owner, or the acting key's own; without a choice a new key takes the
   * acting key's group (a cheaper one would raise what the same credits buy).
   */
  private async chooseGroup(
    caller: Caller,
    owner: OwnerRef,
    requested: string | undefined,
    current: string | null,
  ): Promise<Result<string>> {
    // The acting key's group counts for its own owner only: the operator chose it for that owner.
    const own = caller.kind === 'principal' && sameOwner(owner, caller.owner) ? caller.key?.group : undefined;
    const group = requested ?? current ?? own ?? 'default';
    if (!(await this.ds.getRepository(PricingGroupEntity).existsBy({ name: group })))
      return fail('invalid_request', `Unknown pricing group "${group}".`, 'group');
    if (
      caller.kind === 'principal' &&
      requested !== undefined &&
      requested !== current &&
      requested !== own
    ) {
      if (!(await this.groupAllowed(owner, group))) {
        return fail(
          'insufficient_permissions',
          'Pricing groups are set by the operator: this owner may not choose this group.',
          'group',
        );
      }
    }
    return ok(group);
  }

  private async groupAllowed(owner: OwnerRef, group: string): Promise<boolean> {
    return (await this.owners.find(owner))?.pricingGroups.includes(group) ?? false;
  }

  /**
   * A key caller acts only on keys within its own bounds and pricing group (else it could regenerate a
   * broader or cheaper sibling and use its secret).
   */
  private async withinCaller(caller: Caller, key: ApiKeyEntity): Promise<Result<void>> {
    if (caller.kind !== 'principal' || !caller.key) return ok(undefined);
    const sameGroup = key.group === caller.key.group || (await this.groupAllowed(ownerOf(key), key.group));
    if (!exceedsBounds(caller.key, key) && sameGroup) return ok(undefined);
    return fail('insufficient_permissions', "This key's settings go beyond the acting key's own.");
  }

  /**
   * A key with a quota or rate limits of its own may not widen another key's settings: the other key's
   * counters are not its own, so that would raise what the owner's keys may spend in total.
   */
  private widensOther(caller: Caller, before: KeyBounds, after: ApiKeyEntity): Result<void> {
    if (caller.kind !== 'principal' || !caller.key || !hasOwnLimits(caller.key)) return ok(undefined);
    if (caller.keyId === after.id) return ok(undefined);
    const widened = exceedsBounds(before, after);
    return widened
      ? fail(
          'insufficient_permissions',
          'A key with its own quota or rate limits cannot widen another key.',
          widened.param,
        )
      : ok(undefined);
  }

  /** The changed settings stay within the acting key's own (so no key can relax itself or make a wider one). */
  private boundedBy(caller: Caller, key: KeyBounds): Result<void> {
    if (caller.kind !== 'principal' || !caller.key) return ok(undefined);
    const violation = exceedsBounds(caller.key, key);
    return violation ? fail('insufficient_permissions', violation.message, violation.param) : ok(undefined);
  }

  /**
   * Runs one change of a key: the row is locked and re-read in the transaction (404 if it is gone), the
   * caller must be allowed to act on it, and the change, its audit record and its webhooks commit together.
   */
  private async change<T>(
    caller: Caller,
    id: string,
    work: (em: EntityManager, key: ApiKeyEntity) => Promise<Result<T>>,
  ): Promise<Result<T>> {
    if (!hasPermission(caller, 'write')) return fail('insufficient_permissions');
    const scope = await this.access.scope(caller);
    try {
      return await this.keys.transaction(async (em) => {
        const key = await this.keys.lockInScope(em, id, scope);
        if (!key) return fail('not_found', 'Key not found.');
        const allowed = await this.withinCaller(caller, key);
        if (!allowed.ok) return allowed;
        const result = await work(em, key);
        // A refused change must leave nothing behind (no audit row, no delivery).
        if (!result.ok) throw new Refused(result);
        return result;
      });
    } catch (err) {
      if (err instanceof Refused) return err.result as Result<T>;
      if (isDuplicateName(err))
        return fail('conflict', 'This owner already has a key with this name.', 'name');
      throw err;
    }
  }

  async create(caller: Caller, input: CreateKeyInput): Promise<Result<KeyWithSecret>> {
    if (!hasPermission(caller, 'write')) return fail('insufficient_permissions');
    const owner = await this.access.resolveOwner(caller, input.owner);
    if (!owner.ok) return owner;
    // A key made by a key inherits the maker's restrictions where the input names none.
    const parent = caller.kind === 'principal' ? caller.key : null;
    if (parent && hasOwnLimits(parent)) {
      return fail(
        'insufficient_permissions',
        'A key with its own quota or rate limits cannot create keys: their spend would not count against it.',
        'quota',
      );
    }
    // (A maker that got here has no quota, rpm or tpm of its own: there is none to inherit.)
    const quota = quotaColumns(input.quota ?? { type: 'unlimited' });
    if (!quota.ok) return quota;
    const settings = {
      // Management rights are opt-in: without `permissions` a key calls models and nothing else.
      permissions: input.permissions ?? [],
      allowedModels: input.allowedModels ?? parent?.allowedModels ?? [],
      ipAllowlist: input.ipAllowlist ?? parent?.ipAllowlist ?? [],
      expiresAt:
        input.expiresAt !== undefined
          ? input.expiresAt
            ? new Date(input.expiresAt)
            : null
          : (parent?.expiresAt ?? null),
      ...quota.value,
      rpm: input.rpm ?? null,
      tpm: input.tpm ?? null,
    };
    const bounded = this.boundedBy(caller, settings);
    if (!bounded.ok) return bounded;
    const group = await this.chooseGroup(caller, owner.value, input.group, null);
    if (!group.ok) return group;

    const secret = this.format.generate();
    const entity = this.ds.getRepository(ApiKeyEntity).create({
      hash: hashKey(secret),
      last4: secret.slice(-4),
      name: input.name,
      ownerType: owner.value.type,
      ownerId: owner.value.id,
      enabled: true,
      ...settings,
      group: group.value,
      lastUsedAt: null,
      deletedAt: null,
      expiringNotifiedFor: null,
    });
    let saved: ApiKeyEntity;
    try {
      saved = await this.keys.transaction(async (em) => {
        await em.getRepository(ApiKeyEntity).insert(entity);
        const row = (await this.keys.lockInScope(em, entity.id, { all: true }))!;
        await this.audit.record(em, caller, {
          action: 'key.created',
          target: { type: 'key', id: row.id },
          owner: owner.value,
          changes: changedFields(null, row, AUDITED_KEY_FIELDS),
        });
        await this.webhooks.enqueue(em, owner.value, 'key.created', this.eventData(row));
        return row;
      });
    } catch (err) {
      if (isDuplicateName(err))
        return fail('conflict', 'This owner already has a key with this name.', 'name');
      throw err;
    }
    this.events.keyChanged(saved, [saved.hash], 'created');
    return ok({ key: secret, ...(await this.view(saved)) });
  }

  async get(caller: Caller, id: string): Promise<Result<KeyView>> {
    if (!canRead(caller)) return fail('insufficient_permissions');
    const key = await this.keys.findInScope(id, await this.access.scope(caller));
    return key ? ok(await this.view(key)) : fail('not_found', 'Key not found.');
  }

  async list(caller: Caller, query: ListKeysQuery): Promise<Result<Page<KeyView>>> {
    if (!canRead(caller)) return fail('insufficient_permissions');
    const owner = await this.access.listedOwner(caller, query);
    if (!owner.ok) return owner;
    const cursor = pageAfter(query.cursor);
    if (!cursor.ok) return cursor;
    const after = cursor.value;
    const rows = await this.keys.listForOwner(owner.value, {
      status: query.status,
      search: query.search,
      limit: query.limit + 1,
      after,
      now: this.clock.now(),
    });
    const page = rows.slice(0, query.limit);
    const nextCursor = rows.length > query.limit ? encodeCursor(page[page.length - 1]) : null;
    return ok({ data: await this.views(page), nextCursor });
  }

  async update(caller: Caller, id: string, input: UpdateKeyInput): Promise<Result<KeyView>> {
    let hashes: string[] = [];
    let wasEnabled = true;
    let changed = true;
    const result = await this.change(caller, id, async (em, key) => {
      const before = { ...key };
      wasEnabled = key.enabled;
      if (input.quota) {
        const quota = quotaColumns(input.quota);
        if (!quota.ok) return quota;
        Object.assign(key, quota.value);
      }
      if (input.name !== undefined) key.name = input.name;
      if (input.enabled !== undefined) key.enabled = input.enabled;
      if (input.expiresAt !== undefined) key.expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
      if (input.permissions) key.permissions = input.permissions;
      if (input.allowedModels) key.allowedModels = input.allowedModels;
      if (input.ipAllowlist) key.ipAllowlist = input.ipAllowlist;
      if (input.rpm !== undefined) key.rpm = input.rpm;
      if (input.tpm !== undefined) key.tpm = input.tpm;
      const bounded = this.boundedBy(caller, key);
      if (!bounded.ok) return bounded;
      const widens = this.widensOther(caller, before, key);
      if (!widens.ok) return widens;
      const group = await this.chooseGroup(
        caller,
        { type: key.ownerType, id: key.ownerId },
        input.group,
        key.group,
      );
      if (!group.ok) return group;
      key.group = group.value;
      const changes = changedFields(before, key, AUDITED_KEY_FIELDS);
      // Nothing changed: nothing to record, announce or deliver.
      if (!Object.keys(changes).length) {
        changed = false;
        return ok(key);
      }
      await em.getRepository(ApiKeyEntity).save(key);
      const action =
        wasEnabled === key.enabled ? 'key.updated' : key.enabled ? 'key.enabled' : 'key.disabled';
      await this.audit.record(em, caller, {
        action,
        target: { type: 'key', id },
        owner: ownerOf(key),
        changes,
      });
      const hook = wasEnabled && !key.enabled ? 'key.disabled' : 'key.updated';
      await this.webhooks.enqueue(em, ownerOf(key), hook, { ...this.eventData(key), changes });
      hashes = await this.keys.liveHashes(em, key, this.clock.now());
      return ok(key);
    });
    if (!result.ok) return result;
    const key = result.value;
    if (!changed) return ok(await this.view(key));
    const reason = wasEnabled === key.enabled ? 'updated' : key.enabled ? 'enabled' : 'disabled';
    this.events.keyChanged(key, hashes, reason);
    return ok(await this.view(key));
  }

  /**
   * New secret, same id and configuration. The old secret stops now, or when the grace period ends; a
   * zero grace ends every open grace period too. Concurrent regenerates of one key: the first wins, a later
   * one that read the key before it committed gets 409 (it would retire the secret the other returned).
   */
  async regenerate(caller: Caller, id: string, input: RegenerateKeyInput): Promise<Result<KeyWithSecret>> {
    const secret = this.format.generate();
    const grace = input.gracePeriodSeconds ?? 0;
    let hashes: string[] = [];
    const seen = canRead(caller) ? await this.keys.findInScope(id, await this.access.scope(caller)) : null;
    const result = await this.change(caller, id, async (em, key) => {
      if (seen && seen.hash !== key.hash)
        return fail('conflict', 'The key was regenerated by another request meanwhile; retry.');
      const now = this.clock.now();
      const validUntil = new Date(now.getTime() + grace * 1000);
      const open = await this.keys.liveRetired(em, key.id, now);
      // Caches may hold any of these as usable: the event names them all, including the ones ended here.
      hashes = [hashKey(secret), key.hash, ...open.map((r) => r.hash)];
      if (grace === 0) await this.keys.endGrace(em, key.id, now);
      else if (open.length >= MAX_OPEN_GRACE_PERIODS) {
        const oldest = open.slice(0, open.length - MAX_OPEN_GRACE_PERIODS + 1).map((r) => r.hash);
        await this.keys.endGrace(em, key.id, now, oldest);
      }
      await this.keys.pruneRetired(
        em,
        key.id,
        new Date(now.getTime() - this.config.retiredSecretRetentionMs),
      );
      await em.getRepository(RetiredSecretEntity).insert({ hash: key.hash, keyId: key.id, validUntil });
      key.hash = hashKey(secret);
      key.last4 = secret.slice(-4);
      await em.getRepository(ApiKeyEntity).save(key);
      await this.audit.record(em, caller, {
        action: 'key.regenerated',
        target: { type: 'key', id },
        owner: ownerOf(key),
        changes: { gracePeriodSeconds: { after: grace } },
      });
      await this.webhooks.enqueue(em, ownerOf(key), 'key.revoked', {
        ...this.eventData(key),
        reason: 'regenerated',
        oldSecretValidUntil: validUntil.toISOString(),
      });
      return ok(key);
    });
    if (!result.ok) return result;
    this.events.keyChanged(result.value, hashes, 'regenerated');
    return ok({ key: secret, ...(await this.view(result.value)) });
  }

  /** Immediate and irreversible; the row stays as a tombstone so the old secret answers key_revoked. */
  async delete(caller: Caller, id: string): Promise<Result<{ deleted: true }>> {
    let hashes: string[] = [];
    const result = await this.change(caller, id, async (em, key) => {
      const now = this.clock.now();
      hashes = await this.keys.liveHashes(em, key, now);
      await this.keys.endGrace(em, key.id, now);
      key.deletedAt = now;
      await em.getRepository(ApiKeyEntity).save(key);
      await this.audit.record(em, caller, {
        action: 'key.deleted',
        target: { type: 'key', id },
        owner: ownerOf(key),
        changes: { deletedAt: { after: now.toISOString() } },
      });
      await this.webhooks.enqueue(em, ownerOf(key), 'key.revoked', {
        ...this.eventData(key),
        reason: 'deleted',
      });
      return ok(key);
    });
    if (!result.ok) return result;
    this.events.keyDeleted(result.value, hashes);
    return ok({ deleted: true });
  }

  /** What webhooks say about a key: its public view (no spend figures, never the secret). */
  private eventData(key: ApiKeyEntity): Record<string, unknown> {
    return { key: toKeyView(key, this.format, this.clock.now()) };
  }
}

/** Settings recorded in the audit log when they change (never the hash or the secret's last characters). */
const AUDITED_KEY_FIELDS: (keyof ApiKeyEntity)[] = [
  'name',
  'ownerType',
  'ownerId',
  'enabled',
  'expiresAt',
  'permissions',
  'allowedModels',
  'ipAllowlist',
  'quotaType',
  'quotaLimit',
  'group',
  'rpm',
  'tpm',
];

/** Open grace periods per key: a regenerate beyond this many ends the oldest (key events stay small). */
const MAX_OPEN_GRACE_PERIODS = 10;

const ownerOf = (key: ApiKeyEntity): OwnerRef => ({ type: key.ownerType, id: key.ownerId });

/** A refused change thrown out of its transaction so that it rolls back, and answered as its Result. */
class Refused extends Error {
  constructor(readonly result: Result<unknown>) {
    super('change refused');
  }
}
