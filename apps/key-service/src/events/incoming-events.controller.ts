// What other services announce over NATS, received once per event across replicas (queue group) and handed
// to the providers that act on it. Payloads were parsed with their contracts' schemas before this.
import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { type EventPayloads, QUEUE_GROUPS, SUBJECTS } from '@gw/contracts';
import { KeyUsageListener } from '../keys/key-usage.listener.js';
import { WebhookEventsListener } from '../webhooks/webhook-events.listener.js';

const queue = QUEUE_GROUPS.keyService;

@Controller()
export class IncomingEventsController {
  constructor(
    private readonly usage: KeyUsageListener,
    private readonly webhooks: WebhookEventsListener,
  ) {}

  @EventPattern<string>(SUBJECTS.keys.touch, { queue })
  touch(@Payload() e: EventPayloads['keys.touch']) {
    return this.usage.touch(e);
  }

  @EventPattern<string>(SUBJECTS.events.quotaExhausted, { queue })
  async quotaExhausted(@Payload() e: EventPayloads['keys.events.quota_exhausted']) {
    await this.webhooks.exhausted(e); // never throws
    await this.usage.exhausted(e);
  }

  @EventPattern<string>(SUBJECTS.events.quotaThreshold, { queue })
  quotaThreshold(@Payload() e: EventPayloads['metering.events.quota_threshold']) {
    return this.webhooks.threshold(e);
  }
}
