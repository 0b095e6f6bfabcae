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
import { KeyEvents } from '../keys/key-events.js';
import { checkTier, creditLimitColumn } from './owner-settings.js';
import { toOwnerView } from './owner-view.js';

/** Accounts are the operator's to create and change; an account's own keys may read it. */
@Injectable()
export class AccountsService {
  constructor(
    private readonly ds: DataSource,
    private readonly owners: OwnersRepository,
    private readonly events: KeyEvents,
  ) {}

  async create(caller: Caller, input: CreateAccountInput): Promise<Result<AccountView>> {
    if (caller.kind !== 'operator')
      return fail('insufficient_permissions', 'Only the operator creates accounts.');
    const tier = await checkTier(this.ds, input.tier);
    if (!tier.ok) return tier;
    const limit = creditLimitColumn(input.creditLimit);
    if (!limit.ok) return limit;
    const account = this.owners.accounts.create({
      name: input.name,
      tier: input.tier,
      creditLimit: limit.value ?? null,
      status: 'active',
    });
    await this.owners.accounts.save(account);
    return ok(toOwnerView(account));
  }

  async get(caller: Caller, id: string): Promise<Result<AccountView>> {
    const visible = caller.kind === 'operator' || (canRead(caller) && caller.accountId === id);
    const account = visible ? await this.owners.accounts.findOneBy({ id }) : null;
    return account ? ok(toOwnerView(account)) : fail('not_found', 'Account not found.');
  }

  async update(caller: Caller, id: string, input: UpdateAccountInput): Promise<Result<AccountView>> {
    if (caller.kind !== 'operator') {
      return caller.accountId === id
        ? fail('insufficient_permissions', 'Only the operator changes accounts.')
        : fail('not_found', 'Account not found.');
    }
    const account = await this.owners.accounts.findOneBy({ id });
    if (!account) return fail('not_found', 'Account not found.');
    const tier = await checkTier(this.ds, input.tier);
    if (!tier.ok) return tier;
    const limit = creditLimitColumn(input.creditLimit);
    if (!limit.ok) return limit;
    if (input.name !== undefined) account.name = input.name;
    if (input.tier !== undefined) account.tier = input.tier;
    if (input.status !== undefined) account.status = input.status;
    if (limit.value !== undefined) account.creditLimit = limit.value;
    await this.owners.accounts.save(account);
    this.events.ownerChanged({ type: 'account', id });
    return ok(toOwnerView(account));
  }
}
