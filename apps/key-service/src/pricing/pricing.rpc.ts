// NATS pricing.list: the whole price catalogue, for the caches of gateways and metering.
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { ok, QUEUE_GROUPS, SUBJECTS } from '@gw/contracts';
import { NatsClient, unwrap } from '@gw/platform';
import type { Caller } from '../access/caller.js';
import { PricingService } from './pricing.service.js';

/** The price catalogue is every service's to read over NATS (it holds no tenant data). */
const INTERNAL: Caller = { kind: 'operator', origin: { via: 'nats', requestId: null, address: null } };

@Injectable()
export class PricingRpc implements OnApplicationBootstrap {
  constructor(
    private readonly nats: NatsClient,
    private readonly pricing: PricingService,
  ) {}

  onApplicationBootstrap() {
    this.nats.serve(SUBJECTS.pricing.list, QUEUE_GROUPS.keyService, async () => {
      const [models, groups] = await Promise.all([
        this.pricing.listModels(INTERNAL),
        this.pricing.listGroups(INTERNAL),
      ]);
      return ok({ models: unwrap(models), groups: unwrap(groups) });
    });
  }
}
