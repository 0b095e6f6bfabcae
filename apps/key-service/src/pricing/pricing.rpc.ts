// NATS pricing.list: the whole price catalogue, for the caches of gateways and metering.
import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { ok, QUEUE_GROUPS, SUBJECTS } from '@gw/contracts';
import { unwrap } from '@gw/platform';
import type { Caller } from '../access/caller.js';
import { PricingService } from './pricing.service.js';

/** The price catalogue is every service's to read over NATS (it holds no tenant data). */
const INTERNAL: Caller = { kind: 'operator', origin: { via: 'nats', requestId: null, address: null } };

@Controller()
export class PricingRpc {
  constructor(private readonly pricing: PricingService) {}

  @MessagePattern(SUBJECTS.pricing.list, { queue: QUEUE_GROUPS.keyService })
  async list() {
    const [models, groups] = await Promise.all([
      this.pricing.listModels(INTERNAL),
      this.pricing.listGroups(INTERNAL),
    ]);
    return ok({ models: unwrap(models), groups: unwrap(groups) });
  }
}
