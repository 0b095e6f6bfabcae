import { Injectable } from '@nestjs/common';
import {
  type AddMemberInput,
  type CreateOrganizationInput,
  fail,
  ok,
  type OrganizationView,
  type Result,
  type UpdateOrganizationInput,
} from '@gw/contracts';
import { DataSource } from 'typeorm';
import { type Caller, hasPermission } from '../access/caller.js';
import { OwnersRepository } from '../access/owners.repository.js';
import type { OrganizationEntity } from '../db/entities/index.js';
import { checkTier, creditLimitColumn } from '../accounts/owner-settings.js';
import { toOwnerView } from '../accounts/owner-view.js';
import { KeyEvents } from '../keys/key-events.js';

/**
 * Organizations own org keys. The operator creates them for any account; an account's key with `write`
 * creates one it owns (on its own tier). Members see the org; owners and admins manage its members
 * (only owners add or remove owners); tier, credit limit and status are the operator's.
 */
@Injectable()
export class OrganizationsService {
  constructor(
    private readonly ds: DataSource,
    private readonly owners: OwnersRepository,
    private readonly events: KeyEvents,
  ) {}

  private async view(org: OrganizationEntity): Promise<OrganizationView> {
    const members = await this.owners.memberships.find({
      where: { organizationId: org.id },
      order: { createdAt: 'ASC' },
    });
    return { ...toOwnerView(org), members: members.map((m) => ({ accountId: m.accountId, role: m.role })) };
  }

  async create(caller: Caller, input: CreateOrganizationInput): Promise<Result<OrganizationView>> {
    let ownerAccountId: string;
    let tier = input.tier;
    if (caller.kind === 'operator') {
      if (!input.ownerAccountId)
        return fail('invalid_request', 'The operator must name ownerAccountId.', 'ownerAccountId');
      if (!(await this.owners.accounts.existsBy({ id: input.ownerAccountId }))) {
        return fail('not_found', 'Account not found.', 'ownerAccountId');
      }
      ownerAccountId = input.ownerAccountId;
    } else {
      if (!hasPermission(caller, 'write') || !caller.accountId) {
        return fail(
          'insufficient_permissions',
          "Creating an organization needs an account's key with write.",
        );
      }
      for (const field of ['ownerAccountId', 'creditLimit'] as const) {
        if (input[field] !== undefined)
          return fail('insufficient_permissions', `Only the operator sets ${field}.`, field);
      }
      const account = await this.owners.accounts.findOneByOrFail({ id: caller.accountId });
      if (input.tier !== 'free' && input.tier !== account.tier) {
        return fail(
          'insufficient_permissions',
          "Only the operator sets another tier than the account's.",
          'tier',
        );
      }
      ownerAccountId = account.id;
      tier = account.tier;
    }
    const tierOk = await checkTier(this.ds, tier);
    if (!tierOk.ok) return tierOk;
    const limit = creditLimitColumn(input.creditLimit);
    if (!limit.ok) return limit;
    const org = await this.ds.transaction(async (em) => {
      const created = em.getRepository(this.owners.organizations.target).create({
        name: input.name,
        tier,
        creditLimit: limit.value ?? null,
        status: 'active',
      }) as OrganizationEntity;
      await em.save(created);
      await em.getRepository(this.owners.memberships.target).insert({
        organizationId: created.id,
        accountId: ownerAccountId,
        role: 'owner',
      });
      return created;
    });
    return ok(await this.view(org));
  }

  async get(caller: Caller, id: string): Promise<Result<OrganizationView>> {
    const org = await this.owners.organizations.findOneBy({ id });
    if (!org || !(await this.isVisible(caller, id))) return fail('not_found', 'Organization not found.');
    return ok(await this.view(org));
  }

  async update(
    caller: Caller,
    id: string,
    input: UpdateOrganizationInput,
  ): Promise<Result<OrganizationView>> {
    const org = await this.owners.organizations.findOneBy({ id });
    if (!org || !(await this.isVisible(caller, id))) return fail('not_found', 'Organization not found.');
    if (caller.kind !== 'operator')
      return fail('insufficient_permissions', 'Only the operator changes organizations.');
    const tier = await checkTier(this.ds, input.tier);
    if (!tier.ok) return tier;
    const limit = creditLimitColumn(input.creditLimit);
    if (!limit.ok) return limit;
    if (input.name !== undefined) org.name = input.name;
    if (input.tier !== undefined) org.tier = input.tier;
    if (input.status !== undefined) org.status = input.status;
    if (limit.value !== undefined) org.creditLimit = limit.value;
    await this.owners.organizations.save(org);
    this.events.ownerChanged({ type: 'organization', id });
    return ok(await this.view(org));
  }

  async addMember(caller: Caller, id: string, input: AddMemberInput): Promise<Result<OrganizationView>> {
    const org = await this.owners.organizations.findOneBy({ id });
    if (!org || !(await this.isVisible(caller, id))) return fail('not_found', 'Organization not found.');
    const allowed = await this.mayManageMembers(caller, id, input.role);
    if (!allowed.ok) return allowed;
    if (!(await this.owners.accounts.existsBy({ id: input.accountId }))) {
      return fail('not_found', 'Account not found.', 'accountId');
    }
    const current = await this.owners.role(id, input.accountId);
    if (current === 'owner' && input.role !== 'owner') {
      const demoted = await this.mayManageMembers(caller, id, 'owner');
      if (!demoted.ok) return demoted;
      if ((await this.ownerCount(id)) === 1)
        return fail('conflict', 'An organization keeps at least one owner.', 'role');
    }
    await this.owners.memberships.upsert(
      { organizationId: id, accountId: input.accountId, role: input.role },
      ['organizationId', 'accountId'],
    );
    return ok(await this.view(org));
  }

  async removeMember(caller: Caller, id: string, accountId: string): Promise<Result<OrganizationView>> {
    const org = await this.owners.organizations.findOneBy({ id });
    if (!org || !(await this.isVisible(caller, id))) return fail('not_found', 'Organization not found.');
    const role = await this.owners.role(id, accountId);
    if (!role) return fail('not_found', 'Member not found.');
    const allowed = await this.mayManageMembers(caller, id, role);
    if (!allowed.ok) return allowed;
    if (role === 'owner' && (await this.ownerCount(id)) === 1) {
      return fail('conflict', 'An organization keeps at least one owner.');
    }
    await this.owners.memberships.delete({ organizationId: id, accountId });
    return ok(await this.view(org));
  }

  private async isVisible(caller: Caller, orgId: string): Promise<boolean> {
    if (caller.kind === 'operator') return true;
    if (caller.owner.type === 'organization' && caller.owner.id === orgId) return true;
    return caller.accountId !== null && (await this.owners.role(orgId, caller.accountId)) !== null;
  }

  /** Owners and admins manage members; only owners touch the owner role. */
  private async mayManageMembers(caller: Caller, orgId: string, role: string): Promise<Result<void>> {
    if (caller.kind === 'operator') return ok(undefined);
    if (!hasPermission(caller, 'write') || !caller.accountId) return fail('insufficient_permissions');
    const mine = await this.owners.role(orgId, caller.accountId);
    if (mine === 'owner' || (mine === 'admin' && role !== 'owner')) return ok(undefined);
    return fail(
      'insufficient_permissions',
      'Only org owners and admins manage members (owners only manage owners).',
    );
  }

  private ownerCount(orgId: string): Promise<number> {
    return this.owners.memberships.countBy({ organizationId: orgId, role: 'owner' });
  }
}
