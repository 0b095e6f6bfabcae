// keys.lookup (auth-service's cache miss), one replica per request. On the key-verification hot path, so
// served as a direct handler (no Nest handler chain): docs/decisions.md, "Internal traffic".
import { Injectable } from '@nestjs/common';
import { QUEUE_GROUPS, SUBJECTS } from '@gw/contracts';
import { directHandler } from '@gw/nats-transport';
import { KeyLookupService } from './key-lookup.service.js';

@Injectable()
export class KeyLookupRpc {
  constructor(private readonly lookup: KeyLookupService) {}

  handlers() {
    return [
      directHandler(SUBJECTS.keys.lookup, QUEUE_GROUPS.keyService, async (r) => ({
        ok: true,
        value: await this.lookup.lookup(r.hash),
      })),
    ];
  }
}
