// NATS metering.usage.query and metering.spend, one replica per request (queue group).
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { QUEUE_GROUPS, type RpcPayload, SUBJECTS } from '@gw/contracts';
import { UsageQueries } from './usage-queries.js';

const queue = QUEUE_GROUPS.meteringService;

@Controller()
export class UsageQueriesRpc {
  constructor(private readonly queries: UsageQueries) {}

  @MessagePattern(SUBJECTS.metering.usageQuery, { queue })
  usage(@Payload() r: RpcPayload<'metering.usage.query'>) {
    return this.queries.usage(r.owner, r.keyId, new Date(r.from), new Date(r.to));
  }

  @MessagePattern(SUBJECTS.metering.spend, { queue })
  spend(@Payload() r: RpcPayload<'metering.spend'>) {
    return this.queries.spend(r.owner, r.keys);
  }
}
