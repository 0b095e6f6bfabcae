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
import { DataSource } from 'typeorm';
import { AccessService } from '../access/access.service.js';
import { OwnersRepository } from '../access/owners.repository.js';
import { MeteringClient } from '../usage/metering.client.js';
import { type Caller, canRead, hasPermission } from '../access/caller.js';
import { ApiKeyEntity, PricingGroupEntity, RetiredSecretEntity } from '../db/entities/index.js';
import { CLOCK, type Clock, KEY_FORMAT } from '../tokens.js';
import { KeyEvents } from './key-events.js';
import { isDuplicateName, quotaColumns } from './key-settings.js';
import { type KeySpend, spendPeriod } from './key-state.js';
import { decodeCursor, encodeCursor, toKeyView } from './key-view.js';
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
    @Inject(KEY_FORMAT) private readonly format: KeyFormat,
    @Inject(CLOCK) private readonly clock: Clock,
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

  private async groupExists(name: string): Promise<boolean> {
    return this.ds.getRepository(PricingGroupEntity).existsBy({ name });
  }

  /** Finds a key the caller may manage; 404 when it may not see it, 403 when it may see but not change it. */
  private async manageable(caller: Caller, id: string): Promise<Result<ApiKeyEntity>> {
    if (!hasPermission(caller, 'write')) return fail('insufficient_permissions');
    const key = await this.keys.findInScope(id, await this.access.scope(caller));
    if (!key) return fail('not_found', 'Key not found.');
    if (!this.access.canGrant(caller, key.permissions)) {
      return fail('insufficient_permissions', 'This key holds permissions the caller lacks.');
    }
    return ok(key);
  }

  async create(caller: Caller, input: CreateKeyInput): Promise<Result<KeyWithSecret>> {
    if (!hasPermission(caller, 'write')) return fail('insufficient_permissions');
    const owner = await this.access.resolveOwner(caller, input.owner);
    if (!owner.ok) return owner;
    const permissions = input.permissions ?? ['read'];
    if (!this.access.canGrant(caller, permissions)) {
      return fail('insufficient_permissions', 'A key cannot grant permissions it lacks.', 'permissions');
    }
    const group = input.group ?? 'default';
    if (!(await this.groupExists(group)))
      return fail('invalid_request', `Unknown pricing group "${group}".`, 'group');
    const quota = quotaColumns(input.quota ?? { type: 'unlimited' });
    if (!quota.ok) return quota;

    const secret = this.format.generate();
    const entity = this.ds.getRepository(ApiKeyEntity).create({
      hash: hashKey(secret),
      last4: secret.slice(-4),
      name: input.name,
      ownerType: owner.value.type,
      ownerId: owner.value.id,
      enabled: true,
      expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
      permissions,
      allowedModels: input.allowedModels ?? [],
      ipAllowlist: input.ipAllowlist ?? [],
      ...quota.value,
      group,
      rpm: input.rpm ?? null,
      tpm: input.tpm ?? null,
      lastUsedAt: null,
      deletedAt: null,
    });
    try {
      await this.ds.getRepository(ApiKeyEntity).insert(entity);
    } catch (err) {
      if (isDuplicateName(err))
        return fail('conflict', 'This owner already has a key with this name.', 'name');
      throw err;
    }
    const saved = (await this.keys.findInScope(entity.id, { all: true }))!;
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
    if (!query.ownerType !== !query.ownerId) {
      return fail(
        'invalid_request',
        'ownerType and ownerId go together.',
        query.ownerType ? 'ownerId' : 'ownerType',
      );
    }
    const requested =
      query.ownerType && query.ownerId ? { type: query.ownerType, id: query.ownerId } : undefined;
    const owner = await this.access.resolveOwner(caller, requested, 'ownerId');
    if (!owner.ok) return owner;
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && !after) return fail('invalid_request', 'Invalid cursor.', 'cursor');
    const rows = await this.keys.listForOwner(owner.value, {
      status: query.status,
      limit: query.limit + 1,
      after,
      now: this.clock.now(),
    });
    const page = rows.slice(0, query.limit);
    const nextCursor = rows.length > query.limit ? encodeCursor(page[page.length - 1]) : null;
    return ok({ data: await this.views(page), nextCursor });
  }

  async update(caller: Caller, id: string, input: UpdateKeyInput): Promise<Result<KeyView>> {
    const found = await this.manageable(caller, id);
    if (!found.ok) return found;
    const key = found.value;
    if (input.permissions && !this.access.canGrant(caller, input.permissions)) {
      return fail('insufficient_permissions', 'A key cannot grant permissions it lacks.', 'permissions');
    }
    if (input.group && !(await this.groupExists(input.group))) {
      return fail('invalid_request', `Unknown pricing group "${input.group}".`, 'group');
    }
    if (input.quota) {
      const quota = quotaColumns(input.quota);
      if (!quota.ok) return quota;
      Object.assign(key, quota.value);
    }
    const wasEnabled = key.enabled;
    if (input.name !== undefined) key.name = input.name;
    if (input.enabled !== undefined) key.enabled = input.enabled;
    if (input.expiresAt !== undefined) key.expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
    if (input.permissions) key.permissions = input.permissions;
    if (input.allowedModels) key.allowedModels = input.allowedModels;
    if (input.ipAllowlist) key.ipAllowlist = input.ipAllowlist;
    if (input.group) key.group = input.group;
    if (input.rpm !== undefined) key.rpm = input.rpm;
    if (input.tpm !== undefined) key.tpm = input.tpm;
    try {
      await this.ds.getRepository(ApiKeyEntity).save(key);
    } catch (err) {
      if (isDuplicateName(err))
        return fail('conflict', 'This owner already has a key with this name.', 'name');
      throw err;
    }
    const reason = wasEnabled === key.enabled ? 'updated' : key.enabled ? 'enabled' : 'disabled';
    this.events.keyChanged(key, await this.keys.hashesOf(key), reason);
    return ok(await this.view(key));
  }

  /** New secret, same id and configuration. The old secret stops now, or when the grace period ends. */
  async regenerate(caller: Caller, id: string, input: RegenerateKeyInput): Promise<Result<KeyWithSecret>> {
    const found = await this.manageable(caller, id);
    if (!found.ok) return found;
    const key = found.value;
    const oldHash = key.hash;
    const secret = this.format.generate();
    const validUntil = new Date(this.clock.now().getTime() + (input.gracePeriodSeconds ?? 0) * 1000);
    const hashes = await this.keys.transaction(async (em) => {
      await em.getRepository(RetiredSecretEntity).insert({ hash: oldHash, keyId: key.id, validUntil });
      key.hash = hashKey(secret);
      key.last4 = secret.slice(-4);
      await em.getRepository(ApiKeyEntity).save(key);
      return this.keys.hashesOf(key, em);
    });
    this.events.keyChanged(key, hashes, 'regenerated');
    return ok({ key: secret, ...(await this.view(key)) });
  }

  /** Immediate and irreversible; the row stays as a tombstone so the old secret answers key_revoked. */
  async delete(caller: Caller, id: string): Promise<Result<{ deleted: true }>> {
    const found = await this.manageable(caller, id);
    if (!found.ok) return found;
    const key = found.value;
    key.deletedAt = this.clock.now();
    await this.ds.getRepository(ApiKeyEntity).save(key);
    this.events.keyDeleted(key, await this.keys.hashesOf(key));
    return ok({ deleted: true });
  }
}
