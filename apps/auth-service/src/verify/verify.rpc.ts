import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { QUEUE_GROUPS, SUBJECTS } from '@gw/contracts';
import { NatsClient } from '@gw/platform';
import { VerifyService } from './verify.service.js';

@Injectable()
export class VerifyRpc implements OnApplicationBootstrap {
  constructor(
    private readonly nats: NatsClient,
    private readonly verify: VerifyService,
  ) {}

  onApplicationBootstrap() {
    this.nats.serve(SUBJECTS.auth.verify, QUEUE_GROUPS.authService, (req) => this.verify.verify(req));
  }
}
