// NATS pricing.list: the whole price catalogue, for the caches of gateways and metering.
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { ok, QUEUE_GROUPS, SUBJECTS } from '@gw/contracts';
import { NatsClient, unwrap } from '@gw/platform';
import { PricingService } from './pricing.service.js';

@Injectable()
export class PricingRpc implements OnApplicationBootstrap {
  constructor(
    private readonly nats: NatsClient,
    private readonly pricing: PricingService,
  ) {}

  onApplicationBootstrap() {
    this.nats.serve(SUBJECTS.pricing.list, QUEUE_GROUPS.keyService, async () => {
      const [models, groups] = await Promise.all([this.pricing.listModels(), this.pricing.listGroups()]);
      return ok({ models: unwrap(models), groups: unwrap(groups) });
    });
  }
}
