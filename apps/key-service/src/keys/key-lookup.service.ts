// keys.lookup: the record behind a presented hash, for auth-service to build its principal from.
import { Inject, Injectable } from '@nestjs/common';
import type { KeyLookupReply, KeyRecord } from '@gw/contracts';
import { DataSource } from 'typeorm';
import { OwnersRepository } from '../access/owners.repository.js';
import { PricingGroupEntity, TierEntity } from '../db/entities/index.js';
import { CLOCK, type Clock } from '../tokens.js';
import { KeysRepository } from './keys.repository.js';

@Injectable()
export class KeyLookupService {
  constructor(
    private readonly ds: DataSource,
    private readonly keys: KeysRepository,
    private readonly owners: OwnersRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async lookup(hash: string): Promise<KeyLookupReply> {
    const found = await this.keys.findByHash(hash);
    if (!found) return { found: false };
    const { key, retiredValidUntil } = found;
    const now = this.clock.now().getTime();
    const [owner, group] = await Promise.all([
      this.owners.find({ type: key.ownerType, id: key.ownerId }),
      this.ds.getRepository(PricingGroupEntity).findOneBy({ name: key.group }),
    ]);
    const tier = owner ? await this.ds.getRepository(TierEntity).findOneBy({ name: owner.tier }) : null;
    const retiredOut = retiredValidUntil !== null && retiredValidUntil.getTime() <= now;
    const record: KeyRecord = {
      id: key.id,
      state: key.deletedAt || retiredOut ? 'revoked' : key.enabled ? 'active' : 'disabled',
      owner: {
        type: key.ownerType,
        id: key.ownerId,
        status: owner?.status ?? 'suspended',
        creditLimitMicros: owner?.creditLimit == null ? null : Number(owner.creditLimit),
      },
      tier: tier
        ? { name: tier.name, rpm: tier.rpm, priority: tier.priority, models: tier.models }
        : { name: owner?.tier ?? 'unknown', rpm: 1, priority: false, models: [] },
      expiresAt: key.expiresAt?.toISOString() ?? null,
      permissions: key.permissions,
      allowedModels: key.allowedModels,
      ipAllowlist: key.ipAllowlist,
      quota: {
        type: key.quotaType,
        limitMicros: key.quotaLimit === null ? null : Number(key.quotaLimit),
        exhaustedPeriod: key.exhaustedPeriod,
      },
      group: { name: key.group, multiplierPpm: group ? Number(group.multiplierPpm) : 1_000_000 },
      rpm: key.rpm,
      tpm: key.tpm,
      secretValidUntil: retiredValidUntil && !retiredOut ? retiredValidUntil.toISOString() : null,
    };
    return { found: true, record };
  }
}
