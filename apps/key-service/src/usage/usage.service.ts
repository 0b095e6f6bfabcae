// Usage of a key or an owner over a range: metering's report, with the quota in credits and currency.
import { Inject, Injectable } from '@nestjs/common';
import {
  fail,
  MAX_USAGE_RANGE_DAYS,
  ok,
  type OwnerRef,
  type Result,
  type SpendReply,
  type UsageRangeQuery,
  type UsageView,
} from '@gw/contracts';
import { AccessService } from '../access/access.service.js';
import { type Caller, canRead } from '../access/caller.js';
import { OwnersRepository } from '../access/owners.repository.js';
import type { KeyServiceConfig } from '../config.js';
import { spendPeriod } from '../keys/key-state.js';
import { KeysRepository } from '../keys/keys.repository.js';
import { CLOCK, type Clock, CONFIG } from '../tokens.js';
import { MeteringClient } from './metering.client.js';
import { toUsageView, type UsageQuota } from './usage-view.js';

const DAY_MS = 86_400_000;

@Injectable()
export class UsageService {
  constructor(
    private readonly keys: KeysRepository,
    private readonly owners: OwnersRepository,
    private readonly access: AccessService,
    private readonly metering: MeteringClient,
    @Inject(CONFIG) private readonly config: KeyServiceConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Default: from the start of the UTC month of `to` (default now) to `to`. */
  private range(query: UsageRangeQuery): Result<{ from: Date; to: Date }> {
    const to = query.to ? new Date(query.to) : this.clock.now();
    const from = query.from
      ? new Date(query.from)
      : new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth(), 1));
    if (from.getTime() >= to.getTime()) return fail('invalid_request', 'from must be before to.', 'from');
    if (to.getTime() - from.getTime() > MAX_USAGE_RANGE_DAYS * DAY_MS)
      return fail('invalid_request', `A range covers at most ${MAX_USAGE_RANGE_DAYS} days.`, 'to');
    return ok({ from, to });
  }

  async forKey(caller: Caller, id: string, query: UsageRangeQuery): Promise<Result<UsageView>> {
    if (!canRead(caller)) return fail('insufficient_permissions');
    const key = await this.keys.findInScope(id, await this.access.scope(caller));
    if (!key) return fail('not_found', 'Key not found.');
    const period = spendPeriod(key, this.clock.now());
    return this.report(
      { type: key.ownerType, id: key.ownerId },
      key.id,
      query,
      (spend) => ({
        type: key.quotaType,
        period: key.quotaType === 'unlimited' ? null : period,
        usedMicros: spend.keys[key.id] ?? 0,
        limitMicros: key.quotaLimit === null ? null : Number(key.quotaLimit),
      }),
      period,
    );
  }

  /** An owner's usage across its keys; its quota is its lifetime credit limit. */
  async forOwner(caller: Caller, requested: OwnerRef, query: UsageRangeQuery): Promise<Result<UsageView>> {
    if (!canRead(caller)) return fail('insufficient_permissions');
    const owner = await this.access.resolveOwner(caller, requested, 'id');
    if (!owner.ok) return owner;
    const entity = await this.owners.find(owner.value);
    if (!entity) return fail('not_found', 'Owner not found.');
    return this.report(owner.value, undefined, query, (spend) => ({
      type: 'credit',
      period: 'lifetime',
      usedMicros: spend.ownerMicros,
      limitMicros: entity.creditLimit === null ? null : Number(entity.creditLimit),
    }));
  }

  /** Metering's report over the range and the spend the quota reads, as one view. */
  private async report(
    owner: OwnerRef,
    keyId: string | undefined,
    query: UsageRangeQuery,
    quotaOf: (spend: SpendReply) => UsageQuota,
    keyPeriod = 'lifetime',
  ): Promise<Result<UsageView>> {
    const range = this.range(query);
    if (!range.ok) return range;
    const [report, spend] = await Promise.all([
      this.metering.usage(owner, keyId, range.value.from, range.value.to),
      this.metering.spend(owner, keyId ? [{ keyId, period: keyPeriod }] : []),
    ]);
    if (!report.ok) return report;
    if (!spend) return fail('service_unavailable', 'Spend figures are not available right now.');
    return ok(toUsageView(report.value, range.value, quotaOf(spend), this.config.currency));
  }
}
