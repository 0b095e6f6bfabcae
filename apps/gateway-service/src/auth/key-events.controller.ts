// keys.events.> to every gateway replica (no queue group): each evicts what it cached. Payloads were parsed
// with their contracts' schemas before this.
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, type NatsContext, Payload } from '@nestjs/microservices';
import { SUBJECTS } from '@gw/contracts';
import { Authenticator } from './authenticator.js';

@Controller()
export class KeyEventsController {
  constructor(private readonly auth: Authenticator) {}

  @EventPattern<string>(SUBJECTS.events.allKeyEvents)
  handle(@Payload() payload: unknown, @Ctx() ctx: NatsContext) {
    this.auth.onKeyEvent(ctx.getSubject(), payload);
  }
}
