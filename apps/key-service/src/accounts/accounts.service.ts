import { Injectable } from '@nestjs/common';
import {
  type AccountView,
  type CreateAccountInput,
  fail,
  ok,
  type Result,
  type UpdateAccountInput,
} from '@gw/contracts';
import { DataSource } from 'typeorm';
import { type Caller, canRead } from '../access/caller.js';
import { OwnersRepository } from '../access/owners.repository.js';
import { AuditLog, changedFields } from '../audit/audit-log.js';
import { AccountEntity } from '../db/entities/index.js';
import { KeyEvents } from '../keys/key-events.js';
import { applyOwnerInput, AUDITED_OWNER_FIELDS, checkOwnerInput, newOwnerColumns } from './owner-settings.js';
import { toOwnerView } from './owner-view.js';

/** Accounts are the operator's to create and change; an account's own keys may read it. */
@Injectable()
export class AccountsService {
  constructor(
    private readonly ds: DataSource,
    private readonly owners: OwnersRepository,
    private readonly events: KeyEvents,
    private readonly audit: AuditLog,
  ) {}

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
    if (caller.kind !== 'operator') {
      return caller.accountId === id
        ? fail('insufficient_permissions', 'Only the operator changes accounts.')
        : fail('not_found', 'Account not found.');
    }
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
}
