// auth.verify, one replica per request (queue group), the payload checked against its contract. On the
// key-verification hot path, so served as a direct handler (no Nest handler chain): the bench measured
// Nest's per-message cost past 10 % of a miss here (docs/decisions.md, "Internal traffic").
import { Injectable } from '@nestjs/common';
import { QUEUE_GROUPS, SUBJECTS } from '@gw/contracts';
import { directHandler } from '@gw/nats-transport';
import { VerifyService } from './verify.service.js';

@Injectable()
export class VerifyRpc {
  constructor(private readonly verify: VerifyService) {}

  handlers() {
    return [directHandler(SUBJECTS.auth.verify, QUEUE_GROUPS.authService, (req) => this.verify.verify(req))];
  }
}
