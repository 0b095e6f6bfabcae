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
import { DataSource, type EntityManager, In } from 'typeorm';
import { type Caller, canRead, hasPermission } from '../access/caller.js';
import { isRestricted } from '../access/key-bounds.js';
import { OwnersRepository } from '../access/owners.repository.js';
import { AccountEntity, MembershipEntity, OrganizationEntity } from '../db/entities/index.js';
import {
  applyOwnerInput,
  AUDITED_OWNER_FIELDS,
  checkOwnerInput,
  newOwnerColumns,
} from '../accounts/owner-settings.js';
import { AuditLog, changedFields } from '../audit/audit-log.js';
import { toOwnerView } from '../accounts/owner-view.js';
import { KeyEvents } from '../keys/key-events.js';

/**
 * Organizations own org keys. Only the operator creates them and sets their tier, credit limit, pricing
 * groups and status: an account cannot make itself a second set of limits (docs/decisions.md). Members see
 * the org; owners and admins manage its members (only owners add or remove owners).
 */
@Injectable()
export class OrganizationsService {
  constructor(
    private readonly ds: DataSource,
    private readonly owners: OwnersRepository,
    private readonly events: KeyEvents,
    private readonly audit: AuditLog,
  ) {}

  private async view(
    org: OrganizationEntity,
    em: EntityManager = this.ds.manager,
  ): Promise<OrganizationView> {
    const members = await em.getRepository(MembershipEntity).find({
      where: { organizationId: org.id },
      order: { createdAt: 'ASC' },
    });
    const accounts = members.length
      ? await em.getRepository(AccountEntity).findBy({ id: In(members.map((m) => m.accountId)) })
      : [];
    const names = new Map(accounts.map((a) => [a.id, a.name]));
    return {
      ...toOwnerView(org),
      groupRoles: org.groupRoles,
      members: members.map((m) => ({
        accountId: m.accountId,
        name: names.get(m.accountId) ?? '',
        role: m.role,
        source: m.source,
      })),
    };
  }

  async create(caller: Caller, input: CreateOrganizationInput): Promise<Result<OrganizationView>> {
    if (caller.kind !== 'operator')
      return fail('insufficient_permissions', 'Only the operator creates organizations.');
    if (!(await this.owners.accounts.existsBy({ id: input.ownerAccountId }))) {
      return fail('not_found', 'Account not found.', 'ownerAccountId');
    }
    const limit = await checkOwnerInput(this.ds, input);
    if (!limit.ok) return limit;
    const org = await this.ds.transaction(async (em) => {
      const repo = em.getRepository(OrganizationEntity);
      const created = await repo.save(repo.create(newOwnerColumns(input, limit.value)));
      await em.getRepository(MembershipEntity).insert({
        organizationId: created.id,
        accountId: input.ownerAccountId,
        role: 'owner',
      });
      const target = { type: 'organization' as const, id: created.id };
      await this.audit.record(em, caller, {
        action: 'organization.created',
        target,
        owner: target,
        changes: {
          ...changedFields(null, created, [...AUDITED_OWNER_FIELDS]),
          ownerAccountId: { after: input.ownerAccountId },
        },
      });
      return created;
    });
    return ok(await this.view(org));
  }

  async get(caller: Caller, id: string): Promise<Result<OrganizationView>> {
    const org = await this.owners.organizations.findOneBy({ id });
    if (!org || !(await this.isVisible(caller, id))) return fail('not_found', 'Organization not found.');
    if (!canRead(caller)) return fail('insufficient_permissions');
    return ok(await this.view(org));
  }

  async update(
    caller: Caller,
    id: string,
    input: UpdateOrganizationInput,
  ): Promise<Result<OrganizationView>> {
    if (!(await this.isVisible(caller, id))) return fail('not_found', 'Organization not found.');
    if (caller.kind !== 'operator')
      return fail('insufficient_permissions', 'Only the operator changes organizations.');
    const limit = await checkOwnerInput(this.ds, input);
    if (!limit.ok) return limit;
    const view = await this.locked(id, async (em, org) => {
      const before = { ...org };
      applyOwnerInput(org, input, limit.value);
      if (input.groupRoles !== undefined) org.groupRoles = input.groupRoles;
      await em.getRepository(OrganizationEntity).save(org);
      await this.audit.record(em, caller, {
        action: 'organization.updated',
        target: { type: 'organization', id },
        owner: { type: 'organization', id },
        changes: changedFields(before, org, [...AUDITED_OWNER_FIELDS, 'groupRoles']),
      });
      return ok(await this.view(org, em));
    });
    if (view.ok) this.events.ownerChanged({ type: 'organization', id });
    return view;
  }

  async addMember(caller: Caller, id: string, input: AddMemberInput): Promise<Result<OrganizationView>> {
    if (!(await this.isVisible(caller, id))) return fail('not_found', 'Organization not found.');
    // The org row is locked for the whole change: two concurrent demotions cannot both pass the
    // "at least one owner" check.
    return this.locked(id, async (em, org) => {
      const allowed = await this.mayManageMembers(caller, id, input.role, em);
      if (!allowed.ok) return allowed;
      if (!(await em.getRepository(AccountEntity).existsBy({ id: input.accountId }))) {
        return fail('not_found', 'Account not found.', 'accountId');
      }
      const current = await this.roleIn(em, id, input.accountId);
      if (current === 'owner' && input.role !== 'owner') {
        const demoted = await this.mayManageMembers(caller, id, 'owner', em);
        if (!demoted.ok) return demoted;
        if ((await this.ownerCount(em, id)) === 1)
          return fail('conflict', 'An organization keeps at least one owner.', 'role');
      }
      // A change by hand makes it a hand-made membership: the groups sync leaves it alone from then on.
      await em
        .getRepository(MembershipEntity)
        .upsert({ organizationId: id, accountId: input.accountId, role: input.role, source: 'manual' }, [
          'organizationId',
          'accountId',
        ]);
      await this.audit.record(em, caller, {
        action: current ? 'membership.updated' : 'membership.added',
        target: { type: 'membership', id: `${id}:${input.accountId}` },
        owner: { type: 'organization', id },
        changes: { role: { ...(current ? { before: current } : {}), after: input.role } },
      });
      return ok(await this.view(org, em));
    });
  }

  async removeMember(caller: Caller, id: string, accountId: string): Promise<Result<OrganizationView>> {
    if (!(await this.isVisible(caller, id))) return fail('not_found', 'Organization not found.');
    return this.locked(id, async (em, org) => {
      const membership = await em
        .getRepository(MembershipEntity)
        .findOneBy({ organizationId: id, accountId });
      const role = membership?.role;
      if (!role) return fail('not_found', 'Member not found.');
      const allowed = await this.mayManageMembers(caller, id, role, em);
      if (!allowed.ok) return allowed;
      // It would come back at the person's next sign-in: the group is where it is removed (or demote it here).
      if (membership.source === 'groups')
        return fail(
          'conflict',
          "This membership comes from the identity provider's groups: remove the person from the group, or change the role here.",
        );
      if (role === 'owner' && (await this.ownerCount(em, id)) === 1) {
        return fail('conflict', 'An organization keeps at least one owner.');
      }
      await em.getRepository(MembershipEntity).delete({ organizationId: id, accountId });
      await this.audit.record(em, caller, {
        action: 'membership.removed',
        target: { type: 'membership', id: `${id}:${accountId}` },
        owner: { type: 'organization', id },
        changes: { role: { before: role } },
      });
      return ok(await this.view(org, em));
    });
  }

  /** Runs a change with the org row locked; a refused change rolls back whatever it wrote. */
  private async locked<T>(
    id: string,
    work: (em: EntityManager, org: OrganizationEntity) => Promise<Result<T>>,
  ): Promise<Result<T>> {
    let refused: Result<T> | undefined;
    try {
      return await this.ds.transaction(async (em) => {
        const org = await em
          .getRepository(OrganizationEntity)
          .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
        const result = org ? await work(em, org) : fail('not_found', 'Organization not found.');
        if (!result.ok) {
          refused = result;
          throw new Error('refused');
        }
        return result;
      });
    } catch (err) {
      if (refused) return refused;
      throw err;
    }
  }

  private async isVisible(caller: Caller, orgId: string): Promise<boolean> {
    if (caller.kind === 'operator') return this.owners.organizations.existsBy({ id: orgId });
    if (caller.owner.type === 'organization' && caller.owner.id === orgId) return true;
    return caller.accountId !== null && (await this.owners.role(orgId, caller.accountId)) !== null;
  }

  /** Owners and admins manage members; only owners touch the owner role. */
  private async mayManageMembers(
    caller: Caller,
    orgId: string,
    role: string,
    em: EntityManager,
  ): Promise<Result<void>> {
    if (caller.kind === 'operator') return ok(undefined);
    if (!hasPermission(caller, 'write') || !caller.accountId) return fail('insufficient_permissions');
    // Membership hands out an org's keys: a key with restrictions of its own may not do it.
    if (caller.key && isRestricted(caller.key))
      return fail('insufficient_permissions', 'A key with restrictions cannot manage members.');
    const mine = await this.roleIn(em, orgId, caller.accountId);
    if (mine === 'owner' || (mine === 'admin' && role !== 'owner')) return ok(undefined);
    return fail(
      'insufficient_permissions',
      'Only org owners and admins manage members (owners only manage owners).',
    );
  }

  private async roleIn(em: EntityManager, organizationId: string, accountId: string) {
    return (await em.getRepository(MembershipEntity).findOneBy({ organizationId, accountId }))?.role ?? null;
  }

  private ownerCount(em: EntityManager, orgId: string): Promise<number> {
    return em.getRepository(MembershipEntity).countBy({ organizationId: orgId, role: 'owner' });
  }
}
