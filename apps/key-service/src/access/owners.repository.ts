import { Injectable } from '@nestjs/common';
import type { OrgRole, OwnerRef } from '@gw/contracts';
import { DataSource } from 'typeorm';
import { AccountEntity, MembershipEntity, OrganizationEntity } from '../db/entities/index.js';
import type { OwnerEntity } from '../db/entities/owner-columns.js';

/** Accounts, organizations and memberships: the owners keys belong to. */
@Injectable()
export class OwnersRepository {
  constructor(private readonly ds: DataSource) {}

  get accounts() {
    return this.ds.getRepository(AccountEntity);
  }
  get organizations() {
    return this.ds.getRepository(OrganizationEntity);
  }
  get memberships() {
    return this.ds.getRepository(MembershipEntity);
  }

  async find(owner: OwnerRef): Promise<OwnerEntity | null> {
    const repo = owner.type === 'account' ? this.accounts : this.organizations;
    return repo.findOneBy({ id: owner.id });
  }

  async role(organizationId: string, accountId: string): Promise<OrgRole | null> {
    const m = await this.memberships.findOneBy({ organizationId, accountId });
    return m?.role ?? null;
  }

  /** Organizations this account may manage keys of (role owner or admin). */
  async administeredOrganizations(accountId: string): Promise<string[]> {
    const rows = await this.memberships.find({
      where: { accountId },
      select: { organizationId: true, role: true },
    });
    return rows.filter((m) => m.role !== 'member').map((m) => m.organizationId);
  }
}
