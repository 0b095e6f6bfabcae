// Operator-managed catalogue: model prices, pricing groups and tiers. Any valid caller may read it.
import { Injectable } from '@nestjs/common';
import {
  fail,
  type ModelPriceInput,
  type ModelPriceView,
  ok,
  PPM,
  type PricingGroupInput,
  type PricingGroupView,
  type Result,
  type TierInput,
  type TierView,
} from '@gw/contracts';
import { DataSource } from 'typeorm';
import { type Caller, canRead } from '../access/caller.js';
import { ModelPriceEntity, PricingGroupEntity, TierEntity } from '../db/entities/index.js';
import { AuditLog, changedFields } from '../audit/audit-log.js';
import { KeyEvents } from '../keys/key-events.js';

const modelView = (m: ModelPriceEntity): ModelPriceView => ({
  model: m.model,
  inputPrice: Number(m.inputPrice),
  outputPrice: Number(m.outputPrice),
  updatedAt: m.updatedAt.toISOString(),
});
const groupView = (g: PricingGroupEntity): PricingGroupView => ({
  name: g.name,
  multiplier: Number(g.multiplierPpm) / PPM,
  updatedAt: g.updatedAt.toISOString(),
});
const tierView = (t: TierEntity): TierView => ({
  name: t.name,
  rpm: t.rpm,
  priority: t.priority,
  models: t.models,
  updatedAt: t.updatedAt.toISOString(),
});

/** Reading the catalogue is a management right too (read, write or admin): a models-only key gets 403. */
const readable = (caller: Caller) => canRead(caller);

const operatorOnly = <T>(caller: Caller): Result<T> | undefined =>
  caller.kind === 'operator'
    ? undefined
    : fail('insufficient_permissions', 'Only the operator changes pricing and tiers.');

@Injectable()
export class PricingService {
  constructor(
    private readonly ds: DataSource,
    private readonly events: KeyEvents,
    private readonly audit: AuditLog,
  ) {}

  /** Writes one catalogue row and its audit record together; the row is locked while it changes. */
  private async put<E extends object>(
    caller: Caller,
    entity: new () => E,
    where: Partial<E>,
    next: E,
    audit: { action: string; type: string; id: string; fields: (keyof E)[] },
  ) {
    await this.ds.transaction(async (em) => {
      const repo = em.getRepository(entity);
      const before = await repo.findOne({ where: where as never, lock: { mode: 'pessimistic_write' } });
      // An upsert: two concurrent first PUTs of one name cannot both insert.
      await repo.upsert(next, Object.keys(where));
      await this.audit.record(em, caller, {
        action: audit.action,
        target: { type: audit.type, id: audit.id },
        changes: changedFields(before, next, audit.fields),
      });
    });
  }

  async listModels(caller: Caller): Promise<Result<ModelPriceView[]>> {
    if (!readable(caller)) return fail('insufficient_permissions');
    return ok(
      (await this.ds.getRepository(ModelPriceEntity).find({ order: { model: 'ASC' } })).map(modelView),
    );
  }

  async getModel(caller: Caller, model: string): Promise<Result<ModelPriceView>> {
    if (!readable(caller)) return fail('insufficient_permissions');
    const m = await this.ds.getRepository(ModelPriceEntity).findOneBy({ model });
    return m ? ok(modelView(m)) : fail('not_found', 'No price for this model.');
  }

  async putModel(caller: Caller, model: string, input: ModelPriceInput): Promise<Result<ModelPriceView>> {
    const denied = operatorOnly<ModelPriceView>(caller);
    if (denied) return denied;
    const repo = this.ds.getRepository(ModelPriceEntity);
    const next = repo.create({
      model,
      inputPrice: String(input.inputPrice),
      outputPrice: String(input.outputPrice),
    });
    await this.put(caller, ModelPriceEntity, { model }, next, {
      action: 'price.updated',
      type: 'model_price',
      id: model,
      fields: ['inputPrice', 'outputPrice'],
    });
    this.events.pricingChanged('model', model);
    return this.getModel(caller, model);
  }

  async listGroups(caller: Caller): Promise<Result<PricingGroupView[]>> {
    if (!readable(caller)) return fail('insufficient_permissions');
    return ok(
      (await this.ds.getRepository(PricingGroupEntity).find({ order: { name: 'ASC' } })).map(groupView),
    );
  }

  async getGroup(caller: Caller, name: string): Promise<Result<PricingGroupView>> {
    if (!readable(caller)) return fail('insufficient_permissions');
    const g = await this.ds.getRepository(PricingGroupEntity).findOneBy({ name });
    return g ? ok(groupView(g)) : fail('not_found', 'No such pricing group.');
  }

  async putGroup(caller: Caller, name: string, input: PricingGroupInput): Promise<Result<PricingGroupView>> {
    const denied = operatorOnly<PricingGroupView>(caller);
    if (denied) return denied;
    const repo = this.ds.getRepository(PricingGroupEntity);
    const next = repo.create({ name, multiplierPpm: String(Math.round(input.multiplier * PPM)) });
    await this.put(caller, PricingGroupEntity, { name }, next, {
      action: 'pricing_group.updated',
      type: 'pricing_group',
      id: name,
      fields: ['multiplierPpm'],
    });
    this.events.pricingChanged('group', name);
    return this.getGroup(caller, name);
  }

  async listTiers(caller: Caller): Promise<Result<TierView[]>> {
    if (!readable(caller)) return fail('insufficient_permissions');
    return ok((await this.ds.getRepository(TierEntity).find({ order: { name: 'ASC' } })).map(tierView));
  }

  async getTier(caller: Caller, name: string): Promise<Result<TierView>> {
    if (!readable(caller)) return fail('insufficient_permissions');
    const t = await this.ds.getRepository(TierEntity).findOneBy({ name });
    return t ? ok(tierView(t)) : fail('not_found', 'No such tier.');
  }

  async putTier(caller: Caller, name: string, input: TierInput): Promise<Result<TierView>> {
    const denied = operatorOnly<TierView>(caller);
    if (denied) return denied;
    const repo = this.ds.getRepository(TierEntity);
    const next = repo.create({ name, rpm: input.rpm, priority: input.priority, models: input.models });
    await this.put(caller, TierEntity, { name }, next, {
      action: 'tier.updated',
      type: 'tier',
      id: name,
      fields: ['rpm', 'priority', 'models'],
    });
    this.events.tierChanged(name);
    return this.getTier(caller, name);
  }
}
