import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  type AccountView,
  type CreateAccountInput,
  fail,
  type LinkIdentityInput,
  type ListAccountsQuery,
  type SignInIdentityView,
  type UnlinkedIdentity,
  type UnlinkIdentityQuery,
  type MeView,
  type Page,
  ok,
  type Result,
  type UpdateAccountInput,
} from '@gw/contracts';
import { DataSource, In } from 'typeorm';
import { type Caller, canRead } from '../access/caller.js';
import { OwnersRepository } from '../access/owners.repository.js';
import { AuditLog, changedFields } from '../audit/audit-log.js';
import { OidcClient } from '../console-auth/oidc-client.js';
import { ConsoleSessions } from '../console-auth/sessions.js';
import { AccountEntity, OrganizationEntity } from '../db/entities/index.js';
import { containsPattern, nameContains } from '../name-search.js';
import { newestFirst } from '../pagination.js';
import { CLOCK, type Clock } from '../tokens.js';
import { KeyEvents } from '../keys/key-events.js';
import { applyOwnerInput, AUDITED_OWNER_FIELDS, checkOwnerInput, newOwnerColumns } from './owner-settings.js';
import { toOwnerView } from './owner-view.js';

interface IdentityRow {
  issuer: string;
  subject: string;
  account_id: string;
  created_at: Date;
  last_sign_in_at: Date | null;
}

const identityView = (r: IdentityRow): SignInIdentityView => ({
  issuer: r.issuer,
  subject: r.subject,
  accountId: r.account_id,
  createdAt: r.created_at.toISOString(),
  lastSignInAt: r.last_sign_in_at?.toISOString() ?? null,
});

/** Accounts are the operator's to create and change; an account's own keys may read it. */
@Injectable()
export class AccountsService {
  constructor(
    private readonly ds: DataSource,
    private readonly owners: OwnersRepository,
    private readonly events: KeyEvents,
    private readonly audit: AuditLog,
    @Inject(CLOCK) private readonly clock: Clock,
    // Present when people sign in to the console (OIDC_ISSUER); without them no session can exist.
    @Optional() private readonly sessions?: ConsoleSessions,
    @Optional() private readonly oidc?: OidcClient,
  ) {}

  /** Operator: the person with this subject at the provider signs in to the console as this account. */
  async linkIdentity(
    caller: Caller,
    id: string,
    input: LinkIdentityInput,
  ): Promise<Result<SignInIdentityView>> {
    const refused = operatorOnly(caller, id, 'Only the operator links sign-in identities.');
    if (refused) return refused;
    const found = await this.issuerOf(input);
    if (!found.ok) return found;
    const issuer = found.value;
    return this.ds.transaction(async (em) => {
      if (!(await em.getRepository(AccountEntity).existsBy({ id })))
        return fail('not_found', 'Account not found.');
      const rows = (await em.query(
        `INSERT INTO keys.sign_in_identities (issuer, subject, account_id) VALUES ($1, $2, $3)
           ON CONFLICT (issuer, subject) DO NOTHING
         RETURNING issuer, subject, account_id, created_at, last_sign_in_at`,
        [issuer, input.subject, id],
      )) as IdentityRow[];
      if (!rows.length) return fail('conflict', 'This person is linked to an account already.', 'subject');
      await this.audit.record(em, caller, {
        action: 'account.identity_linked',
        target: { type: 'account', id },
        owner: { type: 'account', id },
        changes: { issuer: { after: issuer }, subject: { after: input.subject } },
      });
      return ok(identityView(rows[0]));
    });
  }

  /**
   * Operator: the person no longer signs in as this account; the account's console sessions end with it (a
   * session does not say which person opened it for certain, so all of them do).
   */
  async unlinkIdentity(
    caller: Caller,
    id: string,
    input: UnlinkIdentityQuery,
  ): Promise<Result<UnlinkedIdentity>> {
    const refused = operatorOnly(caller, id, 'Only the operator unlinks sign-in identities.');
    if (refused) return refused;
    const issuer = await this.issuerOf(input);
    if (!issuer.ok) return issuer;
    if (!(await this.owners.accounts.existsBy({ id }))) return fail('not_found', 'Account not found.');
    const removed = await this.ds.transaction(async (em) => {
      const rows = (await em.query(
        `DELETE FROM keys.sign_in_identities WHERE issuer = $1 AND subject = $2 AND account_id = $3 RETURNING subject`,
        [issuer.value, input.subject, id],
      )) as [unknown[], number];
      if (!rows[1]) return false;
      await this.audit.record(em, caller, {
        action: 'account.identity_unlinked',
        target: { type: 'account', id },
        owner: { type: 'account', id },
        changes: { issuer: { before: issuer.value }, subject: { before: input.subject } },
      });
      return true;
    });
    const ended = removed && this.sessions ? await this.sessions.revokeAll(id, this.clock.now()) : 0;
    return ok({ unlinked: removed, ended });
  }

  /** The issuer an identity names: given, or the provider's own (as its discovery says it, like the ID token). */
  private async issuerOf(input: { issuer?: string }): Promise<Result<string>> {
    if (input.issuer) return ok(input.issuer);
    if (!this.oidc)
      return fail('invalid_request', 'No identity provider is configured: name the issuer.', 'issuer');
    try {
      return ok(await this.oidc.issuer());
    } catch {
      return fail('service_unavailable', 'The identity provider cannot be reached: name the issuer.');
    }
  }

  /** The people who sign in as this account: the operator's, or the account's own to read. */
  async identities(caller: Caller, id: string): Promise<Result<SignInIdentityView[]>> {
    const own = caller.kind === 'principal' && caller.accountId === id;
    if (own && !canRead(caller)) return fail('insufficient_permissions');
    if (caller.kind !== 'operator' && !own) return fail('not_found', 'Account not found.');
    if (!(await this.owners.accounts.existsBy({ id }))) return fail('not_found', 'Account not found.');
    const rows = (await this.ds.query(
      `SELECT issuer, subject, account_id, created_at, last_sign_in_at FROM keys.sign_in_identities
        WHERE account_id = $1 ORDER BY created_at, subject LIMIT 100`,
      [id],
    )) as IdentityRow[];
    return ok(rows.map(identityView));
  }

  /** Operator: ends every console session of the account now (its keys are untouched). */
  async endSessions(caller: Caller, id: string): Promise<Result<{ ended: number }>> {
    const refused = operatorOnly(caller, id, "Only the operator ends an account's sessions.");
    if (refused) return refused;
    if (!(await this.owners.accounts.existsBy({ id }))) return fail('not_found', 'Account not found.');
    const ended = this.sessions ? await this.sessions.revokeAll(id, this.clock.now()) : 0;
    await this.audit.record(this.ds.manager, caller, {
      action: 'account.sessions_ended',
      target: { type: 'account', id },
      owner: { type: 'account', id },
      changes: { sessions: { after: ended } },
    });
    return ok({ ended });
  }

  async create(caller: Caller, input: CreateAccountInput): Promise<Result<AccountView>> {
    if (caller.kind !== 'operator')
      return fail('insufficient_permissions', 'Only the operator creates accounts.');
    const limit = await checkOwnerInput(this.ds, input);
    if (!limit.ok) return limit;
    const account = await this.ds.transaction(async (em) => {
      const repo = em.getRepository(AccountEntity);
      const created = await repo.save(repo.create(newOwnerColumns(input, limit.value)));
      await this.audit.record(em, caller, {
        action: 'account.created',
        target: { type: 'account', id: created.id },
        owner: { type: 'account', id: created.id },
        changes: changedFields(null, created, [...AUDITED_OWNER_FIELDS]),
      });
      return created;
    });
    return ok(toOwnerView(account));
  }

  async get(caller: Caller, id: string): Promise<Result<AccountView>> {
    const own = caller.kind === 'principal' && caller.accountId === id;
    if (own && !canRead(caller)) return fail('insufficient_permissions');
    const account = caller.kind === 'operator' || own ? await this.owners.accounts.findOneBy({ id }) : null;
    return account ? ok(toOwnerView(account)) : fail('not_found', 'Account not found.');
  }

  async update(caller: Caller, id: string, input: UpdateAccountInput): Promise<Result<AccountView>> {
    const refused = operatorOnly(caller, id, 'Only the operator changes accounts.');
    if (refused) return refused;
    const limit = await checkOwnerInput(this.ds, input);
    if (!limit.ok) return limit;
    // Locked and re-read: concurrent changes of one account apply one after the other, none is lost.
    const account = await this.ds.transaction(async (em) => {
      const repo = em.getRepository(AccountEntity);
      const found = await repo.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!found) return null;
      const before = { ...found };
      applyOwnerInput(found, input, limit.value);
      await repo.save(found);
      await this.audit.record(em, caller, {
        action: 'account.updated',
        target: { type: 'account', id },
        owner: { type: 'account', id },
        changes: changedFields(before, found, [...AUDITED_OWNER_FIELDS]),
      });
      return found;
    });
    if (!account) return fail('not_found', 'Account not found.');
    this.events.ownerChanged({ type: 'account', id });
    return ok(toOwnerView(account));
  }

  /** Operator: every account, newest first, by name and status. */
  async list(caller: Caller, query: ListAccountsQuery): Promise<Result<Page<AccountView>>> {
    if (caller.kind !== 'operator')
      return fail('insufficient_permissions', 'Only the operator lists accounts.');
    const qb = this.owners.accounts.createQueryBuilder('a');
    if (query.search) qb.andWhere(nameContains('a.name'), { search: containsPattern(query.search) });
    if (query.status) qb.andWhere('a.status = :status', { status: query.status });
    const page = await newestFirst(qb, { time: 'a.created_at', id: 'a.id' }, query, (a) => a.createdAt);
    if (!page.ok) return page;
    return ok({ data: page.value.data.map(toOwnerView), nextCursor: page.value.nextCursor });
  }

  /**
   * The caller itself: its account (the signed-in person's, also behind an operator session; none for the
   * operator token or an organization's key) and the organizations that account belongs to, with its role.
   */
  async me(caller: Caller): Promise<Result<MeView>> {
    if (caller.kind === 'principal' && !canRead(caller)) return fail('insufficient_permissions');
    const accountId = caller.kind === 'operator' ? (caller.person ?? null) : caller.accountId;
    const account = accountId ? await this.owners.accounts.findOneBy({ id: accountId }) : null;
    const memberships = account ? await this.owners.memberships.findBy({ accountId: account.id }) : [];
    const orgs = memberships.length
      ? await this.ds
          .getRepository(OrganizationEntity)
          .findBy({ id: In(memberships.map((m) => m.organizationId)) })
      : [];
    const names = new Map(orgs.map((o) => [o.id, o.name]));
    return ok({
      account: account ? toOwnerView(account) : null,
      operator: caller.kind === 'operator',
      organizations: memberships
        .filter((m) => names.has(m.organizationId))
        .map((m) => ({ id: m.organizationId, name: names.get(m.organizationId)!, role: m.role }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    });
  }
}

/**
 * The refusal of a non-operator caller on an operator-only account action: its own account learns why, any
 * other account looks as if it did not exist.
 */
function operatorOnly(caller: Caller, id: string, why: string) {
  if (caller.kind === 'operator') return undefined;
  return caller.accountId === id
    ? fail('insufficient_permissions', why)
    : fail('not_found', 'Account not found.');
}
