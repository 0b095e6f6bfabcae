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
import type { Caller } from '../access/caller.js';
import { ModelPriceEntity, PricingGroupEntity, TierEntity } from '../db/entities/index.js';
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

const operatorOnly = <T>(caller: Caller): Result<T> | undefined =>
  caller.kind === 'operator'
    ? undefined
    : fail('insufficient_permissions', 'Only the operator changes pricing and tiers.');

@Injectable()
export class PricingService {
  constructor(
    private readonly ds: DataSource,
    private readonly events: KeyEvents,
  ) {}

  async listModels(): Promise<Result<ModelPriceView[]>> {
    return ok(
      (await this.ds.getRepository(ModelPriceEntity).find({ order: { model: 'ASC' } })).map(modelView),
    );
  }

  async getModel(model: string): Promise<Result<ModelPriceView>> {
    const m = await this.ds.getRepository(ModelPriceEntity).findOneBy({ model });
    return m ? ok(modelView(m)) : fail('not_found', 'No price for this model.');
  }

  async putModel(caller: Caller, model: string, input: ModelPriceInput): Promise<Result<ModelPriceView>> {
    const denied = operatorOnly<ModelPriceView>(caller);
    if (denied) return denied;
    const repo = this.ds.getRepository(ModelPriceEntity);
    await repo.save(
      repo.create({ model, inputPrice: String(input.inputPrice), outputPrice: String(input.outputPrice) }),
    );
    this.events.pricingChanged('model', model);
    return this.getModel(model);
  }

  async listGroups(): Promise<Result<PricingGroupView[]>> {
    return ok(
      (await this.ds.getRepository(PricingGroupEntity).find({ order: { name: 'ASC' } })).map(groupView),
    );
  }

  async getGroup(name: string): Promise<Result<PricingGroupView>> {
    const g = await this.ds.getRepository(PricingGroupEntity).findOneBy({ name });
    return g ? ok(groupView(g)) : fail('not_found', 'No such pricing group.');
  }

  async putGroup(caller: Caller, name: string, input: PricingGroupInput): Promise<Result<PricingGroupView>> {
    const denied = operatorOnly<PricingGroupView>(caller);
    if (denied) return denied;
    const repo = this.ds.getRepository(PricingGroupEntity);
    await repo.save(repo.create({ name, multiplierPpm: String(Math.round(input.multiplier * PPM)) }));
    this.events.pricingChanged('group', name);
    return this.getGroup(name);
  }

  async listTiers(): Promise<Result<TierView[]>> {
    return ok((await this.ds.getRepository(TierEntity).find({ order: { name: 'ASC' } })).map(tierView));
  }

  async getTier(name: string): Promise<Result<TierView>> {
    const t = await this.ds.getRepository(TierEntity).findOneBy({ name });
    return t ? ok(tierView(t)) : fail('not_found', 'No such tier.');
  }

  async putTier(caller: Caller, name: string, input: TierInput): Promise<Result<TierView>> {
    const denied = operatorOnly<TierView>(caller);
    if (denied) return denied;
    const repo = this.ds.getRepository(TierEntity);
    await repo.save(repo.create({ name, rpm: input.rpm, priority: input.priority, models: input.models }));
    this.events.tierChanged(name);
    return this.getTier(name);
  }
}
